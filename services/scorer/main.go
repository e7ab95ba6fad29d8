// Command scorer computes kaoping's indicators, scores and rankings for a
// period on request (POST /v1/runs) and stores every run with its results.
package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/auth"
	"kaoping/pkg/lifecycle"
	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/services/scorer/internal/runner"
)

func main() { lifecycle.Main("scorer", run) }

// run serves HTTP at once (healthy, not yet ready), connects to NATS and
// ClickHouse (waiting for each), then takes runs until ctx ends; runs in
// flight are let finish before the connections close.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	tokens, err := auth.ParseTokens(cfg.Tokens)
	if err != nil {
		return fmt.Errorf("KAOPING_TOKENS: %w", err)
	}
	model, err := scoring.LoadModel(cfg.Model)
	if err != nil {
		return fmt.Errorf("KAOPING_SCORER_MODEL: %w", err)
	}
	log := obs.NewLogger(stdout, "scorer")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "scorer", "nats", "clickhouse")
	srv := obs.NewServer(cfg.HTTP, reg, probe, log)

	// Once every part has stopped, runs in flight end, then the connections close.
	var (
		nc *nats.Conn
		st *store.Store
		r  *runner.Runner
	)
	defer func() {
		if r != nil && !r.Wait(cfg.BarrierTimeout) {
			log.Warn(`runs still in flight at exit stay "running"`)
		}
		if st != nil {
			st.Close()
		}
		if nc != nil {
			nc.Close()
		}
	}()
	var g lifecycle.Group
	g.Go("http", srv.Run)
	g.Go("runner", func(ctx context.Context) (err error) {
		var js jetstream.JetStream
		if nc, js, err = stream.Connect(ctx, cfg.NATS, "kaoping-scorer", log, probe.Reporter("nats")); err != nil {
			return err
		}
		if st, err = store.Open(ctx, cfg.ClickHouse, log, probe.Reporter("clickhouse")); err != nil {
			return err
		}
		r = runner.New(js, st, model, cfg.BarrierTimeout, reg, log)
		srv.Handle(NewServer(r, st, tokens, cfg.RunWait, log))
		log.Info("scorer ready", "model", model.Version, "model_sha256", model.SHA256)
		return st.Watch(ctx, 5*time.Second, probe.Reporter("clickhouse"))
	})
	return g.Run(ctx)
}
