// Command api serves kaoping's rankings and explanations from ClickHouse.
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
	"kaoping/pkg/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := obs.NewLogger(stdout, "api")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "api")
	tokens, err := auth.ParseTokens(cfg.Tokens)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.ClickHouse, log)
	if err != nil {
		return err
	}
	defer st.Close()
	probe.SetReady(true)
	log.Info("api ready")
	return obs.Serve(ctx, cfg.Addr, NewServer(st, tokens, reg, probe, log), probe, cfg.DrainDelay, log)
}
