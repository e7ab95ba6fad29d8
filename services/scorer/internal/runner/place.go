package runner

import (
	"context"

	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// scoreBatch is how many placed results one insert carries.
const scoreBatch = 50_000

// saveResults finishes the evaluation, places every subject among all the
// peers of its level (SPEC §5 "Ranking": the units of that level, or the
// cadres whose unit is of it) and stores the rows in batches, so that the api
// reads only the rows it returns. A row keeps numbers and references to the
// tree's strings: a province's 325,000 rows are some 100 MB while they are
// placed.
func (r *Runner) saveResults(ctx context.Context, m *scoring.Model, run store.Run, ev *scoring.Evaluator) (scoring.Counts, error) {
	rows := make([]store.ScoreRow, ev.Subjects())
	ev.RatiosOnly()
	// Two workers: the composites of 325,000 subjects are exact rationals.
	counts := ev.FinishParallel(2, func(i int, x *scoring.Result) {
		d := &x.Detail
		rows[i] = store.ScoreRow{RunID: run.ID, Kind: x.Kind, Level: x.Level, Subject: x.ID, Name: x.Name, Unit: x.Unit,
			Path: x.Path, Scored: x.Scored, ScoreCenti: x.ScoreCenti, Ratios: x.Ratios, Base: d.Base,
			PenaltyPoints: d.PenaltyPoints, Penalty: d.Penalty, Pending: d.Pending}
	})
	place(m, rows)
	// Two inserts at a time: ClickHouse takes one while the next is encoded.
	errs := make(chan error, 2)
	inFlight := 0
	var err error
	for i := 0; i < len(rows); i += scoreBatch {
		if inFlight == 2 {
			if e := <-errs; e != nil && err == nil {
				err = e
			}
			inFlight--
		}
		batch := rows[i:min(i+scoreBatch, len(rows))]
		go func() { errs <- r.store.SaveScores(ctx, batch) }()
		inFlight++
	}
	for ; inFlight > 0; inFlight-- {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return counts, err
}

// place ranks and grades each level's peers with the model and writes every
// row's place, rank and grade.
func place(m *scoring.Model, rows []store.ScoreRow) {
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
			entries[j] = scoring.Entry{ID: r.Subject, Scored: r.Scored, ScoreCenti: r.ScoreCenti}
			at[r.Subject] = i
		}
		for pos, x := range m.Rank(entries) {
			r := &rows[at[x.ID]]
			r.Pos, r.Rank, r.Grade = pos, x.Rank, x.Grade
		}
	}
}
