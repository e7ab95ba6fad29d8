// Command api serves kaoping's rankings and explanations from ClickHouse.
package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"kaoping/pkg/auth"
	"kaoping/pkg/lifecycle"
	"kaoping/pkg/obs"
	"kaoping/pkg/store"
)

func main() { lifecycle.Main("api", run) }

// run serves HTTP at once (healthy, not yet ready), opens ClickHouse (waiting
// for it), then answers reads until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	tokens, err := auth.ParseTokens(cfg.Tokens)
	if err != nil {
		return fmt.Errorf("KAOPING_TOKENS: %w", err)
	}
	log := obs.NewLogger(stdout, "api")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "api", "clickhouse")
	srv := obs.NewServer(cfg.HTTP, reg, probe, log)

	// Connections close once every part has stopped: requests in flight finish first.
	var st *store.Store
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	var g lifecycle.Group
	g.Go("http", srv.Run)
	g.Go("clickhouse", func(ctx context.Context) (err error) {
		if st, err = store.Open(ctx, cfg.ClickHouse, log, probe.Reporter("clickhouse")); err != nil {
			return err
		}
		srv.Handle(NewServer(st, tokens, log))
		log.Info("api ready")
		return st.Watch(ctx, 5*time.Second, probe.Reporter("clickhouse"))
	})
	return g.Run(ctx)
}
