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
	} {
		if got, want := AppendScore(nil, r, 4, "good"), AppendRow(nil, FromScore(r, 4, "good")); string(got) != string(want) {
			t.Errorf("\n got  %s\n want %s", got, want)
		}
	}
}
