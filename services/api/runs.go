package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
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

// model is the model a run was made with: the built-in file of its version
// when the hashes agree, else the copy of the file the run stored (a model
// from KAOPING_SCORER_MODELS_DIR, or a built-in one changed since), so the
// api ranks and explains a run by exactly the file that made it.
func (h *handlers) model(ctx context.Context, run store.Run) (*scoring.Model, error) {
	key := run.Model + "\x00" + run.ModelSHA256
	if m, ok := h.models.Load(key); ok {
		return m.(*scoring.Model), nil
	}
	m, err := scoring.LoadModel(run.Model)
	if err != nil || (run.ModelSHA256 != "" && m.SHA256 != run.ModelSHA256) {
		file, ferr := h.store.ModelFile(ctx, run.ModelSHA256)
		switch {
		case ferr == nil:
			if m, err = scoring.ParseModel(file); err != nil {
				return nil, fmt.Errorf("model file of run %s: %w", run.ID, err)
			}
		case err == nil && errors.Is(ferr, store.ErrNotFound):
			// A run stored before runs kept their model's file: its version's built-in file.
		case err != nil && errors.Is(ferr, store.ErrNotFound):
			return nil, fmt.Errorf("run %s: model %s is neither built in nor stored", run.ID, run.Model)
		default:
			return nil, ferr
		}
	}
	h.models.Store(key, m)
	return m, nil
}

// modelParam is the model= of a request: a version, default kp-2026.1.
func modelParam(q url.Values) (string, error) {
	vs, ok := q["model"]
	switch {
	case !ok:
		return scoring.DefaultVersion, nil
	case len(vs) > 1 || vs[0] == "" || len(vs[0]) > 64:
		return "", obs.Errorf(http.StatusBadRequest, "model must be one model version, e.g. %s", scoring.DefaultVersion)
	}
	return vs[0], nil
}

// pickRun finds the run of ?run=ID, or the period's newest done run of the
// model (model=, default kp-2026.1): results of different models are never
// mixed, so a run= of another model than a model= given is refused.
func (h *handlers) pickRun(r *http.Request) (served, error) {
	q := r.URL.Query()
	version, err := requestModel(q)
	if err != nil {
		return served{}, err
	}
	return h.servedRun(r.Context(), q.Get("period"), q.Get("run"), version)
}

// requestModel is the model a request asks for: model=, default kp-2026.1,
// or "" (the run's own model) for a run= without model=.
func requestModel(q url.Values) (string, error) {
	version, err := modelParam(q)
	if err != nil {
		return "", err
	}
	if _, given := q["model"]; q.Get("run") != "" && !given {
		return "", nil
	}
	return version, nil
}

// defaultModel is the built-in default model, loaded once: loading one costs
// about 1.5 ms and 170 kB, more than a cached ranking read.
var defaultModel = sync.OnceValues(func() (*scoring.Model, error) { return scoring.LoadModel(scoring.DefaultVersion) })

// servedRun finds the run runID of period label, or the period's newest done
// run of the model version when runID is ""; version "" (with a runID) takes
// the run's own model.
func (h *handlers) servedRun(ctx context.Context, label, runID, version string) (served, error) {
	if label == "" {
		return served{}, obs.Errorf(http.StatusBadRequest, "period is required (2026, 2026Q3 or 2026-07)")
	}
	id := runID
	def, err := defaultModel()
	if err != nil {
		return served{}, err
	}
	// Period labels are read in the default model's time zone: a label names
	// the same interval for every shipped model (all Asia/Shanghai); the
	// run's own zone is applied below.
	if _, err := period.Parse(label, def.Location); err != nil {
		return served{}, obs.Errorf(http.StatusBadRequest, "%s", err)
	}
	all, err := h.periodRuns(ctx, label)
	if err != nil {
		return served{}, err
	}
	var run store.Run
	switch {
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
		if version != "" && run.Model != version {
			return served{}, obs.Errorf(http.StatusBadRequest, "run %s is of model %s, not %s", id, run.Model, version)
		}
	default:
		found := false
		for _, x := range all { // oldest first: the last done one is the newest
			if x.Status == store.StatusDone && x.Model == version {
				run, found = x, true
			}
		}
		if !found {
			return served{}, obs.Errorf(http.StatusNotFound, "period %s has no done run of model %s yet", label, version)
		}
	}
	m, err := h.model(ctx, run)
	if err != nil {
		return served{}, err
	}
	p, err := period.Parse(label, m.Location)
	if err != nil {
		return served{}, obs.Errorf(http.StatusBadRequest, "%s", err)
	}
	state, err := h.periodState(ctx, label, run.Model)
	if err != nil {
		return served{}, err
	}
	var same []store.Run
	for _, x := range state.runs {
		if x.Model == run.Model {
			same = append(same, x)
		}
	}
	finalRun, final := scoring.FinalOf(p, store.DoneRuns(same), state.finalizations, time.Now().UnixNano())
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
func (h *handlers) periodState(ctx context.Context, label, model string) (periodState, error) {
	key := label + "\x00" + model
	var cached periodState
	if v, ok := h.states.Load(key); ok {
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
		if st.finalizations, err = h.store.Finalizations(ctx, label, model); err != nil {
			return st, err
		}
	}
	st.checked = now
	h.states.Store(key, st)
	return st, nil
}

// periodRuns are a period's runs, of every model (periodState of the
// default model holds them all).
func (h *handlers) periodRuns(ctx context.Context, label string) ([]store.Run, error) {
	st, err := h.periodState(ctx, label, scoring.DefaultVersion)
	return st.runs, err
}
