package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"kaoping/pkg/auth"
	"kaoping/pkg/store"
)

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// audited writes who read what, when, and the answer's status to the audit log.
func audited(st *store.Store, log *slog.Logger, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		at := time.Now()
		next(rec, r)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
		defer cancel()
		entry := store.AuditEntry{At: at, Principal: auth.Principal(r.Context()), Method: r.Method,
			Path: r.URL.Path, Query: r.URL.RawQuery, Status: uint16(rec.status)}
		if err := st.Audit(ctx, entry); err != nil {
			log.Error("audit entry not written", "err", err, "principal", entry.Principal, "path", entry.Path, "query", entry.Query)
		}
	}
}
