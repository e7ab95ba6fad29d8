package main

import (
	"flag"
	"io"

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
		c.Tokens.RegisterFlags(fs))
	if err := flagenv.Parse(fs, args[1:], getenv, env, about, out); err != nil {
		return c, err
	}
	return c, c.HTTP.Check()
}
