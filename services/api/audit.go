package main

import (
	"math"
	"net/http"
	"time"

	"kaoping/pkg/obs"
	"kaoping/pkg/store"
)

// auditEntryJSON is an entry of the audit log as GET /v1/audit shows it.
type auditEntryJSON struct {
	At           string `json:"at"`
	Service      string `json:"service"`
	Principal    string `json:"principal"`
	Role         string `json:"role"`
	Method       string `json:"method"`
	Path         string `json:"path"`
	Query        string `json:"query"`
	Status       uint16 `json:"status"`
	Remote       string `json:"remote"`
	ForwardedFor string `json:"forwarded_for"`
}

// auditEntries answers GET /v1/audit?from=&to=&principal=&limit=&offset=
// (admins only): the entries of every service in [from, to) (RFC 3339
// instants; by default all), of one principal when given, newest first, a
// page at a time (limit 100 by default, at most 1000) with the total.
func (h *handlers) auditEntries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.AuditFilter{From: time.Unix(0, 0), To: time.Unix(0, math.MaxInt64), Principal: q.Get("principal")}
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				obs.WriteError(w, http.StatusBadRequest, p.name+" must be an RFC 3339 instant with its offset, e.g. 2026-07-01T00:00:00+08:00")
				return
			}
			*p.into = t
		}
	}
	page, err := obs.ParsePage(q, 100, 1000)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	entries, total, err := h.store.AuditEntries(r.Context(), f, page.Offset, page.Limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]auditEntryJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, auditEntryJSON{At: e.At.Format(time.RFC3339Nano), Service: e.Service, Principal: e.Principal, Role: e.Role,
			Method: e.Method, Path: e.Path, Query: e.Query, Status: e.Status, Remote: e.Remote, ForwardedFor: e.ForwardedFor})
	}
	obs.WriteJSON(w, http.StatusOK, map[string]any{"total": total, "limit": page.Limit, "offset": page.Offset, "entries": out})
}
