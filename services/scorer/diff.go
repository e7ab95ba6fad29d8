package main

import (
	"bytes"
	"encoding/json"
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
// diff is stored the first time it is made, once it cannot change. With
// ?against=RUN it is a what-if: the changes from any done run of the same
// period, of any model (400 for another period), made each time.
func runDiff(r *runner.Runner, st *store.Store, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		run, ok := doneRun(w, req, st, log, req.PathValue("id"))
		if !ok {
			return
		}
		if q := req.URL.Query(); q.Has("against") {
			whatIf(w, req, r, st, log, run, q.Get("against"))
			return
		}
		if _, body, err := st.Diff(ctx, run.ID); err == nil {
			writeJSONBody(w, body)
			return
		} else if !errors.Is(err, store.ErrNotFound) {
			obs.Fail(w, req, log, err)
			return
		}
		p, err := period.Parse(run.Period, r.Location(run.Model))
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		against, settled, err := r.Against(ctx, run)
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		d, err := diff.Compute(ctx, st, p, run, against)
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		b, err := encodeDiff(d)
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		if settled {
			againstID := ""
			if against != nil {
				againstID = against.ID
			}
			if err := st.SaveDiff(ctx, run.ID, againstID, b); err != nil {
				log.Warn("diff not stored; it is made again next time", "run", run.ID, "err", err)
			}
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
	b, err := encodeDiff(d)
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

// encodeDiff writes a diff as JSON, names and reasons as they are (no HTML
// escapes: 「<」 in a name stays itself).
func encodeDiff(d any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
