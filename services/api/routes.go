package main

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/pkg/store"
)

// NewServer is the api's whole HTTP surface. Every read of rankings or
// explanations passes auth and is written to the audit log.
func NewServer(st *store.Store, tokens *auth.Tokens, reg *prometheus.Registry, probe *obs.Probe, log *slog.Logger) http.Handler {
	h := &handlers{store: st, log: log}
	read := func(f http.HandlerFunc) http.Handler { return auth.Require(tokens, audited(st, log, f)) }
	mux := http.NewServeMux()
	obs.Mount(mux, reg, probe)
	mux.Handle("GET /v1/rankings", read(h.rankings))
	mux.Handle("GET /v1/units/{id}/scores", read(h.explain("unit")))
	mux.Handle("GET /v1/cadres/{id}/scores", read(h.explain("cadre")))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		obs.WriteError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}
