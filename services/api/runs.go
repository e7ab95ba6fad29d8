package main

import (
	"context"
	"net/http"
	"time"

	"kaoping/pkg/obs"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// served is the run a read is answered from, with its period and finality:
// whether the period is final, and what the run is to it (status).
type served struct {
	run    store.Run
	period period.Period
	model  *scoring.Model
	final  bool
	status string
	// finalRun is the period's final run, when final.
	finalRun scoring.RunRef
}

func (h *handlers) model(version string) (*scoring.Model, error) {
	if m, ok := h.models.Load(version); ok {
		return m.(*scoring.Model), nil
	}
	m, err := scoring.LoadModel(version)
	if err != nil {
		return nil, err
	}
	h.models.Store(version, m)
	return m, nil
}

// pickRun finds the run of ?run=ID, or the period's newest done run.
func (h *handlers) pickRun(r *http.Request) (served, error) {
	q := r.URL.Query()
	return h.servedRun(r.Context(), q.Get("period"), q.Get("run"))
}

// servedRun finds the run runID of period label, or the period's newest done
// run when runID is "".
func (h *handlers) servedRun(ctx context.Context, label, runID string) (served, error) {
	if label == "" {
		return served{}, obs.Errorf(http.StatusBadRequest, "period is required (2026, 2026Q3 or 2026-07)")
	}
	m, err := h.model(scoring.DefaultVersion)
	if err != nil {
		return served{}, err
	}
	p, err := period.Parse(label, m.Location)
	if err != nil {
		return served{}, obs.Errorf(http.StatusBadRequest, "%s", err)
	}
	state, err := h.periodState(ctx, label)
	if err != nil {
		return served{}, err
	}
	all := state.runs
	var run store.Run
	switch id := runID; {
	case id != "":
		found := false
		for _, x := range all {
			if x.ID == id {
				run, found = x, true
			}
		}
		if !found {
			return served{}, obs.Errorf(http.StatusNotFound, "no run %s of period %s", id, label)
		}
		if run.Status != store.StatusDone {
			return served{}, obs.Errorf(http.StatusNotFound, "run %s is %s, not done", id, run.Status)
		}
	default:
		found := false
		for _, x := range all { // oldest first: the last done one is the newest
			if x.Status == store.StatusDone {
				run, found = x, true
			}
		}
		if !found {
			return served{}, obs.Errorf(http.StatusNotFound, "period %s has no done run yet", label)
		}
	}
	if m, err = h.model(run.Model); err != nil {
		return served{}, err
	}
	finalRun, final := scoring.FinalOf(p, store.DoneRuns(all), state.finalizations, time.Now().UnixNano())
	status := scoring.StatusOf(scoring.RunRef{ID: run.ID, AsOfNs: run.AsOfNs}, finalRun, final)
	return served{run: run, period: p, model: m, final: final, status: status, finalRun: finalRun}, nil
}

// periodState is what choosing a period's run reads: its runs and its
// explicit finalisation, as of a version of the period.
type periodState struct {
	version       [2]int64
	runs          []store.Run
	finalizations []scoring.Finalization
	checked       time.Time
}

// freshFor is how long what was read of a period is used without asking
// whether it changed: at 200 reads a second, one in ten asks.
const freshFor = 50 * time.Millisecond

// periodState reads a period's runs, or reuses those read before: without a
// question for freshFor, then while the period's version (store.PeriodVersion,
// one cheap query) has not changed. A ranking read 200 times a second costs
// ClickHouse the page and a few version checks; a run that ends, or a
// finalisation, is seen by every read that starts freshFor later.
func (h *handlers) periodState(ctx context.Context, label string) (periodState, error) {
	var cached periodState
	if v, ok := h.states.Load(label); ok {
		cached = v.(periodState)
		if time.Since(cached.checked) < freshFor {
			return cached, nil
		}
	}
	now := time.Now()
	version, err := h.store.PeriodVersion(ctx, label)
	if err != nil {
		return periodState{}, err
	}
	st := cached
	if st.runs == nil || st.version != version {
		st = periodState{version: version}
		if st.runs, err = h.store.Runs(ctx, label); err != nil {
			return st, err
		}
		if st.finalizations, err = h.store.Finalizations(ctx, label, scoring.DefaultVersion); err != nil {
			return st, err
		}
	}
	st.checked = now
	h.states.Store(label, st)
	return st, nil
}
