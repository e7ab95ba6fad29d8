// Command ingest is kaoping's HTTP gateway: source systems POST CloudEvents to
// /v1/events, each event is validated and checked against the sender's token,
// and the valid ones are published to NATS JetStream (SPEC §6).
package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"kaoping/pkg/backoff"
	"kaoping/pkg/event"
	"kaoping/pkg/lifecycle"
	"kaoping/pkg/obs"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
	"kaoping/services/ingest/internal/dedupe"
	"kaoping/services/ingest/internal/ratelimit"
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
	lifecycle.SetMemoryLimit(cfg.MemoryLimitMiB, getenv)
	log := obs.NewLogger(stdout, "ingest")
	registry, err := sources.Load(cfg.Sources)
	if err != nil {
		return err
	}
	log.Info("source registry loaded", "path", cfg.Sources, "sources", registry.Names(), "tokens", registry.Len())
	validator, err := event.NewValidator()
	if err != nil {
		return fmt.Errorf("event schemas: %w", err)
	}
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "ingest", "nats", "duplicates")
	srv := obs.NewServer(cfg.HTTP, reg, probe, log)
	streams := &Streams{}
	index := dedupe.New(cfg.NATS.DuplicateWindow)
	instance := nuid.Next()
	srv.Handle(NewServer(Deps{
		Log: log, Metrics: reg, Validator: validator, Sources: registry, Streams: streams,
		Index: index, Instance: instance,
		MaxBodyBytes: cfg.MaxBodyBytes, PublishTimeout: cfg.PublishTimeout,
		Limiter: ratelimit.New(ratelimit.Limits{Rate: cfg.Rate, Burst: cfg.Burst}, nil),
	}))
	log.Info("rate limit", "events_per_second_per_source", cfg.Rate, "burst", cfg.Burst)

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
		// Events are taken once the memory of what was accepted inside the
		// window is read back, so that none is answered "accepted" twice.
		probe.Fail("duplicates", "reading back the events accepted inside the duplicate window")
		return backoff.Default.Retry(ctx, func(ctx context.Context) error {
			return follow(ctx, js, index, instance, cfg.NATS.DuplicateWindow, log, func() {
				streams.Set(js)
				probe.Pass("duplicates")
				log.Info("streams declared; ready")
			})
		}, func(err error, attempt int, wait time.Duration) {
			log.Warn("following the stream failed, retrying", "err", err, "attempt", attempt, "in", wait.String())
		})
	})
	return g.Run(ctx)
}
