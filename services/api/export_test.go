package main

import (
	"bytes"
	"encoding/csv"
	"net/http/httptest"
	"testing"

	"kaoping/services/api/internal/ranking"
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
	rows, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][1] != "'=1+1" || rows[1][2] != "'@cmd" || rows[2][1] != "u1" || rows[2][2] != "'-x" {
		t.Errorf("csv rows %q", rows)
	}
}
