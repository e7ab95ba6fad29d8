package main

import (
	"flag"
	"io"
	"time"

	"kaoping/pkg/flagenv"
	"kaoping/pkg/store"
)

// Config is every setting of the api.
type Config struct {
	Addr       string
	ClickHouse store.Options
	Tokens     string
	DrainDelay time.Duration
}

func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.ClickHouse.Addr, "clickhouse-addr", "127.0.0.1:9000", "ClickHouse native protocol host:port")
	fs.StringVar(&c.ClickHouse.Database, "clickhouse-database", "kaoping", "ClickHouse database (created when missing)")
	fs.StringVar(&c.ClickHouse.Username, "clickhouse-user", "default", "ClickHouse user")
	fs.StringVar(&c.ClickHouse.Password, "clickhouse-password", "", "ClickHouse password")
	fs.StringVar(&c.Tokens, "tokens", "", `bearer tokens allowed to read, "token=principal,…"`)
	fs.DurationVar(&c.DrainDelay, "drain-delay", 0, "time /readyz answers 503 before the server stops accepting, on SIGTERM")
	err := flagenv.Parse(fs, args[1:], getenv, map[string]string{
		"addr":                "KAOPING_API_ADDR",
		"clickhouse-addr":     "KAOPING_CLICKHOUSE_ADDR",
		"clickhouse-database": "KAOPING_CLICKHOUSE_DATABASE",
		"clickhouse-user":     "KAOPING_CLICKHOUSE_USER",
		"clickhouse-password": "KAOPING_CLICKHOUSE_PASSWORD",
		"tokens":              "KAOPING_TOKENS",
		"drain-delay":         "KAOPING_API_DRAIN_DELAY",
	}, "The api of kaoping: rankings and explanations read from ClickHouse.", out)
	return c, err
}
