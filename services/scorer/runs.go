package main

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"kaoping/pkg/obs"
	"kaoping/pkg/period"
	"kaoping/pkg/store"
	"kaoping/services/scorer/internal/runner"
)

// runJSON is a run as the API shows it.
type runJSON struct {
	ID          string          `json:"id"`
	Period      string          `json:"period"`
	Model       string          `json:"model"`
	ModelSHA256 string          `json:"model_sha256"`
	Kind        string          `json:"kind"`
	AsOf        string          `json:"as_of"`
	HighWater   uint64          `json:"high_water"`
	Status      string          `json:"status"`
	Error       string          `json:"error,omitempty"`
	Counts      json.RawMessage `json:"counts"`
}

func toJSON(r store.Run) runJSON {
	counts := json.RawMessage(r.Counts)
	if !json.Valid(counts) {
		counts = json.RawMessage("{}")
	}
	return runJSON{ID: r.ID, Period: r.Period, Model: r.Model, ModelSHA256: r.ModelSHA256, Kind: r.Kind,
		AsOf: time.Unix(0, r.AsOfNs).UTC().Format(time.RFC3339Nano), HighWater: r.HighWater,
		Status: r.Status, Error: r.Error, Counts: counts}
}

// startRun answers POST /v1/runs {"period":"2026Q3"} with 201 and the run. It
// waits up to runWait for the run to end, so a small period answers "done".
func startRun(r *runner.Runner, st *store.Store, runWait time.Duration, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Period string `json:"period"`
			Model  string `json:"model"`
		}
		dec := json.NewDecoder(io.LimitReader(req.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			obs.WriteError(w, http.StatusBadRequest, "body must be {\"period\":\"2026Q3\"} or {\"period\":\"2026Q3\",\"model\":\"kp-2026.1\"}: "+err.Error())
			return
		}
		m, err := modelParam(r, body.Model)
		if err != nil {
			obs.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		if _, err := period.Parse(body.Period, m.Location); err != nil {
			obs.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		run, done, err := r.StartWith(req.Context(), m, body.Period)
		var busy *runner.ErrBusy
		if errors.As(err, &busy) {
			w.Header().Set("Retry-After", strconv.Itoa(int(busy.RetryAfter.Seconds())))
			obs.WriteError(w, http.StatusTooManyRequests, busy.Error())
			return
		}
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		select {
		case <-done:
			if latest, err := st.Run(req.Context(), run.ID); err == nil {
				run = latest
			}
		case <-time.After(runWait):
		case <-req.Context().Done():
		}
		obs.WriteJSON(w, http.StatusCreated, toJSON(run))
	}
}

// listRuns answers GET /v1/runs?period=…[&model=…]&limit=&offset= with
// {"runs":[…],"total","limit","offset"}, oldest first, a page at a time (100
// runs by default, at most 1000): an hourly schedule makes thousands of runs
// a year. Without model= every model's runs are listed.
func listRuns(r *runner.Runner, st *store.Store, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		label := req.URL.Query().Get("period")
		if label != "" {
			if _, err := period.Parse(label, r.Model().Location); err != nil {
				obs.WriteError(w, http.StatusBadRequest, err.Error())
				return
			}
		}
		page, err := obs.ParsePage(req.URL.Query(), 100, 1000)
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		runs, total, err := st.RunsPage(req.Context(), label, req.URL.Query().Get("model"), page.Offset, page.Limit)
		if err != nil {
			obs.Fail(w, req, log, err)
			return
		}
		out := make([]runJSON, 0, len(runs))
		for _, x := range runs {
			out = append(out, toJSON(x))
		}
		obs.WriteJSON(w, http.StatusOK, map[string]any{"runs": out, "total": total, "limit": page.Limit, "offset": page.Offset})
	}
}

// getRun answers GET /v1/runs/{id}.
func getRun(st *store.Store, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		run, err := st.Run(req.Context(), req.PathValue("id"))
		switch {
		case errors.Is(err, store.ErrNotFound):
			obs.WriteError(w, http.StatusNotFound, "no run "+req.PathValue("id"))
		case err != nil:
			obs.Fail(w, req, log, err)
		default:
			obs.WriteJSON(w, http.StatusOK, toJSON(run))
		}
	}
}
