package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"kaoping/pkg/auth"
	"kaoping/pkg/flagenv"
	"kaoping/pkg/obs"
	"kaoping/pkg/store"
)

// Config is every setting of the api.
type Config struct {
	HTTP       obs.HTTPConfig
	ClickHouse store.Options
	// Tokens are the bearer tokens allowed to read.
	Tokens auth.Tokens
	// AuditEvery is how often the audit log's queued entries are written.
	AuditEvery time.Duration
}

const about = "The api of kaoping: rankings and explanations read from ClickHouse."

// parseConfig reads args (args[0] is the program name) over the environment
// over the defaults; with --help it prints every setting and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	env := flagenv.Merge(
		c.HTTP.RegisterFlags(fs, "api", "addr", "127.0.0.1:8080"),
		c.ClickHouse.RegisterFlags(fs),
		c.Tokens.RegisterFlags(fs),
		map[string]string{"audit-every": "KAOPING_API_AUDIT_EVERY"})
	fs.DurationVar(&c.AuditEvery, "audit-every", time.Second, "how often the audit log's queued entries are written (one insert each time)")
	if err := flagenv.Parse(fs, args[1:], getenv, env, about, out); err != nil {
		return c, err
	}
	if c.AuditEvery <= 0 {
		return c, fmt.Errorf("--audit-every (KAOPING_API_AUDIT_EVERY) must be positive, got %s", c.AuditEvery)
	}
	return c, c.HTTP.Check()
}
