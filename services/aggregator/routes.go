package main

import (
	"log/slog"
	"net/http"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/obs"
)

// NewServer is the aggregator's own HTTP surface (obs.Server adds /metrics,
// /healthz and /readyz).
func NewServer(js jetstream.JetStream, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/deadletters", listDeadLetters(js, log))
	mux.Handle("POST /v1/deadletters/{seq}/replay", replayDeadLetter(js, log))
	return obs.Routes(mux)
}
