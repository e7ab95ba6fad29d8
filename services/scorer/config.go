package main

import (
	"flag"
	"io"
	"time"

	"kaoping/pkg/flagenv"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
)

// Config is every setting of the scorer.
type Config struct {
	Addr           string
	NATSURL        string
	ClickHouse     store.Options
	Tokens         string
	Model          string
	BarrierTimeout time.Duration
	RunWait        time.Duration
	StreamReplicas int
	DrainDelay     time.Duration
}

func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("scorer", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8082", "HTTP listen address")
	fs.StringVar(&c.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated")
	fs.StringVar(&c.ClickHouse.Addr, "clickhouse-addr", "127.0.0.1:9000", "ClickHouse native protocol host:port")
	fs.StringVar(&c.ClickHouse.Database, "clickhouse-database", "kaoping", "ClickHouse database (created when missing)")
	fs.StringVar(&c.ClickHouse.Username, "clickhouse-user", "default", "ClickHouse user")
	fs.StringVar(&c.ClickHouse.Password, "clickhouse-password", "", "ClickHouse password")
	fs.StringVar(&c.Tokens, "tokens", "", `bearer tokens allowed to start and list runs, "token=principal,…"`)
	fs.StringVar(&c.Model, "model", "kp-2026.1", "scoring model version (schemas/models/<version>.yaml)")
	fs.DurationVar(&c.BarrierTimeout, "barrier-timeout", 5*time.Minute, "longest a run waits for the aggregator to store the events acknowledged before it")
	fs.DurationVar(&c.RunWait, "run-wait", time.Minute, "how long POST /v1/runs waits for the run to end before answering with status running")
	fs.IntVar(&c.StreamReplicas, "stream-replicas", 1, "replicas of the streams (1 on one machine, 3 on a cluster)")
	fs.DurationVar(&c.DrainDelay, "drain-delay", 0, "time /readyz answers 503 before the server stops accepting, on SIGTERM")
	err := flagenv.Parse(fs, args[1:], getenv, map[string]string{
		"addr":                "KAOPING_SCORER_ADDR",
		"nats-url":            "KAOPING_NATS_URL",
		"clickhouse-addr":     "KAOPING_CLICKHOUSE_ADDR",
		"clickhouse-database": "KAOPING_CLICKHOUSE_DATABASE",
		"clickhouse-user":     "KAOPING_CLICKHOUSE_USER",
		"clickhouse-password": "KAOPING_CLICKHOUSE_PASSWORD",
		"tokens":              "KAOPING_TOKENS",
		"model":               "KAOPING_SCORER_MODEL",
		"barrier-timeout":     "KAOPING_SCORER_BARRIER_TIMEOUT",
		"run-wait":            "KAOPING_SCORER_RUN_WAIT",
		"stream-replicas":     "KAOPING_STREAM_REPLICAS",
		"drain-delay":         "KAOPING_SCORER_DRAIN_DELAY",
	}, "The scorer of kaoping: POST /v1/runs scores a period from ClickHouse with the model.", out)
	return c, err
}

func (c Config) streamConfig() stream.Config { return stream.Config{Replicas: c.StreamReplicas} }
