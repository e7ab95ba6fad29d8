// Command scorer computes kaoping's indicators, scores and rankings for a
// period on request (POST /v1/runs) and stores every run with its results.
package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"kaoping/pkg/audit"
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
	lifecycle.SetMemoryLimit(cfg.MemoryLimitMiB, getenv)
	models, err := loadModels(cfg.ModelsDir)
	if err != nil {
		return fmt.Errorf("KAOPING_SCORER_MODELS_DIR: %w", err)
	}
	var model *scoring.Model
	for _, m := range models {
		if m.Version == cfg.Model {
			model = m
		}
	}
	if model == nil {
		return fmt.Errorf("KAOPING_SCORER_MODEL: no model %s (built in or in KAOPING_SCORER_MODELS_DIR)", cfg.Model)
	}
	if cfg.CheckModels {
		for _, m := range models {
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", m.Version, m.SHA256, m.Source.Title)
		}
		return nil
	}
	log := obs.NewLogger(stdout, "scorer")
	reg := obs.NewRegistry()
	probe := obs.NewProbe(reg, "scorer", "nats", "clickhouse")
	srv := obs.NewServer(cfg.HTTP, reg, probe, log)

	var g lifecycle.Group
	g.Go("http", srv.Run)
	g.Go("runner", func(ctx context.Context) error {
		nc, js, err := stream.Connect(ctx, cfg.NATS, "kaoping-scorer", log, probe.Reporter("nats"))
		if err != nil {
			return err
		}
		g.Cleanup(nc.Close)
		st, err := store.Open(ctx, cfg.ClickHouse, log, probe.Reporter("clickhouse"))
		if err != nil {
			return err
		}
		g.Cleanup(func() { st.Close() })
		r := runner.New(js, st, model, cfg.BarrierTimeout, reg, log)
		r.SetModels(models)
		r.SetPartitionRows(cfg.PartitionRows)
		r.SetFinalAfter(cfg.FinalAfter)
		r.SetMaxRuns(cfg.MaxRuns)
		// A run left running by a scorer that died is nobody's now.
		if _, err := r.FailInterrupted(ctx); err != nil {
			return fmt.Errorf("runs left running: %w", err)
		}
		if err := r.Recall(ctx); err != nil {
			log.Warn("newest done run not read back; kaoping_scorer_last_done_run_timestamp_seconds stays 0 until the next", "err", err)
		}
		// Runs in flight end before the connections close.
		g.Cleanup(func() {
			if !r.Wait(cfg.BarrierTimeout) {
				log.Warn(`runs still in flight at exit stay "running"`)
			}
		})
		trail := audit.New(st, "scorer", cfg.Audit.Every, reg, log)
		written := make(chan struct{})
		auditCtx, stopAudit := context.WithCancel(ctx)
		go func() { defer close(written); _ = trail.Run(auditCtx) }()
		g.Cleanup(trail.Close) // what was answered while the server stopped
		srv.Handle(NewServer(r, st, trail, &cfg.Tokens, cfg.RunWait, log))
		log.Info("scorer ready", "model", model.Version, "model_sha256", model.SHA256, "models", len(models))
		// The duplicate index follows the aggregator, the finaliser and the
		// schedule the calendar; they stop with this part, before the
		// connections close.
		var background sync.WaitGroup
		background.Go(func() { _ = r.IndexDuplicates(ctx, cfg.DuplicateScan) })
		background.Go(func() { r.FinalizeEvery(ctx, cfg.FinalizeEvery) })
		if cfg.Schedule > 0 {
			background.Go(func() { r.Schedule(ctx, cfg.Schedule) })
		}
		err = st.Watch(ctx, 5*time.Second, probe.Reporter("clickhouse"))
		background.Wait()
		stopAudit()
		<-written // the last entries are written before the connection closes
		return err
	})
	return g.Run(ctx)
}
