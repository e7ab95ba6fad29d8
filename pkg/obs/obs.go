// Package obs is what every kaoping service shares to be observable: a JSON
// slog logger, a Prometheus registry, the /metrics, /healthz and /readyz
// endpoints, and an HTTP server that stops gracefully.
package obs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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

// Probe is a service's readiness: healthy once the process serves HTTP, ready
// only after its dependencies are connected, and not ready again while stopping.
type Probe struct {
	ready atomic.Bool
	gauge prometheus.Gauge
}

// NewProbe registers kaoping_<service>_ready on reg.
func NewProbe(reg prometheus.Registerer, service string) *Probe {
	p := &Probe{gauge: prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kaoping_" + service + "_ready",
		Help: "1 when the service is ready to serve, 0 while starting or stopping.",
	})}
	reg.MustRegister(p.gauge)
	return p
}

// SetReady marks the service ready or not.
func (p *Probe) SetReady(ready bool) {
	p.ready.Store(ready)
	if ready {
		p.gauge.Set(1)
	} else {
		p.gauge.Set(0)
	}
}

// Ready reports the state.
func (p *Probe) Ready() bool { return p.ready.Load() }

// Mount adds /metrics, /healthz and /readyz to mux.
func Mount(mux *http.ServeMux, reg *prometheus.Registry, p *Probe) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !p.Ready() {
			WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

// WriteJSON writes v as the JSON body of a response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteError writes {"error": msg} with the given status.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]string{"error": msg})
}

// Serve serves h on addr until ctx is done, then marks the probe not ready,
// waits drainDelay so balancers stop sending, and shuts down gracefully:
// requests in flight finish.
func Serve(ctx context.Context, addr string, h http.Handler, p *Probe, drainDelay time.Duration, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, h, p, drainDelay, log)
}

// ServeListener is Serve on an open listener.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, p *Probe, drainDelay time.Duration, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("http listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	p.SetReady(false)
	if drainDelay > 0 {
		time.Sleep(drainDelay)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
