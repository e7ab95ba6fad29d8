// Package runner executes scoring runs: it fixes the run's instant and the
// stream's high-water mark when the run is requested, waits for the
// aggregator to store everything up to that mark (the read barrier), reads the
// period's events from ClickHouse, evaluates the model and stores the run and
// its results. Runs are appended, never overwritten.
package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
)

// Runner starts and executes runs.
type Runner struct {
	js             jetstream.JetStream
	store          *store.Store
	model          *scoring.Model
	barrierTimeout time.Duration
	log            *slog.Logger
	now            func() time.Time
	inFlight       sync.WaitGroup

	runs     *prometheus.CounterVec
	duration prometheus.Histogram
}

// New returns a runner.
func New(js jetstream.JetStream, st *store.Store, m *scoring.Model, barrierTimeout time.Duration, reg prometheus.Registerer, log *slog.Logger) *Runner {
	r := &Runner{js: js, store: st, model: m, barrierTimeout: barrierTimeout, log: log, now: time.Now,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaoping_scorer_runs_total",
			Help: "Scoring runs finished, by status."}, []string{"status"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kaoping_scorer_run_duration_seconds",
			Help: "Time from a run's request to its end.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}),
	}
	reg.MustRegister(r.runs, r.duration)
	return r
}

// Model is the runner's scoring model.
func (r *Runner) Model() *scoring.Model { return r.model }

// Start records a new run of the period label and executes it in the
// background; the returned channel closes when it has ended. The run's
// instant is now and it sees every event the stream had acknowledged by now.
func (r *Runner) Start(ctx context.Context, label string) (store.Run, <-chan struct{}, error) {
	p, err := period.Parse(label, r.model.Location)
	if err != nil {
		return store.Run{}, nil, err
	}
	asOf := r.now()
	hw, err := stream.HighWater(ctx, r.js)
	if err != nil {
		return store.Run{}, nil, fmt.Errorf("read barrier: %w", err)
	}
	kind, err := r.kind(ctx, p, asOf)
	if err != nil {
		return store.Run{}, nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return store.Run{}, nil, err
	}
	run := store.Run{ID: id.String(), Period: label, Model: r.model.Version, ModelSHA256: r.model.SHA256,
		Kind: kind, AsOfNs: asOf.UnixNano(), HighWater: hw, Status: store.StatusRunning, Counts: "{}"}
	if err := r.store.SaveRun(ctx, run); err != nil {
		return store.Run{}, nil, err
	}
	done := make(chan struct{})
	r.inFlight.Add(1)
	go func() {
		defer r.inFlight.Done()
		defer close(done)
		r.execute(context.WithoutCancel(ctx), run, p)
	}()
	return run, done, nil
}

// Wait lets the runs in flight end, up to timeout, so that a scorer stopped
// with SIGTERM does not leave a run "running" for ever. It reports whether all ended.
func (r *Runner) Wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { r.inFlight.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// kind is "correction" when the period is already final at asOf.
func (r *Runner) kind(ctx context.Context, p period.Period, asOf time.Time) (string, error) {
	runs, err := r.store.Runs(ctx, p.Label)
	if err != nil {
		return "", err
	}
	_, final, err := r.store.FinalRun(ctx, p, runs, asOf)
	if err != nil {
		return "", err
	}
	if final {
		return "correction", nil
	}
	return "ordinary", nil
}

func (r *Runner) execute(ctx context.Context, run store.Run, p period.Period) {
	start := time.Now()
	counts, err := r.evaluate(ctx, run, p)
	if err != nil {
		run.Status, run.Error = store.StatusFailed, err.Error()
		r.log.Error("run failed", "run", run.ID, "period", run.Period, "err", err)
	} else {
		run.Status, run.Counts = store.StatusDone, counts
		r.log.Info("run done", "run", run.ID, "period", run.Period, "high_water", run.HighWater, "counts", counts, "took", time.Since(start).String())
	}
	if err := r.store.SaveRun(ctx, run); err != nil {
		r.log.Error("run state not saved", "run", run.ID, "err", err)
	}
	r.runs.WithLabelValues(run.Status).Inc()
	r.duration.Observe(time.Since(start).Seconds())
}

func (r *Runner) evaluate(ctx context.Context, run store.Run, p period.Period) (string, error) {
	if err := stream.WaitProcessed(ctx, r.js, run.HighWater, r.barrierTimeout); err != nil {
		return "", err
	}
	records, err := r.store.PeriodEvents(ctx, p, run.HighWater)
	if err != nil {
		return "", err
	}
	ev := scoring.Evaluate(r.model, p, run.AsOfNs, records)
	results := make([]store.Result, 0, len(ev.Units)+len(ev.Cadres))
	for _, list := range [][]scoring.Result{ev.Units, ev.Cadres} {
		for _, x := range list {
			detail, err := json.Marshal(x.Detail)
			if err != nil {
				return "", err
			}
			results = append(results, store.Result{RunID: run.ID, Period: run.Period, Kind: x.Kind, Subject: x.ID,
				Name: x.Name, Level: x.Level, Unit: x.Unit, Path: x.Path, Scored: x.Scored, ScoreCenti: x.ScoreCenti, Detail: string(detail)})
		}
	}
	if err := r.store.SaveResults(ctx, results); err != nil {
		return "", err
	}
	counts, err := json.Marshal(ev.Counts)
	return string(counts), err
}
