package main

import (
	"context"
	"fmt"
	"io"

	"kaoping/pkg/event"
	"kaoping/pkg/lifecycle"
	"kaoping/pkg/obs"
	"kaoping/pkg/sources"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/services/aggregator/internal/aggregate"
)

// rebuild is `aggregator rebuild`: the events table recreated from the
// stream's first message (aggregate.Rebuild), with the aggregator's settings.
// The live aggregator may keep running; rankings read the old table until the
// new one is swapped in.
func rebuild(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	lifecycle.SetMemoryLimit(cfg.MemoryLimitMiB, getenv)
	log := obs.NewLogger(stdout, "aggregator-rebuild")
	registry, err := sources.Load(cfg.Sources)
	if err != nil {
		return err
	}
	v, err := event.NewValidator()
	if err != nil {
		return err
	}
	nc, js, err := stream.Connect(ctx, cfg.NATS, "kaoping-aggregator-rebuild", log, nil)
	if err != nil {
		return err
	}
	defer nc.Close()
	st, err := store.Open(ctx, cfg.ClickHouse, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	stats, err := aggregate.Rebuild(ctx, js, st, v, registry, max(cfg.BatchSize, 50000), log)
	if err != nil {
		return err
	}
	rate := float64(stats.Events) / max(stats.Took.Seconds(), 1e-9)
	log.Info("rebuilt the events table", "messages", stats.Messages, "events", stats.Events, "up_to", stats.UpTo, "took", stats.Took.String(), "events_per_second", int(rate))
	fmt.Fprintf(stdout, "rebuilt the events table from %d messages (stream sequence 1 to %d): %d events in %s, %.0f events/s\n",
		stats.Messages, stats.UpTo, stats.Events, stats.Took.Round(1e6), rate)
	return nil
}
