package main

import (
	"errors"
	"log/slog"
	"net/http"

	"kaoping/pkg/obs"
	"kaoping/pkg/period"
	"kaoping/pkg/store"
	"kaoping/services/scorer/internal/diff"
	"kaoping/services/scorer/internal/runner"
)

// runDiff answers GET /v1/runs/{id}/diff: a correction run's changes
// against the final run, any other run's against the previous done run of
// its period and model (SPEC §5). A run that is not done answers 409. The
// diff is stored the first time it is made, once it cannot change (a
// correction run's when it ends: Runner.Diff). With
// ?against=RUN it is a what-if: the changes from any done run of the same
// period, of any model (400 for another period), made each time.
func runDiff(r *runner.Runner, st *store.Store, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		run, ok := doneRun(w, req, st, log, req.PathValue("id"))
		if !ok {
			return
		}
		if q := req.URL.Query(); q.Has("against") {
			whatIf(w, req, r, st, log, run, q.Get("against"))
			return
		}
		b, err := r.Diff(req.Context(), run)
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		writeJSONBody(w, b)
	}
}

// doneRun reads a run that must be done: 404 when there is none, 409 when it
// is not done.
func doneRun(w http.ResponseWriter, req *http.Request, st *store.Store, log *slog.Logger, id string) (store.Run, bool) {
	run, err := st.Run(req.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		obs.WriteError(w, http.StatusNotFound, "no run "+id)
	case err != nil:
		obs.Fail(w, req, log, err)
	case run.Status != store.StatusDone:
		obs.WriteError(w, http.StatusConflict, "run "+run.ID+" is "+run.Status+", not done")
	default:
		return run, true
	}
	return store.Run{}, false
}

// whatIf answers GET /v1/runs/{id}/diff?against=RUN: run compared with any
// done run of its period, two models on the same events included.
func whatIf(w http.ResponseWriter, req *http.Request, r *runner.Runner, st *store.Store, log *slog.Logger, run store.Run, againstID string) {
	if againstID == "" {
		obs.WriteError(w, http.StatusBadRequest, "against must be a run id")
		return
	}
	against, ok := doneRun(w, req, st, log, againstID)
	if !ok {
		return
	}
	if against.Period != run.Period {
		obs.WriteError(w, http.StatusBadRequest, "run "+against.ID+" is of period "+against.Period+", not "+run.Period+": a diff compares runs of one period")
		return
	}
	p, err := period.Parse(run.Period, r.Location(run.Model))
	if err != nil {
		obs.Fail(w, req, log, err)
		return
	}
	d, err := diff.WhatIf(req.Context(), st, p, run, against)
	if err != nil {
		obs.Fail(w, req, log, err)
		return
	}
	b, err := diff.Encode(d)
	if err != nil {
		obs.Fail(w, req, log, err)
		return
	}
	writeJSONBody(w, b)
}

func writeJSONBody(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
