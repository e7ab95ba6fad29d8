package main

import (
	"log/slog"
	"net/http"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/audit"
	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
)

// NewServer is the aggregator's own HTTP surface (obs.Server adds /metrics,
// /healthz and /readyz). Dead letters may hold what a source should not have
// sent: only an admin lists or replays them, and every request, refused ones
// included, is written to the audit log, which the caller runs
// (audit.Log.Run).
func NewServer(js jetstream.JetStream, trail *audit.Log, tokens *auth.Tokens, log *slog.Logger) http.Handler {
	admin := func(h http.Handler) http.Handler {
		return trail.Guard(tokens, auth.Require(tokens, []auth.Role{auth.Admin}, h))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/deadletters", admin(listDeadLetters(js, log)))
	mux.Handle("POST /v1/deadletters/{seq}/replay", admin(replayDeadLetter(js, log)))
	return obs.Routes(mux)
}
