package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDisplayWidth(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"南湖区", 6},
		{"七星街道", 8},
		{"ｔｅｓｔ", 8},    // fullwidth latin
		{"e\u0301", 1}, // combining accent
		{"jx.nanhu.st01", 13},
	} {
		if got := displayWidth(tt.s); got != tt.want {
			t.Errorf("displayWidth(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestPrintRankingAligns(t *testing.T) {
	num := func(s string) *json.Number { n := json.Number(s); return &n }
	str := func(s string) *string { return &s }
	one, two := 1, 2
	rows := []rankingRow{
		{Rank: &one, ID: "jx.nanhu.st06", Name: "城南街道", Score: num("94.43"), Grade: str("excellent")},
		{Rank: &two, ID: "jx.nanhu.st10", Name: "大桥镇", Score: num("9.5"), Grade: str("poor")},
		{ID: "jx.nanhu.st99", Name: "Test Street"},
	}
	var out bytes.Buffer
	printRanking(&out, rows)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines:\n%s", len(lines), out.String())
	}
	// The grade column starts at the same terminal column on every line, so
	// the double-width names before it are padded right.
	gradeStart := func(line string) int {
		fields := strings.Fields(line)
		return displayWidth(line[:strings.LastIndex(line, fields[len(fields)-1])])
	}
	want := gradeStart(lines[0])
	for _, l := range lines[1:] {
		if got := gradeStart(l); got != want {
			t.Errorf("grade column starts at %d, want %d:\n%s", got, want, out.String())
		}
	}
	if !strings.Contains(lines[3], "-  jx.nanhu.st99") || !strings.HasSuffix(lines[3], "-  -") {
		t.Errorf("unscored row should show dashes: %q", lines[3])
	}
}
