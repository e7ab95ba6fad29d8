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
func (r *Runner) saveResults(ctx context.Context, run store.Run, ev *scoring.Evaluator) (scoring.Counts, error) {
	rows := make([]store.ScoreRow, ev.Subjects())
	ev.RatiosOnly()
	// Two workers: the composites of 325,000 subjects are exact rationals.
	counts := ev.FinishParallel(2, func(i int, x *scoring.Result) {
		rows[i] = store.ScoreRowOf(run.ID, x)
	})
	store.Place(r.model, rows)
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
