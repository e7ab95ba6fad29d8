package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"kaoping/pkg/flagenv"
	"kaoping/pkg/stream"
)

// config is every setting of natsd. Each one is a flag with a KAOPING_ env
// var fallback; the command line wins over the environment, which wins over
// the default.
type config struct {
	// Addr is host:port of the NATS client listener; port 0 picks a free one.
	Addr string
	// StoreDir is where JetStream keeps its files.
	StoreDir string
	// HTTPAddr is host:port of /healthz, /readyz and /metrics.
	HTTPAddr string
	// StreamReplicas and DuplicateWindow size the streams natsd declares
	// (pkg/stream); they are the same settings, with the same env vars, as
	// in every service that declares them, so that they agree.
	StreamReplicas  int
	DuplicateWindow time.Duration
}

// env names the environment variable of each flag.
var env = map[string]string{
	"addr":             "KAOPING_NATSD_ADDR",
	"store-dir":        "KAOPING_NATSD_STORE_DIR",
	"http-addr":        "KAOPING_NATSD_HTTP_ADDR",
	"stream-replicas":  "KAOPING_STREAM_REPLICAS",
	"duplicate-window": "KAOPING_STREAM_DUPLICATE_WINDOW",
}

// parseConfig reads args (without the program name) over getenv over the
// defaults. On --help it prints every setting to out and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("natsd", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:4222", "host:port of the NATS client listener (port 0: a free port)")
	fs.StringVar(&c.StoreDir, "store-dir", ".data/nats", "directory of the JetStream store")
	fs.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:8222", "host:port serving /healthz, /readyz and /metrics")
	fs.IntVar(&c.StreamReplicas, "stream-replicas", 1, "replicas of the streams (1 on one machine)")
	fs.DurationVar(&c.DuplicateWindow, "duplicate-window", 24*time.Hour, "how long JetStream remembers event ids to drop duplicates")
	about := "kaoping's NATS server with JetStream (the local stack's); declares kaoping's streams once ready."
	if err := flagenv.Parse(fs, args, getenv, env, about, out); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.StoreDir == "" {
		return config{}, errors.New("--store-dir is empty")
	}
	if _, _, err := splitHostPort(c.Addr); err != nil {
		return config{}, fmt.Errorf("--addr: %w", err)
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return config{}, fmt.Errorf("--http-addr: %w", err)
	}
	if c.StreamReplicas < 1 || c.DuplicateWindow <= 0 {
		return config{}, errors.New("--stream-replicas must be at least 1 and --duplicate-window positive")
	}
	return c, nil
}

// streams is the stream sizing natsd declares.
func (c config) streams() stream.Config {
	return stream.Config{Replicas: c.StreamReplicas, DuplicateWindow: c.DuplicateWindow}
}

// splitHostPort splits a NATS listen address into host and port.
func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}
