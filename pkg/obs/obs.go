// Package obs is what every kaoping service shares to be observable and
// reachable: a JSON slog logger, a Prometheus registry, the readiness probe,
// the HTTP server with /metrics, /healthz and /readyz from its first second,
// and the JSON answers (errors included) of every endpoint.
package obs

import (
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewLogger returns a JSON logger that tags every line with the service name.
func NewLogger(w io.Writer, service string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, nil)).With("service", service)
}

// NewRegistry returns a fresh registry with the Go and process collectors.
// Services never use the global registry, so every test gets its own.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
