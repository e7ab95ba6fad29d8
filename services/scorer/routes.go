package main

import (
	"log/slog"
	"net/http"
	"time"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/pkg/store"
	"kaoping/services/scorer/internal/runner"
)

// NewServer is the scorer's own HTTP surface (obs.Server adds /metrics,
// /healthz and /readyz).
func NewServer(r *runner.Runner, st *store.Store, tokens *auth.Tokens, runWait time.Duration, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/runs", auth.Require(tokens, []auth.Role{auth.Admin}, startRun(r, st, runWait, log)))
	mux.Handle("GET /v1/runs", auth.Require(tokens, auth.Readers, listRuns(r, st, log)))
	mux.Handle("GET /v1/runs/{id}", auth.Require(tokens, auth.Readers, getRun(st, log)))
	mux.Handle("GET /v1/runs/{id}/diff", auth.Require(tokens, auth.Readers, runDiff(r, st, log)))
	mux.Handle("POST /v1/periods/{period}/finalize", auth.Require(tokens, []auth.Role{auth.Admin}, finalize(r, log)))
	mux.Handle("GET /v1/models", auth.Require(tokens, auth.Readers, listModels(r)))
	return obs.Routes(mux)
}
