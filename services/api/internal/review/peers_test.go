package review

import (
	"encoding/json"
	"testing"

	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/ranking"
)

func TestPeers(t *testing.T) {
	row := func(rank int, score, response string) ranking.Row {
		r := ranking.Row{ID: "u" + score, Name: "单位", Score: json.RawMessage("null"), Indicators: map[string]scoring.Fraction{}}
		if rank > 0 {
			g := "good"
			r.Rank, r.Grade, r.Score = &rank, &g, json.RawMessage(score)
		}
		if response != "" {
			r.Indicators[scoring.ResponseRate] = scoring.Fraction{Num: "1", Den: "1", Value: response}
		}
		return r
	}
	for _, tt := range []struct {
		name                     string
		rows                     []ranking.Row
		median, best, rMed, rBst string
		top                      int
	}{
		{"odd count", []ranking.Row{row(1, "90", "1"), row(2, "80.5", "0.5"), row(3, "70", "0.25")}, "80.5", "90", "0.5", "1", 3},
		{"even count: mean of the middle two, half up", []ranking.Row{row(1, "90.01", "0.3333"), row(2, "80", "0.3334"), row(3, "79.99", ""), row(4, "10", "")}, "80", "90.01", "0.3334", "0.3334", 4},
		{"unscored peers left out of the score", []ranking.Row{row(1, "60", "0.6"), row(0, "", "0.9")}, "60", "60", "0.75", "0.9", 1},
		{"no peers", nil, "", "", "", "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := Peers(tt.rows)
			r := st.Indicators[scoring.ResponseRate]
			if st.Score.Median != tt.median || st.Score.Best != tt.best || r.Median != tt.rMed || r.Best != tt.rBst || len(st.Top) != tt.top {
				t.Fatalf("got score %+v response %+v top %d", st.Score, r, len(st.Top))
			}
		})
	}
	var many []ranking.Row
	for i := range 15 {
		many = append(many, row(i+1, "50", ""))
	}
	if got := Peers(many).Top; len(got) != 10 || got[9].Rank != 10 {
		t.Errorf("top ten of 15: %+v", got)
	}
}
