package main

import (
	"net/http"
	"time"

	"kaoping/pkg/obs"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// served is the run a read is answered from, with its period and finality.
type served struct {
	run    store.Run
	period period.Period
	model  *scoring.Model
	final  bool
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
	label := q.Get("period")
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
	all, err := h.store.Runs(r.Context(), label)
	if err != nil {
		return served{}, err
	}
	var run store.Run
	switch id := q.Get("run"); {
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
	_, final, err := h.store.FinalRun(r.Context(), p, all, time.Now())
	if err != nil {
		return served{}, err
	}
	return served{run: run, period: p, model: m, final: final}, nil
}
