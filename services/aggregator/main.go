// Command aggregator writes kaoping's events from NATS JetStream into
// ClickHouse in batches (see internal/aggregate).
package main

import (
	"context"
	"io"
	"time"

	"kaoping/pkg/audit"
	"kaoping/pkg/event"
	"kaoping/pkg/lifecycle"
	"kaoping/pkg/obs"
	"kaoping/pkg/sources"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/services/aggregator/internal/aggregate"
)

func main() { lifecycle.Main("aggregator", run) }

// run is `aggregator [flags]` (the consumer) or `aggregator rebuild [flags]`.
// The consumer serves HTTP at once (healthy, not yet ready), connects to NATS and
// ClickHouse (waiting for each), becomes ready and consumes until ctx ends;
// the batch in hand is flushed before it returns.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 1 && args[1] == "rebuild" {
		return rebuild(ctx, args[1:], getenv, stdout)
	}
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	lifecycle.SetMemoryLimit(cfg.MemoryLimitMiB, getenv)
	log := obs.NewLogger(stdout, "aggregator")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "aggregator", "nats", "clickhouse", "consumer")
	registry, err := sources.Load(cfg.Sources)
	if err != nil {
		return err
	}
	v, err := event.NewValidator()
	if err != nil {
		return err
	}
	srv := obs.NewServer(cfg.HTTP, reg, probe, log)

	var g lifecycle.Group
	g.Go("http", srv.Run)
	g.Go("consumer", func(ctx context.Context) error {
		// Connections close once every part has stopped: the last batch is
		// flushed and acknowledged, and requests in flight finish, first.
		nc, js, err := stream.Connect(ctx, cfg.NATS, "kaoping-aggregator", log, probe.Reporter("nats"))
		if err != nil {
			return err
		}
		g.Cleanup(nc.Close)
		st, err := store.Open(ctx, cfg.ClickHouse, log, probe.Reporter("clickhouse"))
		if err != nil {
			return err
		}
		g.Cleanup(func() { st.Close() })
		// The dead letters are served once their audit log can be written.
		trail := audit.New(st, "aggregator", cfg.Audit.Every, reg, log)
		written := make(chan struct{})
		auditCtx, stopAudit := context.WithCancel(ctx)
		defer stopAudit()
		go func() { defer close(written); _ = trail.Run(auditCtx) }()
		g.Cleanup(trail.Close) // what was answered while the server stopped
		srv.Handle(NewServer(js, trail, &cfg.Tokens, log))
		go st.Watch(ctx, 5*time.Second, probe.Reporter("clickhouse"))
		consumer, err := stream.EnsureAggregatorConsumer(ctx, js, cfg.consumer())
		if err != nil {
			return err
		}
		agg := aggregate.New(js, consumer, st, v, registry, aggregate.Options{
			BatchSize: cfg.BatchSize, FlushInterval: cfg.FlushInterval, ShutdownTimeout: cfg.ShutdownTimeout,
			AckWait: cfg.AckWait, MaxDeliver: cfg.MaxDeliver,
		}, reg, probe, log)
		probe.Pass("consumer")
		log.Info("aggregator ready", "batch_size", cfg.BatchSize, "flush_interval", cfg.FlushInterval.String())
		err = agg.Run(ctx)
		stopAudit()
		<-written // the last audit entries are written before the connection closes
		if err != nil {
			return err
		}
		log.Info("consumer stopped; last batch flushed")
		return nil
	})
	return g.Run(ctx)
}
