package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
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
	mux.Handle("POST /v1/runs", auth.Require(tokens, startRun(r, st, runWait, log)))
	mux.Handle("GET /v1/runs", auth.Require(tokens, listRuns(r, st, log)))
	mux.Handle("GET /v1/runs/{id}", auth.Require(tokens, getRun(st, log)))
	mux.Handle("GET /v1/runs/{id}/diff", auth.Require(tokens, runDiff(r, st, log)))
	mux.Handle("POST /v1/periods/{period}/finalize", auth.Require(tokens, finalize(r, log)))
	return obs.Routes(mux)
}

// withPprof adds Go's profiles under /debug/pprof/ (--pprof, for benchmarks:
// they tell anyone who can reach the port what the scorer is doing).
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.Handle("/", h)
	return mux
}
