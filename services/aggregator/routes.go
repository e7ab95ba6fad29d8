package main

import (
	"log/slog"
	"net/http"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
)

// NewServer is the aggregator's own HTTP surface (obs.Server adds /metrics,
// /healthz and /readyz). Dead letters may hold what a source should not have
// sent: only an admin lists or replays them.
func NewServer(js jetstream.JetStream, tokens *auth.Tokens, log *slog.Logger) http.Handler {
	admin := []auth.Role{auth.Admin}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/deadletters", auth.Require(tokens, admin, listDeadLetters(js, log)))
	mux.Handle("POST /v1/deadletters/{seq}/replay", auth.Require(tokens, admin, replayDeadLetter(js, log)))
	return obs.Routes(mux)
}
