package runner

import (
	"context"
	"fmt"
	"time"

	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// Schedule runs the open periods every interval until ctx ends (ScheduleOnce);
// the first round comes one interval after the start, so a scorer that starts
// again does not run everything at once. A failure is logged and tried again.
func (r *Runner) Schedule(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := r.ScheduleOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("scheduled runs not started", "err", err)
		}
	}
}

// ScheduleOnce starts a provisional run of every period still open: the
// month, quarter and year now is in, and those that ended but whose grace has
// not passed (outcomes of their cases still come in). A period with a run in
// flight is left to it. Periods past their grace are finalised by
// FinalizeDue, which runs them once more. While the most runs are in flight
// (SetMaxRuns) it waits for one to end. It returns the runs started.
func (r *Runner) ScheduleOnce(ctx context.Context) ([]store.Run, error) {
	var started []store.Run
	for _, label := range openPeriods(r.now(), r.model.Location, r.finalAfter) {
		p, err := period.Parse(label, r.model.Location)
		if err != nil {
			return started, err
		}
		st, err := r.state(ctx, r.model.Version, p, r.now())
		if err != nil {
			return started, err
		}
		if st.isFinal || running(st.runs) {
			continue
		}
		run, _, err := r.StartWhenFree(ctx, r.model, label)
		if err != nil {
			return started, fmt.Errorf("start a run of %s: %w", label, err)
		}
		r.scheduled.Inc()
		r.log.Info("scheduled run", "period", label, "run", run.ID)
		started = append(started, run)
	}
	return started, nil
}

func running(runs []store.Run) bool {
	for _, x := range runs {
		if x.Status == store.StatusRunning {
			return true
		}
	}
	return false
}

// openPeriods are the labels of the month, quarter and year now is in, and of
// the ones before them while their grace lasts.
func openPeriods(now time.Time, loc *time.Location, grace time.Duration) []string {
	local := now.In(loc)
	y, m := local.Year(), int(local.Month())
	q := (m-1)/3 + 1
	current := []string{fmt.Sprintf("%d-%02d", y, m), fmt.Sprintf("%dQ%d", y, q), fmt.Sprint(y)}
	pm, py := m-1, y
	if pm == 0 {
		pm, py = 12, y-1
	}
	pq, pqy := q-1, y
	if pq == 0 {
		pq, pqy = 4, y-1
	}
	previous := []string{fmt.Sprintf("%d-%02d", py, pm), fmt.Sprintf("%dQ%d", pqy, pq), fmt.Sprint(y - 1)}
	labels := current
	for _, label := range previous {
		if p, err := period.Parse(label, loc); err == nil && now.UnixNano() < scoring.Due(p, grace) {
			labels = append(labels, label)
		}
	}
	return labels
}
