package ranking

import (
	"bytes"
	"encoding/json"
	"testing"

	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// TestAppendRowsIsWhatTheEncoderWrites: rows with and without scores, and
// names with quotes, HTML, control characters and Chinese, come out as
// obs.WriteJSON's encoder writes them.
func TestAppendRowsIsWhatTheEncoderWrites(t *testing.T) {
	rows := []Row{
		FromScore(store.ScoreRow{Subject: "s1", Name: "建设街道", Scored: true, ScoreCenti: 8735,
			Ratios: scoring.Ratios{Num: [4]int64{3, 1, 0, 2}, Den: [4]int64{4, 1, 0, 3}, ReviewNum: "87.35", ReviewValue: "0.8735"}}, 2, "good"),
		FromScore(store.ScoreRow{Subject: `a"b\c`, Name: "<b>&\"名\"\n\t\u2028"}, 0, ""),
		FromScore(store.ScoreRow{Subject: "s3", Name: "", Scored: true, ScoreCenti: 9000}, 1, "excellent"),
		FromScore(store.ScoreRow{Subject: "s4", Name: "大桥镇", Scored: true, ScoreCenti: 7880, Band: "small",
			Labels: `[{"label":"先进","reason":"第1名，共3名，居前20%"}]`, Ratios: scoring.Ratios{Num: [4]int64{9, 8, 67, 0}, Den: [4]int64{10, 10, 9, 0}, SatScale: 10, Insufficient: 1}}, 1, "good"),
		FromScore(store.ScoreRow{Subject: "s5", Band: "large", Labels: "[]"}, 0, ""),
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rows); err != nil {
		t.Fatal(err)
	}
	if got := AppendRows(nil, rows); string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
		t.Fatalf("AppendRows\n got  %s\n want %s", got, want.Bytes())
	}
	if got := AppendRows(nil, nil); string(got) != "[]" {
		t.Errorf("no rows = %s", got)
	}
}

// TestAppendScoreIsAppendRowOfFromScore.
func TestAppendScoreIsAppendRowOfFromScore(t *testing.T) {
	for _, r := range []store.ScoreRow{
		{Subject: "s1", Name: "建设街道", Scored: true, ScoreCenti: 8735, Ratios: scoring.Ratios{Num: [4]int64{3, 1, 0, 2}, Den: [4]int64{4, 1, 0, 3}, ReviewNum: "87.35", ReviewValue: "0.8735"}},
		{Subject: `a"b`, Name: "<x>"},
		{Subject: "s4", Name: "大桥镇", Scored: true, ScoreCenti: 7880, Band: "small", Labels: `[{"label":"整改","reason":"2026Q2与本期连续为poor"}]`,
			Ratios: scoring.Ratios{Num: [4]int64{9, 8, 67, 0}, Den: [4]int64{10, 10, 9, 0}, SatScale: 10, Insufficient: 4}},
	} {
		if got, want := AppendScore(nil, r, 4, "good"), AppendRow(nil, FromScore(r, 4, "good")); string(got) != string(want) {
			t.Errorf("\n got  %s\n want %s", got, want)
		}
	}
}
