package runner

import (
	"context"

	"kaoping/pkg/period"
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
		rows[i] = store.ScoreRowOf(run.ID, m, x)
	})
	store.Place(m, rows)
	if err := r.label(ctx, m, run, rows); err != nil {
		return counts, err
	}
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

// label gives every row the model's labels (none when the model declares
// none), computed per peer group (kind, level and band) from the ranking just
// placed and the previous period of the same kind: its final run when it is
// final, else its newest done run of the model.
func (r *Runner) label(ctx context.Context, m *scoring.Model, run store.Run, rows []store.ScoreRow) error {
	if len(m.LabelRules) == 0 {
		return nil
	}
	p, err := period.Parse(run.Period, m.Location)
	if err != nil {
		return err
	}
	prevLabel, prev, err := r.previousStandings(ctx, m, p)
	if err != nil {
		return err
	}
	type group struct{ kind, level, band string }
	groups := map[group][]int{}
	for i := range rows {
		k := group{rows[i].Kind, rows[i].Level, rows[i].Band}
		groups[k] = append(groups[k], i)
	}
	for k, idx := range groups {
		standings := make([]scoring.Standing, len(idx))
		for j, i := range idx {
			x := &rows[i]
			standings[j] = scoring.Standing{ID: x.Subject, Scored: x.Scored, ScoreCenti: x.ScoreCenti, Rank: x.Rank, Grade: x.Grade}
		}
		labels := m.Labels(standings, prev[k.kind], prevLabel)
		for _, i := range idx {
			rows[i].Labels = scoring.LabelsJSON(labels[rows[i].Subject])
		}
	}
	return nil
}

// previousStandings are the standings, by subject kind and id, of the run a
// period's labels look back to (see label); prevLabel is "" when there is
// none.
func (r *Runner) previousStandings(ctx context.Context, m *scoring.Model, p period.Period) (string, map[string]map[string]scoring.Standing, error) {
	pp, ok := p.Previous()
	if !ok {
		return "", nil, nil
	}
	label := pp.Label
	st, err := r.state(ctx, m.Version, pp, r.now())
	if err != nil {
		return "", nil, err
	}
	var id string
	if st.isFinal {
		id = st.final.ID
	} else {
		var newest scoring.RunRef
		for _, x := range st.done {
			if x.AsOfNs > newest.AsOfNs || (x.AsOfNs == newest.AsOfNs && x.ID > newest.ID) {
				newest = x
			}
		}
		id = newest.ID
	}
	if id == "" {
		return "", nil, nil
	}
	rows, err := r.store.Standings(ctx, id)
	if err != nil {
		return "", nil, err
	}
	out := map[string]map[string]scoring.Standing{}
	for _, x := range rows {
		if out[x.Kind] == nil {
			out[x.Kind] = map[string]scoring.Standing{}
		}
		out[x.Kind][x.Subject] = scoring.Standing{ID: x.Subject, Scored: x.Scored, ScoreCenti: x.ScoreCenti, Rank: x.Rank, Grade: x.Grade}
	}
	return label, out, nil
}
