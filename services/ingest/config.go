package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"kaoping/pkg/flagenv"
)

// Config is every setting of ingest. Each has a flag and a KAOPING_ environment
// variable; the command line wins over the environment, the environment over
// the default.
type Config struct {
	// Addr is where the HTTP server listens.
	Addr string
	// NATSURL is the NATS server (or a comma-separated list of a cluster's).
	NATSURL string
	// Sources is the path of the token registry (YAML). Empty means the
	// development registry: /sources/dev with kaoping-dev-token, every type.
	Sources string
	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	MaxBodyBytes int64
	// DrainDelay is how long ingest answers not ready on /readyz before it
	// stops accepting connections, so that balancers stop sending first.
	DrainDelay time.Duration
	// PublishTimeout bounds the wait for JetStream's acknowledgements of one
	// request; past it the request is answered 503.
	PublishTimeout time.Duration
	// StreamReplicas and DuplicateWindow size the streams ingest declares at
	// start (pkg/stream). They must match what the other services declare.
	StreamReplicas  int
	DuplicateWindow time.Duration
}

// parseConfig reads the configuration from the environment, then the command
// line. With --help it prints every setting to out and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8081", "HTTP listen address")
	fs.StringVar(&c.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated")
	fs.StringVar(&c.Sources, "sources", "", "path of the source token registry (YAML); empty: the development registry, /sources/dev with token kaoping-dev-token")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 10<<20, "largest request body in bytes; larger is answered 413")
	fs.DurationVar(&c.DrainDelay, "drain-delay", 0, "time /readyz answers 503 before the server stops accepting, on SIGTERM")
	fs.DurationVar(&c.PublishTimeout, "publish-timeout", 10*time.Second, "longest wait for JetStream to acknowledge a request's events; past it: 503")
	fs.IntVar(&c.StreamReplicas, "stream-replicas", 1, "replicas of the streams (1 on one machine, 3 on a cluster)")
	fs.DurationVar(&c.DuplicateWindow, "duplicate-window", 24*time.Hour, "how long JetStream remembers event ids to drop duplicates")
	err := flagenv.Parse(fs, args, getenv, map[string]string{
		"addr":             "KAOPING_INGEST_ADDR",
		"nats-url":         "KAOPING_NATS_URL",
		"sources":          "KAOPING_INGEST_SOURCES",
		"max-body-bytes":   "KAOPING_INGEST_MAX_BODY_BYTES",
		"drain-delay":      "KAOPING_INGEST_DRAIN_DELAY",
		"publish-timeout":  "KAOPING_INGEST_PUBLISH_TIMEOUT",
		"stream-replicas":  "KAOPING_STREAM_REPLICAS",
		"duplicate-window": "KAOPING_STREAM_DUPLICATE_WINDOW",
	}, "The HTTP gateway of kaoping: POST /v1/events into NATS JetStream.", out)
	if err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, c.check()
}

func (c Config) check() error {
	switch {
	case c.Addr == "":
		return fmt.Errorf("--addr is empty")
	case c.NATSURL == "":
		return fmt.Errorf("--nats-url is empty")
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("--max-body-bytes must be positive, got %d", c.MaxBodyBytes)
	case c.DrainDelay < 0:
		return fmt.Errorf("--drain-delay must not be negative, got %s", c.DrainDelay)
	case c.PublishTimeout <= 0:
		return fmt.Errorf("--publish-timeout must be positive, got %s", c.PublishTimeout)
	case c.StreamReplicas < 1:
		return fmt.Errorf("--stream-replicas must be at least 1, got %d", c.StreamReplicas)
	case c.DuplicateWindow <= 0:
		return fmt.Errorf("--duplicate-window must be positive, got %s", c.DuplicateWindow)
	}
	return nil
}
