// Package audit records who asked a service for what, when, from where, and
// the answer (SPEC §6, issue 14), in batches: ClickHouse wants few large
// inserts, and 200 reads a second would otherwise be 200 inserts. The api,
// the scorer and the aggregator wrap their endpoints with the same Guard, so
// every read, every admin's action and every refused request is recorded the
// same way in one table, and none is answered while the log cannot be written.
package audit

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/pkg/store"
)

// Writer stores a batch of entries; *store.Store is one.
type Writer interface {
	AuditBatch(ctx context.Context, entries []store.AuditEntry) error
}

// Options are the audit settings a service shares, declared by RegisterFlags.
type Options struct {
	// Every is how often the queued entries are written.
	Every time.Duration
	env   string
}

// RegisterFlags declares "audit-every" on fs and returns its environment
// variable, KAOPING_<SERVICE>_AUDIT_EVERY, for flagenv.Parse.
func (o *Options) RegisterFlags(fs *flag.FlagSet, service string) map[string]string {
	fs.DurationVar(&o.Every, "audit-every", time.Second, "how often the audit log's queued entries are written (one insert each time)")
	o.env = "KAOPING_" + strings.ToUpper(service) + "_AUDIT_EVERY"
	return map[string]string{"audit-every": o.env}
}

// Check reports a setting that cannot work, naming it.
func (o Options) Check() error {
	if o.Every <= 0 {
		return fmt.Errorf("--audit-every (%s) must be positive, got %s", o.env, o.Every)
	}
	return nil
}

// Most bytes of a path, a query string or a forwarded-for header an entry
// keeps: a request line may be a megabyte, an audit row need not.
const maxField = 1024

// fullBatch is the queue's length at which it is written at once.
const fullBatch = 5000

// Log queues entries and writes them every interval, or as soon as a batch
// is full. While the last write failed, Guard refuses every request with 503
// until one succeeds, so nothing is answered unaudited for longer than one
// interval.
type Log struct {
	w       Writer
	service string
	log     *slog.Logger
	every   time.Duration

	mu      sync.Mutex
	queue   []store.AuditEntry
	failing error
	kick    chan struct{}

	written    prometheus.Counter
	failures   prometheus.Counter
	failingNow prometheus.Gauge
}

// New returns the audit log of service, written to w every interval; Run
// writes it. Its metrics, kaoping_<service>_audit_*, are registered on reg
// (none when reg is nil): an operator is told that reads are refused because
// the log cannot be written.
func New(w Writer, service string, every time.Duration, reg prometheus.Registerer, log *slog.Logger) *Log {
	l := &Log{w: w, service: service, log: log, every: every, kick: make(chan struct{}, 1),
		written: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_" + service + "_audit_entries_written_total",
			Help: "Audit log entries written to ClickHouse."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_" + service + "_audit_write_failures_total",
			Help: "Writes of the audit log that failed (each refuses requests until one succeeds)."}),
		failingNow: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kaoping_" + service + "_audit_failing",
			Help: "1 while the last write of the audit log failed and requests are refused with 503."}),
	}
	if reg != nil {
		reg.MustRegister(l.written, l.failures, l.failingNow)
	}
	return l
}

// Ready reports why requests must be refused, nil when they may be answered.
func (l *Log) Ready() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failing
}

// Record queues an entry (its Service is the log's).
func (l *Log) Record(e store.AuditEntry) {
	e.Service = l.service
	l.mu.Lock()
	l.queue = append(l.queue, e)
	n := len(l.queue)
	l.mu.Unlock()
	if n >= fullBatch {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// Run writes the queued entries every interval until ctx ends, then the last
// ones (within 10 s).
func (l *Log) Run(ctx context.Context) error {
	t := time.NewTicker(l.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			l.Flush(last)
			cancel()
			return nil
		case <-t.C:
		case <-l.kick:
		}
		l.Flush(ctx)
	}
}

// Close writes what is still queued, within 10 s: call it once the HTTP
// server has stopped (a lifecycle cleanup before the store's), so the
// requests answered during the shutdown are recorded too.
func (l *Log) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.Flush(ctx)
}

// Flush writes the queued entries now. A failed write keeps them queued for
// the next try and makes Ready fail until a write succeeds.
func (l *Log) Flush(ctx context.Context) {
	l.mu.Lock()
	batch := l.queue
	l.queue = nil
	l.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	err := l.w.AuditBatch(ctx, batch)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.queue = append(batch, l.queue...)
		l.failures.Inc()
		l.failingNow.Set(1)
		if l.failing == nil {
			l.log.Error("audit log not written; requests are refused until it is", "err", err, "entries", len(l.queue))
		}
		l.failing = err
		return
	}
	if l.failing != nil {
		l.log.Info("audit log written again", "entries", len(batch))
	}
	l.failing = nil
	l.written.Add(float64(len(batch)))
	l.failingNow.Set(0)
}

// Guard records every request next answers, and refuses them all with 503
// while the log cannot be written. Put it outside auth.Require, so that a
// request refused for its token (401, 403) is recorded too: with the
// token's principal and role when the token is known, empty when not.
func (l *Log) Guard(tokens *auth.Tokens, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := l.Ready(); err != nil {
			w.Header().Set("Retry-After", "1")
			obs.WriteError(w, http.StatusServiceUnavailable, "the audit log cannot be written; try again later")
			return
		}
		at := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		// The identity is looked up again rather than taken from the
		// handler: a refused request never reaches it.
		id, _ := auth.Identify(tokens, r)
		l.Record(store.AuditEntry{At: at, Principal: id.Principal, Role: string(id.Role),
			Method: r.Method, Path: cut(r.URL.Path), Query: cut(r.URL.RawQuery), Status: uint16(rec.status),
			Remote: remoteHost(r.RemoteAddr), ForwardedFor: cut(r.Header.Get("X-Forwarded-For"))})
	})
}

// remoteHost is the peer's address without its port (the port says nothing
// about who asked).
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return cut(addr)
}

// cut keeps the first maxField bytes of s, not splitting a UTF-8 sequence.
func cut(s string) string {
	if len(s) <= maxField {
		return s
	}
	n := maxField
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines of a long download).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
