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
	env := c.ClickHouse.RegisterFlags(fs)
	fs.StringVar(&c.Tokens, "tokens", "", `bearer tokens allowed to start and list runs, "token=principal,…"`)
	fs.StringVar(&c.Model, "model", "kp-2026.1", "scoring model version (schemas/models/<version>.yaml)")
	fs.DurationVar(&c.BarrierTimeout, "barrier-timeout", 5*time.Minute, "longest a run waits for the aggregator to store the events acknowledged before it")
	fs.DurationVar(&c.RunWait, "run-wait", time.Minute, "how long POST /v1/runs waits for the run to end before answering with status running")
	fs.IntVar(&c.StreamReplicas, "stream-replicas", 1, "replicas of the streams (1 on one machine, 3 on a cluster)")
	fs.DurationVar(&c.DrainDelay, "drain-delay", 0, "time /readyz answers 503 before the server stops accepting, on SIGTERM")
	env["addr"] = "KAOPING_SCORER_ADDR"
	env["nats-url"] = "KAOPING_NATS_URL"
	env["tokens"] = "KAOPING_TOKENS"
	env["model"] = "KAOPING_SCORER_MODEL"
	env["barrier-timeout"] = "KAOPING_SCORER_BARRIER_TIMEOUT"
	env["run-wait"] = "KAOPING_SCORER_RUN_WAIT"
	env["stream-replicas"] = "KAOPING_STREAM_REPLICAS"
	env["drain-delay"] = "KAOPING_SCORER_DRAIN_DELAY"
	err := flagenv.Parse(fs, args[1:], getenv, env, "The scorer of kaoping: POST /v1/runs scores a period from ClickHouse with the model.", out)
	return c, err
}

func (c Config) streamConfig() stream.Config { return stream.Config{Replicas: c.StreamReplicas} }
