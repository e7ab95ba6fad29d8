package main

import (
	"log/slog"
	"net/http"
	"time"

	"kaoping/pkg/audit"
	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/pkg/store"
	"kaoping/services/scorer/internal/runner"
)

// NewServer is the scorer's own HTTP surface (obs.Server adds /metrics,
// /healthz and /readyz). Every request to it is written to the audit log,
// which the caller runs (audit.Log.Run), refused ones included. Starting
// runs and finalising are an admin's; the runs are every reader's; a diff
// names subjects across the whole tree, so a viewer (who may see only its
// subtree) is refused it.
func NewServer(r *runner.Runner, st *store.Store, trail *audit.Log, tokens *auth.Tokens, runWait time.Duration, log *slog.Logger) http.Handler {
	allow := func(roles []auth.Role, h http.Handler) http.Handler {
		return trail.Guard(tokens, auth.Require(tokens, roles, h))
	}
	admin := []auth.Role{auth.Admin}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/runs", allow(admin, startRun(r, st, runWait, log)))
	mux.Handle("GET /v1/runs", allow(auth.Readers, listRuns(r, st, log)))
	mux.Handle("GET /v1/runs/{id}", allow(auth.Readers, getRun(st, log)))
	mux.Handle("GET /v1/runs/{id}/diff", allow([]auth.Role{auth.Admin, auth.Reader}, runDiff(r, st, log)))
	mux.Handle("POST /v1/periods/{period}/finalize", allow(admin, finalize(r, log)))
	mux.Handle("GET /v1/models", allow(auth.Readers, listModels(r)))
	return obs.Routes(mux)
}
