package main

import (
	"bytes"
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/services/api/internal/ranking"
	"kaoping/services/api/internal/text"
)

// TestCSVCellsAreNotFormulas: an id or name a spreadsheet would run as a
// formula is prefixed with ' in the CSV download (SPEC §4); others are left
// as they are.
func TestCSVCellsAreNotFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+1":                       "'+1",
		"-2":                       "'-2",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\tx":                      "'\tx",
		"\rx":                      "'\rx",
		"南湖=街道":                    "南湖=街道",
		"st'01\";--":               "st'01\";--",
		"":                         "",
		"'=x":                      "'=x",
	} {
		if got := spreadsheetSafe(in); got != want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
	rec := httptest.NewRecorder()
	writeCSV(rec, []ranking.Row{{ID: "=1+1", Name: "@cmd"}, {ID: "u1", Name: "-x"}})
	body, ok := bytes.CutPrefix(rec.Body.Bytes(), []byte("\ufeff"))
	if !ok {
		t.Errorf("the CSV does not start with a UTF-8 byte-order mark: %q", rec.Body.Bytes()[:8])
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][1] != "'=1+1" || rows[1][2] != "'@cmd" || rows[2][1] != "u1" || rows[2][2] != "'-x" {
		t.Errorf("csv rows %q", rows)
	}
}

// TestXLSXDownload: Chinese headers, a frozen header row, numbers as numbers
// in their formats, grades by name in their colours, one sheet per level and
// the sheet of the model, run and status.
func TestXLSXDownload(t *testing.T) {
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := period.Parse("2026Q3", m.Location)
	s := served{run: store.Run{ID: "run-9", Model: m.Version, AsOfNs: time.Date(2026, 10, 1, 8, 0, 0, 0, m.Location).UnixNano()}, period: p, model: m, status: scoring.StatusFinal}
	one, good := 1, "good"
	rows := []ranking.Row{{Rank: &one, ID: "st01", Name: "南湖街道", Score: []byte("87.5"), Grade: &good,
		Indicators: map[string]scoring.Fraction{"response_rate": {Num: "3", Den: "4", Value: "0.75"}}}, {ID: "=st02", Name: "新街道"}}
	var b bytes.Buffer
	if err := writeXLSX(&b, text.ZH, s, "unit", "", []levelRows{{level: "street", rows: rows}, {level: "community"}}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetSheetList(); strings.Join(got, ",") != "街道乡镇,社区村,说明" {
		t.Fatalf("sheets %q", got)
	}
	got, err := f.GetRows("街道乡镇")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got[0][:6], ",") != "排名,编号,名称,得分,等级,及时响应率" || strings.Join(got[1][:6], ",") != "1,st01,南湖街道,87.50,良好,0.7500" || strings.Join(got[2], ",") != ",=st02,新街道" {
		t.Errorf("rows %q", got)
	}
	if v, _ := f.GetCellValue("街道乡镇", "D2", excelize.Options{RawCellValue: true}); v != "87.5" {
		t.Errorf("score cell raw %q, want the number 87.5", v)
	}
	if typ, _ := f.GetCellType("街道乡镇", "D2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("score cell is text")
	}
	panes, err := f.GetPanes("街道乡镇")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v %v", panes, err)
	}
	style, _ := f.GetCellStyle("街道乡镇", "E2")
	st, err := f.GetStyle(style)
	if err != nil || len(st.Fill.Color) != 1 || st.Fill.Color[0] != text.GradeColour("good") {
		t.Errorf("grade cell fill %+v %v", st, err)
	}
	info, _ := f.GetRows("说明")
	if len(info) < 4 || strings.Join(info[2], "=") != "计算批次=run-9" || strings.Join(info[3], "=") != "状态=最终" {
		t.Errorf("info %q", info)
	}
}
