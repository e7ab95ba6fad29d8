package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
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

// auditLog writes who read what, when, and the answer's status, in batches
// (SPEC §6: ClickHouse wants few large inserts, and 200 reads a second would
// be 200 inserts): entries queue in memory and are inserted every interval,
// or as soon as a batch is full. While the last insert failed, reads are
// refused with 503 until one succeeds, so nothing is read unaudited for
// longer than one interval.
type auditLog struct {
	st    *store.Store
	log   *slog.Logger
	every time.Duration
	full  int

	mu      sync.Mutex
	queue   []store.AuditEntry
	failing error
	kick    chan struct{}
}

func newAuditLog(st *store.Store, every time.Duration, log *slog.Logger) *auditLog {
	return &auditLog{st: st, log: log, every: every, full: 5000, kick: make(chan struct{}, 1)}
}

// ready reports why reads must be refused, nil when they may be served.
func (a *auditLog) ready() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failing
}

func (a *auditLog) add(e store.AuditEntry) {
	a.mu.Lock()
	a.queue = append(a.queue, e)
	n := len(a.queue)
	a.mu.Unlock()
	if n >= a.full {
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
}

// run inserts the queued entries every interval until ctx ends, then the
// last ones (within 10 s).
func (a *auditLog) run(ctx context.Context) error {
	t := time.NewTicker(a.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			a.flush(last)
			cancel()
			return nil
		case <-t.C:
		case <-a.kick:
		}
		a.flush(ctx)
	}
}

func (a *auditLog) flush(ctx context.Context) {
	a.mu.Lock()
	batch := a.queue
	a.queue = nil
	a.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	err := a.st.AuditBatch(ctx, batch)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.queue = append(batch, a.queue...) // tried again at the next interval
		if a.failing == nil {
			a.log.Error("audit log not written; reads are refused until it is", "err", err, "entries", len(a.queue))
		}
		a.failing = err
		return
	}
	if a.failing != nil {
		a.log.Info("audit log written again", "entries", len(batch))
	}
	a.failing = nil
}

// audited refuses a read while the audit log cannot be written, and queues
// who read what once it is answered.
func audited(a *auditLog, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.ready(); err != nil {
			obs.WriteError(w, http.StatusServiceUnavailable, "the audit log cannot be written; try again later")
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		at := time.Now()
		next(rec, r)
		a.add(store.AuditEntry{At: at, Principal: auth.Principal(r.Context()), Method: r.Method,
			Path: r.URL.Path, Query: r.URL.RawQuery, Status: uint16(rec.status)})
	}
}
