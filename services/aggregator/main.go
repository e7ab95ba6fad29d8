// Command aggregator writes kaoping's events from NATS JetStream into
// ClickHouse in batches (see internal/aggregate).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"kaoping/pkg/event"
	"kaoping/pkg/obs"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/services/aggregator/internal/aggregate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "aggregator:", err)
		os.Exit(1)
	}
}

// run connects to NATS (waiting for it), serves HTTP (healthy, not yet ready),
// opens ClickHouse (waiting for it), becomes ready and consumes until ctx
// ends; the batch in hand is flushed before it returns.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := obs.NewLogger(stdout, "aggregator")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "aggregator")
	v, err := event.NewValidator()
	if err != nil {
		return err
	}

	nc, js, err := stream.Connect(ctx, cfg.NATSURL, "kaoping-aggregator", cfg.streamConfig(), log)
	if err != nil {
		return err
	}
	defer nc.Close()

	httpDone := make(chan error, 1)
	go func() { httpDone <- obs.Serve(ctx, cfg.Addr, NewServer(js, reg, probe), probe, 0, log) }()

	st, err := store.Open(ctx, cfg.ClickHouse, log)
	if err != nil {
		return err
	}
	defer st.Close()
	consumer, err := stream.EnsureAggregatorConsumer(ctx, js, cfg.streamConfig())
	if err != nil {
		return err
	}
	agg := aggregate.New(js, consumer, st, v, aggregate.Options{
		BatchSize: cfg.BatchSize, FlushInterval: cfg.FlushInterval, ShutdownTimeout: cfg.ShutdownTimeout,
	}, reg, log)
	probe.SetReady(true)
	log.Info("aggregator ready", "batch_size", cfg.BatchSize, "flush_interval", cfg.FlushInterval.String())

	if err := agg.Run(ctx); err != nil {
		return err
	}
	log.Info("consumer stopped; last batch flushed")
	return <-httpDone
}
