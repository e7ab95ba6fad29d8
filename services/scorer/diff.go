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
// diff is stored the first time it is made, once it cannot change.
func runDiff(r *runner.Runner, st *store.Store, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		run, err := st.Run(ctx, req.PathValue("id"))
		switch {
		case errors.Is(err, store.ErrNotFound):
			obs.WriteError(w, http.StatusNotFound, "no run "+req.PathValue("id"))
			return
		case err != nil:
			obs.Fail(w, req, log, err)
			return
		case run.Status != store.StatusDone:
			obs.WriteError(w, http.StatusConflict, "run "+run.ID+" is "+run.Status+", not done")
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
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(d); err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		if settled {
			againstID := ""
			if against != nil {
				againstID = against.ID
			}
			if err := st.SaveDiff(ctx, run.ID, againstID, b.Bytes()); err != nil {
				log.Warn("diff not stored; it is made again next time", "run", run.ID, "err", err)
			}
		}
		writeJSONBody(w, b.Bytes())
	}
}

func writeJSONBody(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
