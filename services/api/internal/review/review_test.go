package review

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/text"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sample is a report of a street with a rise, a tolerated error, a penalty,
// problems on two lists, a correction and a name with Markdown in it.
func sample(l text.Lang) Report {
	prev := Standing{Period: "2026Q2", RunID: "run-q2", Rank: 5, Score: "80.1", Grade: "good"}
	me := Standing{Period: "2026Q3", RunID: "run-q3", Rank: 3, Score: "87.56", Grade: "good"}
	return Report{Lang: l, Period: "2026Q3", Model: "kp-2026.1", RunID: "run-q3", Status: "corrected", AsOf: "2026-10-20 08:00:00",
		Kind: "unit", ID: "jx.nanhu.st04", Name: "南湖|街道*", Level: "street", Path: []string{"jx", "jx.nanhu", "jx.nanhu.st04"},
		Standing: me, Peers: 13, Previous: &prev,
		Indicators: []Indicator{
			{Name: "response_rate", Num: "97", Den: "100", Value: "0.97", Weight: "10", Median: "0.95", Best: "1"},
			{Name: "resolution_rate", Num: "88", Den: "100", Value: "0.88", Weight: "25", Pending: 2, Median: "0.9", Best: "0.99"},
			{Name: "review_score", Num: "0", Den: "0", Weight: "15"},
		},
		ScoreMedian: "80", ScoreBest: "94.43", Base: "0.9056", Penalty: 3, PenaltyCap: 20,
		PenaltyItems: []scoring.PenaltyItem{{ErrorID: "E-7", Severity: "moderate", Points: 3}},
		Tolerated:    []scoring.ToleratedError{{ErrorID: "E-9", Severity: "minor", DecisionID: "RC-2026-01"}},
		Trend:        []Standing{{Period: "2025Q4"}, {Period: "2026Q1", Rank: 7, Score: "75", Grade: "good"}, prev, me},
		Top:          []TopRow{{1, "jx.nanhu.st06", "城南街道", "94.43", "excellent"}, {2, "jx.nanhu.st10", "大桥镇", "90.24", "excellent"}, {3, "jx.nanhu.st04", "南湖|街道*", "87.56", "good"}},
		Problems:     []ProblemList{{List: "inspection", Listed: 4, Open: []string{"IS-2"}, Overdue: []string{"IS-1", "IS-2"}}, {List: "audit", Listed: 1}},
		Corrections:  []Correction{{RunID: "run-q3", AsOf: "2026-10-20 08:00:00", Before: Standing{Rank: 4, Score: "85", Grade: "good"}, After: me}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/review -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is meant, run go test ./internal/review -update and review the diff.\ngot:\n%s", name, got)
	}
}

func TestReportGolden(t *testing.T) {
	for _, l := range []text.Lang{text.ZH, text.EN} {
		var md, html bytes.Buffer
		if err := sample(l).Markdown(&md); err != nil {
			t.Fatal(err)
		}
		if err := sample(l).HTML(&html); err != nil {
			t.Fatal(err)
		}
		golden(t, "report-"+string(l)+".md", md.Bytes())
		golden(t, "report-"+string(l)+".html", html.Bytes())
	}
}

// TestReportHTMLIsSelfContained: one file, nothing fetched, no script, a
// print stylesheet for A4 and the trend inline.
func TestReportHTMLIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := sample(text.ZH).HTML(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, bad := range []string{"<script", "<link", " src=", "@import", "url("} {
		if strings.Contains(s, bad) {
			t.Errorf("the report holds %q", bad)
		}
	}
	for _, want := range []string{"@page { size: A4", "@media print", "<svg", "第 3 名 / 共 13", "上升 2", "RC-2026-01", "南湖|街道*", "已更正"} {
		if !strings.Contains(s, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func TestReportXLSX(t *testing.T) {
	var b bytes.Buffer
	if err := sample(text.ZH).XLSX(&b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.GetSheetList(), ","); got != "指标,近四期趋势,同级前十名,失分明细,最终结果后的更正,述职评议报告" {
		t.Fatalf("sheets %s", got)
	}
	rows, _ := f.GetRows("指标")
	if strings.Join(rows[1], ",") != "及时响应率,97/100,0.9700,0.9500,1.0000,10,0" || rows[4][0] != "得分" || rows[4][2] != "87.56" {
		t.Errorf("indicator rows %q", rows)
	}
	top, _ := f.GetRows("同级前十名")
	if len(top) != 4 || strings.Join(top[1], ",") != "1,jx.nanhu.st06,城南街道,94.43,优秀" {
		t.Errorf("top rows %q", top)
	}
	items, _ := f.GetRows("失分明细")
	if len(items) != 6 || items[4][4] != "RC-2026-01" {
		t.Errorf("items %q", items)
	}
}

func TestMovementText(t *testing.T) {
	me := Standing{Period: "2026Q3", RunID: "r3", Rank: 3, Score: "80", Grade: "good"}
	for _, tt := range []struct {
		name string
		prev *Standing
		me   Standing
		want string
	}{
		{"rose", &Standing{RunID: "r2", Rank: 5, Score: "70", Grade: "basic"}, me, "上升 2"},
		{"fell", &Standing{RunID: "r2", Rank: 1, Score: "90", Grade: "good"}, me, "下降 2"},
		{"kept its place", &Standing{RunID: "r2", Rank: 3, Score: "81", Grade: "good"}, me, "持平"},
		{"not ranked then", &Standing{RunID: "r2"}, me, "新进"},
		{"no run then", nil, me, "–"},
		{"not ranked now", &Standing{RunID: "r2", Rank: 1, Score: "90", Grade: "good"}, Standing{RunID: "r3"}, "–"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Report{Lang: text.ZH, Previous: tt.prev, Standing: tt.me}).MovementText(); got != tt.want {
				t.Fatalf("MovementText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMarkdownCodeSpans(t *testing.T) {
	for in, want := range map[string]string{"IS-1": "`IS-1`", "a`b": "`` a`b ``", "a|b": "`a\\|b`"} {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
	if got := md("南湖|*街道*_[x](y)"); got != `南湖\|\*街道\*\_\[x\](y)` {
		t.Errorf("md = %q", got)
	}
}
