package runner

import (
	"context"
	"errors"

	"kaoping/pkg/period"
	"kaoping/pkg/store"
	"kaoping/services/scorer/internal/diff"
)

// Diff is the JSON diff of a done run (SPEC §5): a correction run's changes
// against the final run, any other run's against the previous done run of its
// period and model. It is read from the store when it was stored; else it is
// made, and stored once it cannot change any more (no earlier run of the
// period still running), so it is made once.
func (r *Runner) Diff(ctx context.Context, run store.Run) ([]byte, error) {
	if _, body, err := r.store.Diff(ctx, run.ID); err == nil {
		return body, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	p, err := period.Parse(run.Period, r.location(run.Model))
	if err != nil {
		return nil, err
	}
	against, settled, err := r.Against(ctx, run)
	if err != nil {
		return nil, err
	}
	d, err := diff.Compute(ctx, r.store, p, run, against)
	if err != nil {
		return nil, err
	}
	b, err := diff.Encode(d)
	if err != nil {
		return nil, err
	}
	if settled {
		againstID := ""
		if against != nil {
			againstID = against.ID
		}
		if err := r.store.SaveDiff(ctx, run.ID, againstID, b); err != nil {
			r.log.Warn("diff not stored; it is made again next time", "run", run.ID, "err", err)
		}
	}
	return b, nil
}
