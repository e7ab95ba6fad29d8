package obs

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HTTPConfig is where a service listens and how it stops: the settings every
// HTTP service shares, declared once by RegisterFlags.
type HTTPConfig struct {
	// Addr is host:port of the HTTP listener.
	Addr string
	// DrainDelay is how long /readyz answers 503 on SIGTERM before the server
	// stops accepting, so that balancers stop sending first.
	DrainDelay time.Duration
	// DebugAddr, when set, serves Go's profiles (/debug/pprof/) there, apart
	// from the service's port, for an operator on the machine.
	DebugAddr string
	// ReadTimeout bounds reading a whole request, body included; WriteTimeout
	// the time from the end of its headers to the end of the answer;
	// IdleTimeout how long a kept-alive connection waits for the next
	// request. Zero takes the default.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// Timeouts of every server, so a slow or idle client cannot hold a
// connection for ever (the defaults of HTTPConfig's). A 10 MiB ingest body in 2 minutes needs 85 KB/s. The
// write timeout counts the building of the answer too: the Excel download of
// 300,000 cadres is built in about 17 s here and is 12 MB, which 5 minutes
// lets a client take at 45 KB/s.
const (
	readHeaderTimeout   = 10 * time.Second
	DefaultReadTimeout  = 2 * time.Minute
	DefaultWriteTimeout = 5 * time.Minute
	DefaultIdleTimeout  = 2 * time.Minute
	shutdownTimeout     = 30 * time.Second
)

// timeouts are c's read, write and idle timeouts, defaults in place of zeros.
func (c HTTPConfig) timeouts() (read, write, idle time.Duration) {
	or := func(d, def time.Duration) time.Duration {
		if d == 0 {
			return def
		}
		return d
	}
	return or(c.ReadTimeout, DefaultReadTimeout), or(c.WriteTimeout, DefaultWriteTimeout), or(c.IdleTimeout, DefaultIdleTimeout)
}

// RegisterFlags declares the settings on fs under the flag addrFlag (usually
// "addr") and "drain-delay", and returns their environment variables
// (KAOPING_<SERVICE>_ADDR, KAOPING_<SERVICE>_DRAIN_DELAY) for flagenv.Parse.
func (c *HTTPConfig) RegisterFlags(fs *flag.FlagSet, service, addrFlag, defaultAddr string) map[string]string {
	prefix := "KAOPING_" + strings.ToUpper(service) + "_"
	fs.StringVar(&c.Addr, addrFlag, defaultAddr, "HTTP listen address host:port (/metrics, /healthz, /readyz and the service's endpoints)")
	fs.DurationVar(&c.DrainDelay, "drain-delay", 0, "on SIGTERM, how long /readyz answers 503 before the server stops accepting")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "host:port serving Go's profiles at /debug/pprof/ (empty: none); keep it on loopback")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", DefaultReadTimeout, "longest the server reads one request, body included")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", DefaultWriteTimeout, "longest from the end of a request's headers to the end of its answer (downloads included: raise it for larger ones or slow clients)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", DefaultIdleTimeout, "longest a kept-alive connection waits for its next request")
	return map[string]string{
		addrFlag:        prefix + strings.ToUpper(strings.ReplaceAll(addrFlag, "-", "_")),
		"drain-delay":   prefix + "DRAIN_DELAY",
		"debug-addr":    prefix + "DEBUG_ADDR",
		"read-timeout":  prefix + "READ_TIMEOUT",
		"write-timeout": prefix + "WRITE_TIMEOUT",
		"idle-timeout":  prefix + "IDLE_TIMEOUT",
	}
}

// Check reports a setting that cannot work, naming it.
func (c HTTPConfig) Check() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("HTTP listen address %q: %w", c.Addr, err)
	}
	if c.DrainDelay < 0 {
		return fmt.Errorf("drain delay must not be negative, got %s", c.DrainDelay)
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{"read", c.ReadTimeout}, {"write", c.WriteTimeout}, {"idle", c.IdleTimeout}} {
		if t.d < 0 {
			return fmt.Errorf("HTTP %s timeout must not be negative, got %s", t.name, t.d)
		}
	}
	return nil
}

// Server is a service's HTTP server. It answers /metrics, /healthz and
// /readyz from the moment it listens; the service's own endpoints answer 503
// until Handle installs them (the service is still reaching its dependencies).
type Server struct {
	cfg   HTTPConfig
	probe *Probe
	log   *slog.Logger
	root  *http.ServeMux
	app   atomic.Pointer[http.Handler]
}

// NewServer returns a server for cfg; Run starts it.
func NewServer(cfg HTTPConfig, reg *prometheus.Registry, probe *Probe, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, probe: probe, log: log, root: http.NewServeMux()}
	s.root.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.root.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		st := probe.Status()
		code := http.StatusOK
		if st.Status != "ready" {
			code = http.StatusServiceUnavailable
		}
		WriteJSON(w, code, st)
	})
	s.root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if h := s.app.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", "1")
		WriteJSON(w, http.StatusServiceUnavailable, map[string]any{
			"error": "starting: the service is still reaching its dependencies", "reasons": probe.Status().Reasons})
	})
	return s
}

// Handle installs the service's own endpoints.
func (s *Server) Handle(h http.Handler) { s.app.Store(&h) }

// Handler is the whole HTTP surface, for tests that drive it without a listener.
func (s *Server) Handler() http.Handler { return s.root }

// Run listens on the configured address and serves until ctx ends, then
// stops gracefully (see Serve). With a debug address it serves the profiles
// there too.
func (s *Server) Run(ctx context.Context) error {
	if s.cfg.DebugAddr != "" {
		ln, err := net.Listen("tcp", s.cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", s.cfg.DebugAddr, err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		// A CPU profile or a trace takes its seconds= before it writes: the
		// write timeout bounds those too.
		read, write, idle := s.cfg.timeouts()
		debug := &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: read, WriteTimeout: write, IdleTimeout: idle}
		go func() { _ = debug.Serve(ln) }()
		defer debug.Close()
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then marks the probe stopping, waits the
// drain delay so balancers stop sending, and shuts down: requests in flight
// finish, for up to 30 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	read, write, idle := s.cfg.timeouts()
	srv := &http.Server{Handler: s.root, ReadHeaderTimeout: min(readHeaderTimeout, read), ReadTimeout: read,
		WriteTimeout: write, IdleTimeout: idle,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("http listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.probe.Stopping()
	if s.cfg.DrainDelay > 0 {
		time.Sleep(s.cfg.DrainDelay)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
