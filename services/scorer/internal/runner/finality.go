package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// Kinds of runs (SPEC §5): a run of a finalised period is a correction run.
const (
	KindOrdinary   = "ordinary"
	KindCorrection = "correction"
)

// ErrNoDoneRun means a period has no done run to finalise.
var ErrNoDoneRun = errors.New("no done run to finalise")

// SetFinalAfter sets the grace after a period's end before it finalises
// itself (SPEC §5: 15 days); call it before the first run.
func (r *Runner) SetFinalAfter(d time.Duration) { r.finalAfter = d }

// state is what the finality of a period rests on: the runs of the runner's
// model, the done ones among them, and the run the period is frozen at.
type state struct {
	runs    []store.Run
	done    []scoring.RunRef
	final   scoring.RunRef
	isFinal bool
}

func (r *Runner) state(ctx context.Context, model string, p period.Period, now time.Time) (state, error) {
	all, err := r.store.Runs(ctx, p.Label)
	if err != nil {
		return state{}, err
	}
	var st state
	for _, x := range all {
		if x.Model == model {
			st.runs = append(st.runs, x)
		}
	}
	st.done = store.DoneRuns(st.runs)
	fins, err := r.store.Finalizations(ctx, p.Label, model)
	if err != nil {
		return state{}, err
	}
	st.final, st.isFinal = scoring.FinalOf(p, st.done, fins, now.UnixNano())
	return st, nil
}

// kind is a correction when the period is final at asOf.
func (r *Runner) kind(ctx context.Context, model string, p period.Period, asOf time.Time) (string, error) {
	st, err := r.state(ctx, model, p, asOf)
	if err != nil {
		return "", err
	}
	if st.isFinal {
		return KindCorrection, nil
	}
	return KindOrdinary, nil
}

// complete stores a run's end. A run that ends after its period was
// finalised is a correction run, whatever it was when it started: the final
// run is never replaced. A done run requested once the period's grace had
// passed, of a period not final yet, is the run once more that finalises it
// (SPEC §5), and is frozen at once. It returns the run as stored.
func (r *Runner) complete(ctx context.Context, run store.Run, p period.Period) store.Run {
	r.finality.Lock()
	defer r.finality.Unlock()
	now := r.now()
	var st state
	var err error
	if run.Status == store.StatusDone {
		if st, err = r.state(ctx, run.Model, p, now); err != nil {
			run.Status, run.Error = store.StatusFailed, "finality of the period unknown: "+err.Error()
		} else if st.isFinal && st.final.ID != run.ID {
			run.Kind = KindCorrection
		}
	}
	if err := r.store.SaveRun(ctx, run); err != nil {
		r.log.Error("run state not saved", "run", run.ID, "err", err)
		return run
	}
	due := scoring.Due(p, r.finalAfter)
	if run.Status != store.StatusDone || st.isFinal || now.UnixNano() < due || run.AsOfNs < due {
		return run
	}
	f := scoring.Finalization{AtNs: now.UnixNano(), RunID: run.ID, How: scoring.FinalizedAutomatically}
	if err := r.store.Finalize(ctx, p.Label, run.Model, "scorer", f); err != nil {
		r.log.Error("period not finalised", "period", p.Label, "run", run.ID, "err", err)
		return run
	}
	r.log.Info("period finalised", "period", p.Label, "run", run.ID, "how", f.How)
	return run
}

// Finalize is FinalizeModel of the default model.
func (r *Runner) Finalize(ctx context.Context, label, principal string) (scoring.RunRef, error) {
	return r.FinalizeModel(ctx, r.model.Version, label, principal)
}

// FinalizeModel freezes the period's newest done run of a model now (POST
// /v1/periods/{period}/finalize?model=…); a period final already keeps its
// final run. Each model's period is final on its own (SPEC §5). It returns
// the final run, or ErrNoDoneRun.
func (r *Runner) FinalizeModel(ctx context.Context, model, label, principal string) (scoring.RunRef, error) {
	p, err := period.Parse(label, r.location(model))
	if err != nil {
		return scoring.RunRef{}, err
	}
	r.finality.Lock()
	defer r.finality.Unlock()
	now := r.now()
	st, err := r.state(ctx, model, p, now)
	switch {
	case err != nil:
		return scoring.RunRef{}, err
	case st.isFinal:
		return st.final, nil
	case len(st.done) == 0:
		return scoring.RunRef{}, fmt.Errorf("period %s: %w", label, ErrNoDoneRun)
	}
	newest := st.done[0]
	for _, x := range st.done[1:] {
		if x.AsOfNs > newest.AsOfNs || (x.AsOfNs == newest.AsOfNs && x.ID > newest.ID) {
			newest = x
		}
	}
	f := scoring.Finalization{AtNs: now.UnixNano(), RunID: newest.ID, How: scoring.FinalizedExplicitly}
	if err := r.store.Finalize(ctx, label, model, principal, f); err != nil {
		return scoring.RunRef{}, err
	}
	r.log.Info("period finalised", "period", label, "run", newest.ID, "how", f.How, "principal", principal)
	return newest, nil
}

// FinalizeDue finalises the periods whose grace has passed, for every loaded
// model that has runs of them (each model's period is final on its own): one
// with a done run requested since is frozen at the newest such run; one
// without has the run once more started (its end freezes it, see complete),
// unless a run of it is in flight. A period that never had a run of the
// model is not final for it (SPEC §5). It returns the runs started.
func (r *Runner) FinalizeDue(ctx context.Context) ([]store.Run, error) {
	var started []store.Run
	for _, m := range r.Models() {
		runs, err := r.finalizeDue(ctx, m)
		started = append(started, runs...)
		if err != nil {
			return started, err
		}
	}
	return started, nil
}

func (r *Runner) finalizeDue(ctx context.Context, m *scoring.Model) ([]store.Run, error) {
	labels, err := r.store.RunPeriods(ctx, m.Version)
	if err != nil {
		return nil, err
	}
	var started []store.Run
	for _, label := range labels {
		p, err := period.Parse(label, m.Location)
		if err != nil {
			continue
		}
		due := scoring.Due(p, r.finalAfter)
		if r.now().UnixNano() < due {
			continue
		}
		run, err := r.finalizeOne(ctx, m, p, due)
		if err != nil {
			return started, fmt.Errorf("finalise %s: %w", label, err)
		}
		if run.ID != "" {
			started = append(started, run)
		}
	}
	return started, nil
}

func (r *Runner) finalizeOne(ctx context.Context, m *scoring.Model, p period.Period, due int64) (store.Run, error) {
	r.finality.Lock()
	st, err := r.state(ctx, m.Version, p, r.now())
	if err != nil || st.isFinal {
		r.finality.Unlock()
		return store.Run{}, err
	}
	var since *scoring.RunRef
	for i, x := range st.done {
		if x.AsOfNs >= due && (since == nil || x.AsOfNs > since.AsOfNs) {
			since = &st.done[i]
		}
	}
	if since != nil {
		f := scoring.Finalization{AtNs: r.now().UnixNano(), RunID: since.ID, How: scoring.FinalizedAutomatically}
		err := r.store.Finalize(ctx, p.Label, m.Version, "scorer", f)
		r.finality.Unlock()
		if err == nil {
			r.log.Info("period finalised", "period", p.Label, "run", since.ID, "how", f.How)
		}
		return store.Run{}, err
	}
	for _, x := range st.runs {
		if x.Status == store.StatusRunning {
			r.finality.Unlock()
			return store.Run{}, nil // its end finalises the period
		}
	}
	r.finality.Unlock()
	run, _, err := r.StartWhenFree(ctx, m, p.Label)
	if err == nil {
		r.scheduled.Inc()
		r.log.Info("period due: running it once more to finalise it", "period", p.Label, "model", m.Version, "run", run.ID)
	}
	return run, err
}

// FailInterrupted marks failed, with the reason, every run left running by a
// scorer that stopped before it ended (SPEC §5: a run never stays running).
// Call it when the scorer starts, before it takes runs: one scorer serves a
// database, so a run running then is nobody's.
func (r *Runner) FailInterrupted(ctx context.Context) (int, error) {
	runs, err := r.store.Runs(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, run := range runs {
		if run.Status != store.StatusRunning {
			continue
		}
		run.Status, run.Error, run.UpdatedNs = store.StatusFailed, "the scorer stopped before the run ended", 0
		if err := r.store.SaveRun(ctx, run); err != nil {
			return n, err
		}
		r.runs.WithLabelValues(run.Status).Inc()
		r.log.Warn("run left running by a scorer that stopped: failed", "run", run.ID, "period", run.Period)
		n++
	}
	return n, nil
}

// FinalizeEvery finalises the periods past their grace (FinalizeDue) now and
// every interval until ctx ends; a failure is logged and tried again.
func (r *Runner) FinalizeEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := r.FinalizeDue(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("periods past their grace not finalised", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Against returns the run a run's diff compares it with (SPEC §5): for a
// correction run, the period's final run; for any other, the previous done
// run of its period and model by instant (nil for the first). settled is
// false while a run requested before it is still running: the answer may
// change when that one ends.
func (r *Runner) Against(ctx context.Context, run store.Run) (against *store.Run, settled bool, err error) {
	p, err := period.Parse(run.Period, r.location(run.Model))
	if err != nil {
		return nil, false, err
	}
	st, err := r.state(ctx, run.Model, p, r.now())
	if err != nil {
		return nil, false, err
	}
	if run.Kind == KindCorrection && st.isFinal {
		for i := range st.runs {
			if st.runs[i].ID == st.final.ID {
				return &st.runs[i], true, nil
			}
		}
	}
	settled = true
	before := func(a, b store.Run) bool { return a.AsOfNs < b.AsOfNs || (a.AsOfNs == b.AsOfNs && a.ID < b.ID) }
	for i, x := range st.runs {
		switch {
		case x.ID == run.ID || !before(x, run):
		case x.Status == store.StatusRunning:
			settled = false
		case x.Status == store.StatusDone && (against == nil || before(*against, x)):
			against = &st.runs[i]
		}
	}
	return against, settled, nil
}
