package main

import (
	"flag"
	"io"
	"time"

	"kaoping/pkg/flagenv"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
)

// Config is every setting of the aggregator.
type Config struct {
	Addr            string
	NATSURL         string
	ClickHouse      store.Options
	BatchSize       int
	FlushInterval   time.Duration
	ShutdownTimeout time.Duration
	StreamReplicas  int
	DuplicateWindow time.Duration
	AckWait         time.Duration
}

func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("aggregator", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8083", "HTTP listen address (/metrics, /healthz, /readyz, /v1/deadletters)")
	fs.StringVar(&c.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated")
	env := c.ClickHouse.RegisterFlags(fs)
	fs.IntVar(&c.BatchSize, "batch-size", 10000, "most messages in one insert batch")
	fs.DurationVar(&c.FlushInterval, "flush-interval", 500*time.Millisecond, "longest a batch waits to fill before it is inserted")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "longest wait to flush the last batch on SIGTERM")
	fs.IntVar(&c.StreamReplicas, "stream-replicas", 1, "replicas of the streams (1 on one machine, 3 on a cluster)")
	fs.DurationVar(&c.DuplicateWindow, "duplicate-window", 24*time.Hour, "how long JetStream remembers event ids to drop duplicates")
	fs.DurationVar(&c.AckWait, "ack-wait", time.Minute, "how long a fetched message may stay unacknowledged before redelivery")
	env["addr"] = "KAOPING_AGGREGATOR_ADDR"
	env["nats-url"] = "KAOPING_NATS_URL"
	env["batch-size"] = "KAOPING_AGGREGATOR_BATCH_SIZE"
	env["flush-interval"] = "KAOPING_AGGREGATOR_FLUSH_INTERVAL"
	env["shutdown-timeout"] = "KAOPING_AGGREGATOR_SHUTDOWN_TIMEOUT"
	env["stream-replicas"] = "KAOPING_STREAM_REPLICAS"
	env["duplicate-window"] = "KAOPING_STREAM_DUPLICATE_WINDOW"
	env["ack-wait"] = "KAOPING_AGGREGATOR_ACK_WAIT"
	err := flagenv.Parse(fs, args[1:], getenv, env, "The aggregator of kaoping: JetStream → ClickHouse in batches, invalid events to the dead letters.", out)
	return c, err
}

func (c Config) streamConfig() stream.Config {
	return stream.Config{Replicas: c.StreamReplicas, DuplicateWindow: c.DuplicateWindow, AckWait: c.AckWait, MaxAckPending: max(2*c.BatchSize, 1000)}
}
