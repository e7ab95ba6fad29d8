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
	env := c.ClickHouse.RegisterFlags(fs)
	fs.StringVar(&c.Tokens, "tokens", "", `bearer tokens allowed to read, "token=principal,…"`)
	fs.DurationVar(&c.DrainDelay, "drain-delay", 0, "time /readyz answers 503 before the server stops accepting, on SIGTERM")
	env["addr"] = "KAOPING_API_ADDR"
	env["tokens"] = "KAOPING_TOKENS"
	env["drain-delay"] = "KAOPING_API_DRAIN_DELAY"
	err := flagenv.Parse(fs, args[1:], getenv, env, "The api of kaoping: rankings and explanations read from ClickHouse.", out)
	return c, err
}
