package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"kaoping/pkg/flagenv"
	"kaoping/pkg/obs"
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
	// HTTP serves /healthz, /readyz and /metrics (flag --http-addr).
	HTTP obs.HTTPConfig
	// Streams sizes the streams natsd declares: the same settings, with the
	// same variables, as every service that declares them, so that they agree.
	Streams stream.Config
	// Sync is "always" (JetStream writes every message to disk before it
	// acknowledges it, so what was acknowledged survives a power cut) or an
	// interval between syncs (faster; a power cut may lose that much).
	Sync string
	// MaxPayload is the largest message the server takes.
	MaxPayload int
	// Config is a nats-server configuration file (deploy/nats/kaoping.conf)
	// whose users and permissions the server enforces; empty: no users, any
	// client may do anything (the local stack, on loopback). The flags above
	// override its listen address, store, sync and max payload.
	Config string
	// User and Password are what natsd's own connection, which declares the
	// streams, logs in with when Config has users (user default: natsd).
	User, Password string
}

const about = "kaoping's NATS server with JetStream (the local stack's); declares kaoping's streams once ready.\n" +
	"natsd users --sources FILE prints the NATS users and permissions of a source registry (deploy/nats/users.conf)."

// parseConfig reads args (args[0] is the program name) over getenv over the
// defaults. On --help it prints every setting to out and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("natsd", flag.ContinueOnError)
	env := flagenv.Merge(
		c.HTTP.RegisterFlags(fs, "natsd", "http-addr", "127.0.0.1:8222"),
		c.Streams.RegisterFlags(fs),
		map[string]string{"addr": "KAOPING_NATSD_ADDR", "store-dir": "KAOPING_NATSD_STORE_DIR",
			"sync": "KAOPING_NATSD_SYNC", "max-payload": "KAOPING_NATSD_MAX_PAYLOAD", "config": "KAOPING_NATSD_CONFIG",
			"nats-user": "KAOPING_NATS_USER", "nats-password": "KAOPING_NATS_PASSWORD"})
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:4222", "host:port of the NATS client listener (port 0: a free port)")
	fs.StringVar(&c.StoreDir, "store-dir", ".data/nats", "directory of the JetStream store")
	fs.StringVar(&c.Sync, "sync", "always", `"always": sync every stored message to disk before acknowledging it (durable across a power cut); or an interval such as 2m`)
	fs.IntVar(&c.MaxPayload, "max-payload", 1<<20, "largest message in bytes the server takes (a batch of events travels in one)")
	fs.StringVar(&c.Config, "config", "", "nats-server configuration file with kaoping's users and permissions (deploy/nats/kaoping.conf); empty: no users")
	fs.StringVar(&c.User, "nats-user", "", "user of natsd's own connection when --config has users (default natsd)")
	fs.StringVar(&c.Password, "nats-password", "", "password of that user")
	if err := flagenv.Parse(fs, args[1:], getenv, env, about, out); err != nil {
		return config{}, err
	}
	if c.StoreDir == "" {
		return config{}, errors.New("--store-dir (KAOPING_NATSD_STORE_DIR) is empty")
	}
	if _, _, err := splitHostPort(c.Addr); err != nil {
		return config{}, fmt.Errorf("--addr (KAOPING_NATSD_ADDR): %w", err)
	}
	if _, err := c.syncInterval(); err != nil {
		return config{}, err
	}
	if c.MaxPayload < 64<<10 || c.MaxPayload > 64<<20 {
		return config{}, fmt.Errorf("--max-payload (KAOPING_NATSD_MAX_PAYLOAD) must be from 64 KiB to 64 MiB, got %d", c.MaxPayload)
	}
	for _, err := range []error{c.HTTP.Check(), c.Streams.Check()} {
		if err != nil {
			return config{}, err
		}
	}
	return c, nil
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

// syncInterval reads Sync: 0 for always.
func (c config) syncInterval() (time.Duration, error) {
	if c.Sync == "always" {
		return 0, nil
	}
	d, err := time.ParseDuration(c.Sync)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf(`--sync (KAOPING_NATSD_SYNC) must be "always" or a positive interval, got %q`, c.Sync)
	}
	return d, nil
}
