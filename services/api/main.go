// Command api serves kaoping's rankings and explanations from ClickHouse.
package main

import (
	"context"
	"io"
	"time"

	"kaoping/pkg/audit"
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
	log := obs.NewLogger(stdout, "api")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "api", "clickhouse")
	srv := obs.NewServer(cfg.HTTP, reg, probe, log)

	var g lifecycle.Group
	g.Go("http", srv.Run)
	g.Go("clickhouse", func(ctx context.Context) error {
		st, err := store.Open(ctx, cfg.ClickHouse, log, probe.Reporter("clickhouse"))
		if err != nil {
			return err
		}
		g.Cleanup(func() { st.Close() })
		trail := audit.New(st, "api", cfg.AuditEvery, reg, log)
		written := make(chan struct{})
		auditCtx, stopAudit := context.WithCancel(ctx)
		go func() { defer close(written); _ = trail.Run(auditCtx) }()
		g.Cleanup(trail.Close) // what was answered while the server stopped
		srv.Handle(NewServer(st, trail, &cfg.Tokens, log))
		log.Info("api ready")
		err = st.Watch(ctx, 5*time.Second, probe.Reporter("clickhouse"))
		stopAudit()
		<-written // the last entries are written before the connection closes
		return err
	})
	return g.Run(ctx)
}
