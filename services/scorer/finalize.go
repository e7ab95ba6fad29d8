package main

import (
	"log/slog"
	"net/http"
	"time"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/pkg/period"
	"kaoping/pkg/store"
	"kaoping/services/scorer/internal/runner"
)

// finalize answers POST /v1/periods/{period}/finalize: the period's newest done
// run is frozen and later runs are corrections. A period with no done run
// cannot be final (409); finalising a final period changes nothing.
func finalize(r *runner.Runner, st *store.Store, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		p, err := period.Parse(req.PathValue("period"), r.Model().Location)
		if err != nil {
			obs.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		runs, err := st.Runs(req.Context(), p.Label)
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		if len(store.DoneRuns(runs)) == 0 {
			obs.WriteError(w, http.StatusConflict, "period "+p.Label+" has no done run to finalise")
			return
		}
		now := time.Now()
		ref, final, err := st.FinalRun(req.Context(), p, runs, now)
		if err == nil && !final {
			if err = st.Finalize(req.Context(), p.Label, now, auth.Principal(req.Context())); err == nil {
				ref, final, err = st.FinalRun(req.Context(), p, runs, now)
			}
		}
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		obs.WriteJSON(w, http.StatusOK, map[string]any{"period": p.Label, "final": final, "run_id": ref.ID})
	}
}
