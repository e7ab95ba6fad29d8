package main

import (
	"errors"
	"log/slog"
	"net/http"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/pkg/period"
	"kaoping/services/scorer/internal/runner"
)

// finalize answers POST /v1/periods/{period}/finalize[?model=…]: the
// period's newest done run of the model (default: the scorer's) is frozen
// and runs of it that end later are corrections. A period with no
// done run cannot be final (409); finalising a final period changes nothing.
func finalize(r *runner.Runner, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		m, err := modelParam(r, req.URL.Query().Get("model"))
		if err != nil {
			obs.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		p, err := period.Parse(req.PathValue("period"), m.Location)
		if err != nil {
			obs.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		ref, err := r.FinalizeModel(req.Context(), m.Version, p.Label, auth.Principal(req.Context()))
		switch {
		case errors.Is(err, runner.ErrNoDoneRun):
			obs.WriteError(w, http.StatusConflict, "period "+p.Label+" has no done run to finalise")
		case err != nil:
			obs.Fail(w, req, log, err)
		default:
			obs.WriteJSON(w, http.StatusOK, map[string]any{"period": p.Label, "model": m.Version, "final": true, "run_id": ref.ID})
		}
	}
}
