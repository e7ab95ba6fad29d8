// Package ranking turns one run's stored results into the ranking of SPEC §5:
// the peers of a level (units of that level, or cadres whose unit is of that
// level), narrowed to a subtree, ordered and graded by the model.
package ranking

import (
	"encoding/json"
	"fmt"

	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// Levels are the levels of the organisation tree, top down.
var Levels = []string{"province", "city", "district", "street", "community", "grid"}

// ValidLevel reports whether l is a level of the tree.
func ValidLevel(l string) bool {
	for _, x := range Levels {
		if x == l {
			return true
		}
	}
	return false
}

// Row is one line of a ranking.
type Row struct {
	Rank       *int                        `json:"rank"`
	ID         string                      `json:"id"`
	Name       string                      `json:"name"`
	Score      json.RawMessage             `json:"score"`
	Grade      *string                     `json:"grade"`
	Indicators map[string]scoring.Fraction `json:"indicators"`
	// Band is the peer band the row is ranked in, and Labels its labels
	// ([{"label","reason"}]), for a model that declares them; left out
	// otherwise.
	Band   string          `json:"band,omitempty"`
	Labels json.RawMessage `json:"labels,omitempty"`
}

// Peers picks the results of the level, inside parent's subtree when parent is
// not "" (parent itself included when it is of that level).
func Peers(results []store.Result, level, parent string) []store.Result {
	var out []store.Result
	for _, r := range results {
		if r.Level != level {
			continue
		}
		if parent != "" && !contains(r.Path, parent) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Rank orders and grades peers with the model; ranks and the excellent quota
// are computed within peers.
func Rank(m *scoring.Model, peers []store.Result) ([]Row, error) {
	byID := make(map[string]store.Result, len(peers))
	entries := make([]scoring.Entry, len(peers))
	for i, r := range peers {
		byID[r.Subject] = r
		entries[i] = scoring.Entry{ID: r.Subject, Scored: r.Scored, ScoreCenti: r.ScoreCenti}
	}
	rows := make([]Row, 0, len(peers))
	for _, x := range m.Rank(entries) {
		r := byID[x.ID]
		var detail scoring.Detail
		if err := json.Unmarshal([]byte(r.Detail), &detail); err != nil {
			return nil, fmt.Errorf("result of %s: %w", r.Subject, err)
		}
		row := Row{ID: r.Subject, Name: r.Name, Score: json.RawMessage("null"), Indicators: detail.Indicators}
		if x.Scored {
			rank, grade := x.Rank, x.Grade
			row.Rank, row.Grade = &rank, &grade
			row.Score = json.RawMessage(scoring.FormatCenti(x.ScoreCenti))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func contains(path []string, id string) bool {
	for _, p := range path {
		if p == id {
			return true
		}
	}
	return false
}

// FromScore is the ranking row of a placed result with a rank and grade:
// those stored with it (among all the peers of its level) or those of a
// narrower ranking. An unscored subject has neither.
func FromScore(r store.ScoreRow, rank int, grade string) Row {
	row := Row{ID: r.Subject, Name: r.Name, Score: json.RawMessage("null"), Indicators: r.Ratios.Indicators(), Band: r.Band}
	if r.Labels != "" {
		row.Labels = json.RawMessage(r.Labels)
	}
	if r.Scored {
		row.Rank, row.Grade = &rank, &grade
		row.Score = json.RawMessage(scoring.FormatCenti(r.ScoreCenti))
	}
	return row
}
