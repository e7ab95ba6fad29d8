package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"kaoping/pkg/audit"
	"kaoping/pkg/auth"
	"kaoping/pkg/flagenv"
	"kaoping/pkg/obs"
	"kaoping/pkg/sources"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/services/aggregator/internal/aggregate"
)

// Config is every setting of the aggregator.
type Config struct {
	HTTP       obs.HTTPConfig
	NATS       stream.Options
	ClickHouse store.Options
	// BatchSize is the most events in one insert.
	BatchSize int
	// FlushInterval is the longest a batch waits to fill.
	FlushInterval time.Duration
	// ShutdownTimeout bounds flushing the last batch on SIGTERM.
	ShutdownTimeout time.Duration
	// AckWait is how long a fetched message may stay unacknowledged before
	// JetStream delivers it again; short, because held messages get
	// in-progress acks, and a restart after a crash waits this long.
	AckWait time.Duration
	// MaxDeliver is how often a message may come back before it is taken for poison.
	MaxDeliver int
	// Sources is the path of the source registry.
	Sources string
	// Tokens are the bearer tokens of the dead-letter endpoints (admin only).
	Tokens auth.Tokens
	// MemoryLimitMiB is the Go heap the aggregator lets grow before
	// collecting (a soft limit, lifecycle.SetMemoryLimit); 0 leaves Go's defaults.
	MemoryLimitMiB int
	// Audit is how the audit log of those endpoints is written.
	Audit audit.Options
}

const about = `The aggregator of kaoping: JetStream → ClickHouse in batches, invalid events to the dead letters.
"aggregator rebuild [flags]" recreates the events table from the stream's first message.`

// parseConfig reads args (args[0] is the program name) over the environment
// over the defaults; with --help it prints every setting and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("aggregator", flag.ContinueOnError)
	env := flagenv.Merge(
		c.HTTP.RegisterFlags(fs, "aggregator", "addr", "127.0.0.1:8083"),
		c.NATS.RegisterFlags(fs),
		c.ClickHouse.RegisterFlags(fs),
		sources.RegisterFlags(fs, &c.Sources),
		c.Tokens.RegisterFlags(fs),
		c.Audit.RegisterFlags(fs, "aggregator"),
		map[string]string{
			"max-deliver":      "KAOPING_AGGREGATOR_MAX_DELIVER",
			"batch-size":       "KAOPING_AGGREGATOR_BATCH_SIZE",
			"flush-interval":   "KAOPING_AGGREGATOR_FLUSH_INTERVAL",
			"shutdown-timeout": "KAOPING_AGGREGATOR_SHUTDOWN_TIMEOUT",
			"ack-wait":         "KAOPING_AGGREGATOR_ACK_WAIT",
			"memory-limit":     "KAOPING_AGGREGATOR_MEMORY_LIMIT_MIB",
		})
	d := aggregate.Defaults
	fs.IntVar(&c.BatchSize, "batch-size", d.BatchSize, "most events in one insert batch (ClickHouse pays much of an insert per part: fewer, larger inserts cost it less)")
	fs.DurationVar(&c.FlushInterval, "flush-interval", d.FlushInterval, "longest a batch waits to fill before it is inserted (what a run waits at most for the last events sent)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "longest wait to flush the last batch on SIGTERM")
	fs.DurationVar(&c.AckWait, "ack-wait", d.AckWait, "how long a fetched message may stay unacknowledged before redelivery (held messages get in-progress acks)")
	fs.IntVar(&c.MemoryLimitMiB, "memory-limit", 200, "MiB of Go heap the aggregator lets grow before it collects (a soft limit: batches in flight are what is live, and collecting less often saves CPU; 0: Go's defaults; GOGC and GOMEMLIMIT win when set)")
	fs.IntVar(&c.MaxDeliver, "max-deliver", d.MaxDeliver, "deliveries after which a message that was never stored is taken for poison and dead-lettered")
	if err := flagenv.Parse(fs, args[1:], getenv, env, about, out); err != nil {
		return c, err
	}
	return c, c.check()
}

func (c Config) check() error {
	for _, err := range []error{c.HTTP.Check(), c.NATS.Check(), c.Audit.Check()} {
		if err != nil {
			return err
		}
	}
	switch {
	case c.BatchSize < 1:
		return fmt.Errorf("--batch-size (KAOPING_AGGREGATOR_BATCH_SIZE) must be at least 1, got %d", c.BatchSize)
	case c.MemoryLimitMiB < 0:
		return fmt.Errorf("--memory-limit (KAOPING_AGGREGATOR_MEMORY_LIMIT_MIB) must not be negative, got %d", c.MemoryLimitMiB)
	case c.FlushInterval <= 0:
		return fmt.Errorf("--flush-interval (KAOPING_AGGREGATOR_FLUSH_INTERVAL) must be positive, got %s", c.FlushInterval)
	case c.ShutdownTimeout <= 0:
		return fmt.Errorf("--shutdown-timeout (KAOPING_AGGREGATOR_SHUTDOWN_TIMEOUT) must be positive, got %s", c.ShutdownTimeout)
	case c.AckWait < 100*time.Millisecond:
		return fmt.Errorf("--ack-wait (KAOPING_AGGREGATOR_ACK_WAIT) must be at least 100ms, got %s", c.AckWait)
	case c.MaxDeliver < 1:
		return fmt.Errorf("--max-deliver (KAOPING_AGGREGATOR_MAX_DELIVER) must be at least 1, got %d", c.MaxDeliver)
	}
	return nil
}

// consumer sizes the durable consumer: it may hold two batches at once and
// the fetch filling a third.
func (c Config) consumer() stream.ConsumerConfig {
	return stream.ConsumerConfig{AckWait: c.AckWait, MaxAckPending: max(4*c.BatchSize, 1000)}
}
