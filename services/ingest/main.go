// Command ingest is kaoping's HTTP gateway: source systems POST CloudEvents to
// /v1/events, each event is validated and checked against the sender's token,
// and the valid ones are published to NATS JetStream (SPEC §6).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/obs"
	"kaoping/pkg/stream"
	"kaoping/services/ingest/internal/sources"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

// maxPendingPublishes bounds the async publishes of all requests in flight
// together; past it a publish waits briefly, then fails the request with 503.
const maxPendingPublishes = 16384

// run is the whole service: it serves until ctx is done, then stops
// gracefully: /readyz turns 503, the drain delay passes, requests in flight
// finish (so every event acknowledged to a client is in JetStream) and the NATS
// connection closes.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := obs.NewLogger(stdout, "ingest")

	registry, err := loadSources(cfg.Sources, log)
	if err != nil {
		return err
	}
	validator, err := event.NewValidator()
	if err != nil {
		return fmt.Errorf("event schemas: %w", err)
	}
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "ingest")
	streams := &Streams{}

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	nc, err := connectNATS(ctx, cfg.NATSURL, streams, probe, log)
	if err != nil {
		return fmt.Errorf("nats %s: %w", cfg.NATSURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(maxPendingPublishes))
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	declared := make(chan struct{})
	go func() {
		defer close(declared)
		declareStreams(ctx, nc, js, stream.Config{Replicas: cfg.StreamReplicas, DuplicateWindow: cfg.DuplicateWindow}, streams, probe, log)
	}()

	h := NewServer(Deps{
		Log: log, Metrics: reg, Probe: probe, Validator: validator,
		Sources: registry, Streams: streams,
		MaxBodyBytes: cfg.MaxBodyBytes, PublishTimeout: cfg.PublishTimeout,
	})
	err = obs.Serve(ctx, cfg.Addr, h, probe, cfg.DrainDelay, log)
	stop()
	<-declared
	log.Info("stopped", "err", err)
	return err
}

// loadSources reads the token registry, or gives the development registry
// when no file is configured.
func loadSources(path string, log *slog.Logger) (*sources.Registry, error) {
	if path == "" {
		log.Warn("no --sources registry given: accepting only the development token for " + sources.DevSource)
		return sources.Dev(), nil
	}
	r, err := sources.Load(path)
	if err != nil {
		return nil, err
	}
	log.Info("source registry loaded", "path", path, "tokens", r.Len())
	return r, nil
}
