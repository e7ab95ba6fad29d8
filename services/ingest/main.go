// Command ingest is kaoping's HTTP gateway: source systems POST CloudEvents to
// /v1/events, each event is validated and checked against the sender's token,
// and the valid ones are published to NATS JetStream (SPEC §6).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/lifecycle"
	"kaoping/pkg/obs"
	"kaoping/pkg/stream"
	"kaoping/services/ingest/internal/sources"
)

func main() { lifecycle.Main("ingest", run) }

// maxPendingPublishes bounds the async publishes of all requests in flight
// together; past it a publish waits briefly, then fails the request with 503.
const maxPendingPublishes = 16384

// run is the whole service: it serves at once (events are answered 503 until
// the streams are declared), connects to NATS (waiting for it), and serves
// until ctx is done, then stops gracefully: /readyz turns 503, the drain delay
// passes, requests in flight finish (so every event acknowledged to a client
// is in JetStream) and the NATS connection closes.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
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
	probe := obs.NewProbe(reg, "ingest", "nats")
	srv := obs.NewServer(cfg.HTTP, reg, probe, log)
	streams := &Streams{}
	srv.Handle(NewServer(Deps{
		Log: log, Metrics: reg, Validator: validator, Sources: registry, Streams: streams,
		MaxBodyBytes: cfg.MaxBodyBytes, PublishTimeout: cfg.PublishTimeout,
	}))

	var g lifecycle.Group
	g.Go("http", srv.Run)
	g.Go("nats", func(ctx context.Context) error {
		nc, js, err := stream.Connect(ctx, cfg.NATS, "kaoping-ingest", log, probe.Reporter("nats"),
			jetstream.WithPublishAsyncMaxPending(maxPendingPublishes))
		if err != nil {
			return err
		}
		// The connection closes once every part has stopped: requests in flight finish first.
		g.Cleanup(nc.Close)
		streams.Set(js)
		log.Info("streams declared; ready")
		<-ctx.Done()
		return nil
	})
	return g.Run(ctx)
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
		return nil, fmt.Errorf("KAOPING_INGEST_SOURCES: %w", err)
	}
	log.Info("source registry loaded", "path", path, "tokens", r.Len())
	return r, nil
}
