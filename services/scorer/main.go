// Command scorer computes kaoping's indicators, scores and rankings for a
// period on request (POST /v1/runs) and stores every run with its results.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/services/scorer/internal/runner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "scorer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := obs.NewLogger(stdout, "scorer")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "scorer")
	tokens, err := auth.ParseTokens(cfg.Tokens)
	if err != nil {
		return err
	}
	model, err := scoring.LoadModel(cfg.Model)
	if err != nil {
		return err
	}
	nc, js, err := stream.Connect(ctx, cfg.NATSURL, "kaoping-scorer", cfg.streamConfig(), log)
	if err != nil {
		return err
	}
	defer nc.Close()
	st, err := store.Open(ctx, cfg.ClickHouse, log)
	if err != nil {
		return err
	}
	defer st.Close()
	r := runner.New(js, st, model, cfg.BarrierTimeout, reg, log)
	probe.SetReady(true)
	log.Info("scorer ready", "model", model.Version, "model_sha256", model.SHA256)
	err = obs.Serve(ctx, cfg.Addr, NewServer(r, st, tokens, cfg.RunWait, reg, probe), probe, cfg.DrainDelay, log)
	if !r.Wait(cfg.BarrierTimeout) {
		log.Warn("runs still in flight at exit stay \"running\"")
	}
	return err
}
