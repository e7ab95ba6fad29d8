package store

import "kaoping/pkg/scoring"

// ScoreRowOf is the stored row of a run's result, in its model's peer band,
// not placed yet (Place).
func ScoreRowOf(runID string, m *scoring.Model, x *scoring.Result) ScoreRow {
	d := &x.Detail
	return ScoreRow{RunID: runID, Kind: x.Kind, Level: x.Level, Subject: x.ID, Name: x.Name, Unit: x.Unit,
		Path: x.Path, Scored: x.Scored, ScoreCenti: x.ScoreCenti, Ratios: x.Ratios, Base: d.Base,
		PenaltyPoints: d.PenaltyPoints, Penalty: d.Penalty, Pending: d.Pending, Band: m.BandOf(x.Cases)}
}

// Place ranks and grades each level's peers with the model (within their
// caseload band when it declares bands) and writes every row's place, rank
// and grade.
func Place(m *scoring.Model, rows []ScoreRow) {
	type peers struct{ kind, level string }
	groups := map[peers][]int{}
	for i := range rows {
		k := peers{rows[i].Kind, rows[i].Level}
		groups[k] = append(groups[k], i)
	}
	for _, idx := range groups {
		entries := make([]scoring.Entry, len(idx))
		at := make(map[string]int, len(idx))
		for j, i := range idx {
			r := &rows[i]
			entries[j] = scoring.Entry{ID: r.Subject, Scored: r.Scored, ScoreCenti: r.ScoreCenti, Band: r.Band}
			at[r.Subject] = i
		}
		for pos, x := range m.Rank(entries) {
			r := &rows[at[x.ID]]
			r.Pos, r.Rank, r.Grade = pos, x.Rank, x.Grade
		}
	}
}
