package main

import (
	"log/slog"
	"net/http"
	"sync"

	"kaoping/pkg/audit"
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
// and /readyz). Every request to it is written to the audit log, which the
// caller runs (audit.Log.Run), refused ones included: the audit is outside
// auth. Reads need a reader's role, the audit log an admin's.
func NewServer(st *store.Store, trail *audit.Log, tokens *auth.Tokens, log *slog.Logger) http.Handler {
	h := &handlers{store: st, log: log, pages: newPageCache(128 << 20)}
	read := func(f http.HandlerFunc) http.Handler {
		return trail.Guard(tokens, auth.Require(tokens, auth.Readers, f))
	}
	admin := func(f http.HandlerFunc) http.Handler {
		return trail.Guard(tokens, auth.Require(tokens, []auth.Role{auth.Admin}, f))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/rankings", read(h.rankings))
	mux.Handle("GET /v1/units/{id}/scores", read(h.explain("unit")))
	mux.Handle("GET /v1/cadres/{id}/scores", read(h.explain("cadre")))
	mux.Handle("GET /v1/reports/review", read(h.report))
	mux.Handle("GET /v1/models", read(h.listModels))
	mux.Handle("GET /v1/audit", admin(h.auditEntries))
	// Pages: the same reads for browsers, which sign in once (docs/pages.md).
	page := func(f http.HandlerFunc) http.Handler { return h.signedIn(tokens, read(f)) }
	mux.Handle("GET /{$}", page(h.rankingsPage))
	mux.Handle("GET /units/{id}", page(h.subjectPage("unit")))
	mux.Handle("GET /cadres/{id}", page(h.subjectPage("cadre")))
	mux.Handle("GET /runs/{id}", page(h.runPage))
	mux.HandleFunc("GET /signin", h.signinForm)
	mux.HandleFunc("POST /signin", h.signIn(tokens))
	mux.HandleFunc("POST /signout", signOut)
	return obs.Routes(mux)
}
