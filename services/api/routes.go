package main

import (
	"log/slog"
	"net/http"
	"sync"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/pkg/store"
)

// handlers are the api's endpoints and what they share.
type handlers struct {
	store  *store.Store
	log    *slog.Logger
	models sync.Map // version → *scoring.Model
	states sync.Map // period label → periodState
	levels sync.Map // [run, subject kind, level] → number of peers
	pages  *pageCache
	reads  readOnce
	// spreads are the peer medians, bests and top tens: [run, kind, level] → review.PeerStats.
	spreads sync.Map
}

// fail answers a failed request (obs.Fail: the client's mistakes with their
// message, anything else logged and answered 503).
func (h *handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	obs.Fail(w, r, h.log, err)
}

// NewServer is the api's own HTTP surface (obs.Server adds /metrics, /healthz
// and /readyz). Every read of rankings or explanations passes auth and is
// written to the audit log, which the caller runs (auditLog.run).
func NewServer(st *store.Store, audit *auditLog, tokens *auth.Tokens, log *slog.Logger) http.Handler {
	h := &handlers{store: st, log: log, pages: newPageCache(128 << 20)}
	read := func(f http.HandlerFunc) http.Handler { return auth.Require(tokens, auth.Readers, audited(audit, f)) }
	mux := http.NewServeMux()
	mux.Handle("GET /v1/rankings", read(h.rankings))
	mux.Handle("GET /v1/units/{id}/scores", read(h.explain("unit")))
	mux.Handle("GET /v1/cadres/{id}/scores", read(h.explain("cadre")))
	mux.Handle("GET /v1/reports/review", read(h.report))
	// Pages: the same reads for browsers, which sign in once (docs/pages.md).
	page := func(f http.HandlerFunc) http.Handler { return signedIn(tokens, read(f)) }
	mux.Handle("GET /{$}", page(h.rankingsPage))
	mux.Handle("GET /units/{id}", page(h.subjectPage("unit")))
	mux.Handle("GET /cadres/{id}", page(h.subjectPage("cadre")))
	mux.Handle("GET /runs/{id}", page(h.runPage))
	mux.HandleFunc("GET /signin", h.signinForm)
	mux.HandleFunc("POST /signin", h.signIn(tokens))
	mux.HandleFunc("POST /signout", signOut)
	mux.Handle("GET /v1/models", auth.Require(tokens, auth.Readers, http.HandlerFunc(h.listModels)))
	return obs.Routes(mux)
}
