package scoring

import (
	"fmt"
	"strings"
	"testing"
)

func labelModel(t *testing.T, extra string) *Model {
	t.Helper()
	base, err := LoadModel(DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseModel([]byte(string(base.File) + extra))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLabels: each rule on a ranking of ten scored streets and one unscored,
// against the previous quarter, computed by hand in the comments.
func TestLabels(t *testing.T) {
	m := labelModel(t, `
labels:
  - {label: 先进, rule: top_share, share: 0.2}
  - {label: 进步, rule: most_improved, by: rank, count: 2}
  - {label: 进步, rule: most_improved, by: score, count: 1}
  - {label: 整改, rule: bottom_share, share: 0.1}
  - {label: 整改, rule: poor_twice}
`)
	// Now: s01 95, s02 93, s03 93, s04 88, s05 80, s06 78, s07 70, s08 62,
	// s09 55, s10 50; s11 unscored.
	scores := []int64{9500, 9300, 9300, 8800, 8000, 7800, 7000, 6200, 5500, 5000}
	var entries []Entry
	for i, c := range scores {
		entries = append(entries, Entry{ID: fmt.Sprintf("s%02d", i+1), Scored: true, ScoreCenti: c})
	}
	entries = append(entries, Entry{ID: "s11"})
	var group []Standing
	for _, x := range m.Rank(entries) {
		group = append(group, Standing{ID: x.ID, Scored: x.Scored, ScoreCenti: x.ScoreCenti, Rank: x.Rank, Grade: x.Grade})
	}
	// Before (2026Q2): s05 was 9th (60.00), s08 was 10th (40.00, poor),
	// s04 was 5th (85.00), s09 was 8th (58.00, poor), s10 1st.
	prev := map[string]Standing{
		"s05": {ID: "s05", Scored: true, ScoreCenti: 6000, Rank: 9, Grade: "basic"},
		"s08": {ID: "s08", Scored: true, ScoreCenti: 4000, Rank: 10, Grade: "poor"},
		"s04": {ID: "s04", Scored: true, ScoreCenti: 8500, Rank: 5, Grade: "good"},
		"s09": {ID: "s09", Scored: true, ScoreCenti: 5800, Rank: 8, Grade: "poor"},
		"s10": {ID: "s10", Scored: true, ScoreCenti: 9900, Rank: 1, Grade: "excellent"},
	}
	got := m.Labels(group, prev, "2026Q2")
	want := map[string]string{
		// top 20 % of 10 scored: ⌊10 × 0.2⌋ = 2; s01 has 0 above, s02 and s03
		// have 1 above each (the tie is in whole), s04 has 3.
		"s01": "先进: 第1名，共10名，居前20%",
		"s02": "先进: 第2名，共10名，居前20%",
		"s03": "先进: 第2名，共10名，居前20%",
		// rank gains: s05 9 → 5 (+4), s08 10 → 8 (+2), s04 5 → 4 (+1), s09 8 → 9;
		// the 2 largest: s05, s08. Score gains: s08 +22, s05 +20, s04 +3: s08,
		// who has 进步 already (the first reason stays).
		"s05": "进步: 名次由2026Q2第9名升至第5名",
		"s08": "进步: 名次由2026Q2第10名升至第8名",
		// bottom 10 %: ⌊10 × 0.1⌋ = 1: s10 (nobody below it); poor twice: s09
		// (58 → 55, poor both times).
		"s10": "整改: 第10名，共10名，居后10%",
		"s09": "整改: 2026Q2与本期连续为poor",
	}
	for _, s := range group {
		var have []string
		for _, l := range got[s.ID] {
			have = append(have, l.Label+": "+l.Reason)
		}
		if h := strings.Join(have, "; "); h != want[s.ID] {
			t.Errorf("%s: %q, want %q", s.ID, h, want[s.ID])
		}
	}
	if j := LabelsJSON(got["s09"]); j != `[{"label":"整改","reason":"2026Q2与本期连续为poor"}]` {
		t.Errorf("JSON %s", j)
	}
	if j := LabelsJSON(nil); j != "[]" {
		t.Errorf("no labels: %s", j)
	}
	// Without a previous period only the shares apply.
	if got := m.Labels(group, nil, ""); len(got) != 4 {
		t.Errorf("without history: %v", got)
	}
}

// TestPeerBands: peers are ranked within their caseload band (ranks and the
// excellent quota within it), bands smallest first.
func TestPeerBands(t *testing.T) {
	m := labelModel(t, `
peer_bands:
  by: complaints
  bands:
    - {band: small, below: 30}
    - {band: large}
`)
	for cases, want := range map[int64]string{0: "small", 29: "small", 30: "large", 5000: "large"} {
		if got := m.BandOf(cases); got != want {
			t.Errorf("BandOf(%d) = %s, want %s", cases, got, want)
		}
	}
	// Five large streets and five small ones: each band has quota ⌊5/5⌋ = 1.
	var entries []Entry
	for i, c := range []int64{9600, 9500, 8000, 7000, 6000} {
		entries = append(entries, Entry{ID: fmt.Sprintf("L%d", i), Scored: true, ScoreCenti: c, Band: "large"})
	}
	for i, c := range []int64{9900, 9100, 8100, 5000, 4000} {
		entries = append(entries, Entry{ID: fmt.Sprintf("S%d", i), Scored: true, ScoreCenti: c, Band: "small"})
	}
	var got []string
	for _, x := range m.Rank(entries) {
		got = append(got, fmt.Sprintf("%s:%s:%d:%s", x.ID, x.Band, x.Rank, x.Grade))
	}
	want := "S0:small:1:excellent S1:small:2:good S2:small:3:good S3:small:4:poor S4:small:5:poor " +
		"L0:large:1:excellent L1:large:2:good L2:large:3:good L3:large:4:basic L4:large:5:basic"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("ranked\n %s\nwant\n %s", g, want)
	}
}

// TestLabelAndBandKeysAreChecked.
func TestLabelAndBandKeysAreChecked(t *testing.T) {
	base, err := LoadModel(DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	for extra, want := range map[string]string{
		"labels: [{label: 先进, rule: top_share}]":                                            "labels[0].share: missing (rule top_share needs it)",
		"labels: [{label: 先进, rule: best}]":                                                 `labels[0].rule: best is not one of`,
		"labels: [{label: 进步, rule: most_improved, count: 2}]":                              "labels[0].by: missing",
		"labels: [{label: 进步, rule: most_improved, count: 2, by: age}]":                     "labels[0].by: age is not one of rank, score",
		"labels: [{label: 整改, rule: poor_twice, grade: awful}]":                             "labels[0].grade: awful is not a grade of the model",
		"labels: [{label: 整改, rule: bottom_share, share: 0.1, count: 3}]":                   "labels[0].count: rule bottom_share does not take it",
		"peer_bands: {by: complaints, bands: [{band: a, below: 30}, {band: b, below: 40}]}": "peer_bands.bands[1].below: the last band takes every larger caseload",
		"peer_bands: {by: complaints, bands: [{band: a}, {band: b}]}":                       "peer_bands.bands[0].below: missing",
		"peer_bands: {by: issues, bands: [{band: a, below: 3}, {band: b}]}":                 "peer_bands.by: issues is not one of complaints",
	} {
		_, err := ParseModel([]byte(string(base.File) + "\n" + extra + "\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", extra, err, want)
		}
	}
}
