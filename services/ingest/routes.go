package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kaoping/pkg/event"
	"kaoping/pkg/obs"
	"kaoping/pkg/sources"
	"kaoping/services/ingest/internal/dedupe"
	"kaoping/services/ingest/internal/ratelimit"
)

// Deps is what ingest's HTTP surface needs.
type Deps struct {
	Log *slog.Logger
	// Metrics is where ingest's own series are registered.
	Metrics   prometheus.Registerer
	Validator *event.Validator
	// Sources maps bearer tokens to the source and types they may send.
	Sources *sources.Registry
	// Index remembers the events accepted inside the duplicate window.
	Index *dedupe.Index
	// Instance names this process on the messages it publishes.
	Instance string
	// Streams gives the JetStream handle once the streams are declared.
	Streams *Streams
	// MaxBodyBytes bounds a request body (413 past it).
	MaxBodyBytes int64
	// PublishTimeout bounds the wait for JetStream's acknowledgements (503 past it).
	PublishTimeout time.Duration
	// Limiter bounds each source's events per second (429 past it); nil: no limit.
	Limiter *ratelimit.Limiter
	// Now is the clock of ingestion time; nil means time.Now.
	Now func() time.Time
}

// NewServer returns ingest's own HTTP surface (obs.Server adds /metrics,
// /healthz and /readyz).
func NewServer(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	m := newMetrics(d.Metrics)
	mux := http.NewServeMux()
	mux.Handle("POST /v1/events", promhttp.InstrumentHandlerDuration(m.requestDuration, handleEvents(d, m)))
	return obs.Routes(mux)
}
