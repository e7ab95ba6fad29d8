// Command natsd is the local stack's NATS server: an embedded nats-server with
// JetStream that declares kaoping's streams once it is ready, and serves
// /healthz, /readyz and /metrics. Production runs a NATS cluster instead.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/lifecycle"
	"kaoping/pkg/obs"
	"kaoping/pkg/stream"
)

func main() { lifecycle.Main("natsd", run) }

// How long the server may take to accept connections, and to declare the streams.
const (
	readyTimeout  = 30 * time.Second
	ensureTimeout = 30 * time.Second
)

// run serves /healthz at once, starts the NATS server, declares the streams,
// becomes ready and serves until ctx is done; then it stops the HTTP server
// and the NATS server (which flushes the JetStream store).
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 1 && args[1] == "users" {
		return runUsers(args[1:], stdout)
	}
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := obs.NewLogger(stdout, "natsd")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "natsd", "nats")

	storeDir, err := filepath.Abs(cfg.StoreDir)
	if err != nil {
		return fmt.Errorf("--store-dir: %w", err)
	}
	host, port, _ := splitHostPort(cfg.Addr) // validated by parseConfig
	if port == 0 {
		port = server.RANDOM_PORT
	}
	syncEvery, _ := cfg.syncInterval() // validated by parseConfig
	opts := &server.Options{}
	if cfg.Config != "" {
		// The file's users and permissions; natsd's flags set the rest.
		if opts, err = server.ProcessConfigFile(cfg.Config); err != nil {
			return fmt.Errorf("--config (KAOPING_NATSD_CONFIG): %w", err)
		}
	}
	opts.ServerName = "kaoping-natsd"
	opts.Host, opts.Port = host, port
	opts.JetStream, opts.StoreDir = true, storeDir
	opts.NoSigs = true // run owns the signals
	opts.SyncAlways, opts.SyncInterval = syncEvery == 0, syncEvery
	opts.MaxPayload = int32(cfg.MaxPayload)
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("nats server: %w", err)
	}
	nlog := newNATSLogger(log)
	ns.SetLoggerV2(nlog, false, false, false)
	reg.MustRegister(newCollector(ns))
	srv := obs.NewServer(cfg.HTTP, reg, probe, log)
	srv.Handle(obs.Routes(http.NewServeMux())) // no endpoints of its own: JSON 404s

	var g lifecycle.Group
	g.Go("http", srv.Run)
	g.Go("nats", func(ctx context.Context) error {
		go ns.Start()
		defer func() {
			ns.Shutdown()
			ns.WaitForShutdown()
			log.Info("nats server stopped")
		}()
		if err := waitReady(ctx, ns, nlog.fatal); err != nil {
			return err
		}
		log.Info("nats ready", "url", ns.ClientURL(), "store_dir", storeDir)
		if err := ensureStreams(ctx, ns, cfg.Streams, cfg.credentials(opts)); err != nil {
			return err
		}
		probe.Pass("nats")
		log.Info("ready", "streams", []string{stream.EventsStream, stream.DeadLetterStream})
		select {
		case <-ctx.Done():
			log.Info("stopping")
			return nil
		case msg := <-nlog.fatal:
			return fmt.Errorf("nats server: %s", msg)
		}
	})
	return g.Run(ctx)
}

// waitReady waits until ns accepts connections, a fatal error is logged, or ctx ends.
func waitReady(ctx context.Context, ns *server.Server, fatal <-chan string) error {
	deadline := time.Now().Add(readyTimeout)
	for !ns.ReadyForConnections(100 * time.Millisecond) {
		select {
		case msg := <-fatal:
			return fmt.Errorf("nats server: %s", msg)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nats server not ready after %s", readyTimeout)
		}
	}
	return nil
}

// credentials are what natsd's own connection logs in with: none on a server
// without users, else --nats-user (default natsd) and --nats-password.
func (c config) credentials(opts *server.Options) []nats.Option {
	if len(opts.Users) == 0 && len(opts.Nkeys) == 0 {
		return nil
	}
	user := c.User
	if user == "" {
		user = stream.UserNatsd
	}
	return stream.ClientOptions(user, c.Password)
}

// ensureStreams declares kaoping's streams through an in-process connection.
func ensureStreams(ctx context.Context, ns *server.Server, sc stream.Config, creds []nats.Option) error {
	nc, err := nats.Connect("", append(creds, nats.InProcessServer(ns), nats.Name("natsd"))...)
	if err != nil {
		return fmt.Errorf("connect in process: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, ensureTimeout)
	defer cancel()
	return stream.Ensure(ctx, js, sc)
}

// natsLogger writes the server's log lines to slog. Fatal lines, after which
// the server does not go on, are also handed to run, which stops.
type natsLogger struct {
	log   *slog.Logger
	fatal chan string
}

func newNATSLogger(log *slog.Logger) *natsLogger {
	return &natsLogger{log: log.With("component", "nats"), fatal: make(chan string, 1)}
}

func (l *natsLogger) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *natsLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

func (l *natsLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg, "fatal", true)
	select {
	case l.fatal <- msg:
	default:
	}
}
