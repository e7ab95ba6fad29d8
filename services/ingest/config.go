package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"kaoping/pkg/flagenv"
	"kaoping/pkg/obs"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
)

// Config is every setting of ingest. Each has a flag and a KAOPING_ environment
// variable; the command line wins over the environment, the environment over
// the default.
type Config struct {
	HTTP obs.HTTPConfig
	NATS stream.Options
	// Sources is the path of the source registry (YAML); required.
	Sources string
	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	MaxBodyBytes int64
	// PublishTimeout bounds the wait for JetStream's acknowledgements of one
	// request; past it the request is answered 503.
	PublishTimeout time.Duration
	// Rate is the events per second each source may send (0: no limit), and
	// Burst how many at once after a quiet spell (0: one second's worth);
	// past them requests are answered 429 with Retry-After.
	Rate  float64
	Burst float64
	// MemoryLimitMiB is the Go heap ingest lets grow before collecting (a
	// soft limit, lifecycle.SetMemoryLimit); 0 leaves Go's defaults.
	MemoryLimitMiB int
}

// DefaultRate is the events per second a source may send by default: above
// the benchmark rate of all sources together (about 200,000 events/s; one
// ingest on two cores sustains about 100,000 over HTTP), so that it never
// slows a healthy source, while a runaway one is held at a known rate. A deployment
// with many sources sets it lower: its capacity divided among the sources
// that must stay served.
const DefaultRate = 250000

const about = "The HTTP gateway of kaoping: POST /v1/events into NATS JetStream."

// parseConfig reads args (args[0] is the program name) over the environment
// over the defaults; with --help it prints every setting and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	env := flagenv.Merge(
		c.HTTP.RegisterFlags(fs, "ingest", "addr", "127.0.0.1:8081"),
		c.NATS.RegisterFlags(fs),
		sources.RegisterFlags(fs, &c.Sources),
		map[string]string{
			"max-body-bytes":  "KAOPING_INGEST_MAX_BODY_BYTES",
			"publish-timeout": "KAOPING_INGEST_PUBLISH_TIMEOUT",
			"rate":            "KAOPING_INGEST_RATE",
			"burst":           "KAOPING_INGEST_BURST",
			"memory-limit":    "KAOPING_INGEST_MEMORY_LIMIT_MIB",
		})
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 10<<20, "largest request body in bytes; larger is answered 413")
	fs.DurationVar(&c.PublishTimeout, "publish-timeout", 10*time.Second, "longest wait for JetStream to acknowledge a request's events; past it: 503")
	fs.Float64Var(&c.Rate, "rate", DefaultRate, "events per second each source may send (0: no limit); past it: 429 with Retry-After")
	fs.Float64Var(&c.Burst, "burst", 0, "events a source may send at once after a quiet spell (0: one second's worth of --rate)")
	fs.IntVar(&c.MemoryLimitMiB, "memory-limit", 200, "MiB of Go heap ingest lets grow before it collects (a soft limit: the requests in flight and the duplicate memory are what is live, and collecting less often saves CPU; 0: Go's defaults; GOGC and GOMEMLIMIT win when set)")
	if err := flagenv.Parse(fs, args[1:], getenv, env, about, out); err != nil {
		return Config{}, err
	}
	return c, c.check()
}

func (c Config) check() error {
	for _, err := range []error{c.HTTP.Check(), c.NATS.Check()} {
		if err != nil {
			return err
		}
	}
	switch {
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("--max-body-bytes (KAOPING_INGEST_MAX_BODY_BYTES) must be positive, got %d", c.MaxBodyBytes)
	case c.PublishTimeout <= 0:
		return fmt.Errorf("--publish-timeout (KAOPING_INGEST_PUBLISH_TIMEOUT) must be positive, got %s", c.PublishTimeout)
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("--rate (KAOPING_INGEST_RATE) must be events per second, 0 or more, got %v", c.Rate)
	case c.Burst < 0 || math.IsNaN(c.Burst) || math.IsInf(c.Burst, 0):
		return fmt.Errorf("--burst (KAOPING_INGEST_BURST) must be a number of events, 0 or more, got %v", c.Burst)
	case c.MemoryLimitMiB < 0:
		return fmt.Errorf("--memory-limit (KAOPING_INGEST_MEMORY_LIMIT_MIB) must not be negative, got %d", c.MemoryLimitMiB)
	}
	return nil
}
