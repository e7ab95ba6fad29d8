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
	"slices"
	"strings"
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
	barrier barrier
	store   *store.Store
	// model is the default model (KAOPING_SCORER_MODEL); models holds every
	// model loaded, by version (SetModels), the default among them.
	model  *scoring.Model
	models map[string]*scoring.Model
	// savedFiles are the SHA-256 of the model files stored already.
	savedFiles sync.Map
	log        *slog.Logger
	now        func() time.Time
	inFlight   sync.WaitGroup

	runs      *prometheus.CounterVec
	duration  prometheus.Histogram
	indexed   prometheus.Gauge
	lastDone  prometheus.Gauge
	scheduled prometheus.Counter
	// partitionRows is about the most rows one query of a run sorts.
	partitionRows int
	// finalAfter is the grace after a period's end before it finalises itself.
	finalAfter time.Duration
	// finality keeps a run's end and a finalisation apart (finality.go).
	finality sync.Mutex
}

// New returns a runner.
func New(js jetstream.JetStream, st *store.Store, m *scoring.Model, barrierTimeout time.Duration, reg prometheus.Registerer, log *slog.Logger) *Runner {
	r := &Runner{barrier: streamBarrier{js, barrierTimeout}, store: st, model: m, models: map[string]*scoring.Model{m.Version: m},
		log: log, now: time.Now, finalAfter: scoring.FinalAfter,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kaoping_scorer_runs_total",
			Help: "Scoring runs finished, by status."}, []string{"status"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kaoping_scorer_run_duration_seconds",
			Help: "Time from a run's request to its end.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}),
	}
	r.indexed = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kaoping_scorer_duplicate_index_sequence",
		Help: "Stream sequence up to which the index of duplicated events is complete."})
	// An alert on the newest done run's age needs it across restarts: Recall
	// reads it back from the runs table.
	r.lastDone = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kaoping_scorer_last_done_run_timestamp_seconds",
		Help: "When the newest run that ended done ended (Unix time); 0 while there is none."})
	r.scheduled = prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_scorer_scheduled_runs_total",
		Help: "Runs started by the schedule (open periods) or to finalise a period past its grace."})
	reg.MustRegister(r.runs, r.duration, r.indexed, r.lastDone, r.scheduled)
	// Both statuses are exported from the start: increase() on a series
	// that appears at 1 would miss the first failed run.
	for _, s := range []string{store.StatusDone, store.StatusFailed} {
		r.runs.WithLabelValues(s)
	}
	return r
}

// Recall sets kaoping_scorer_last_done_run_timestamp_seconds from the runs
// already stored, so that a restarted scorer does not look as if it never
// finished a run.
func (r *Runner) Recall(ctx context.Context) error {
	runs, err := r.store.Runs(ctx, "")
	if err != nil {
		return err
	}
	var newest int64
	for _, x := range runs {
		if x.Status == store.StatusDone && x.UpdatedNs > newest {
			newest = x.UpdatedNs
		}
	}
	if newest > 0 {
		r.lastDone.Set(float64(newest) / 1e9)
	}
	return nil
}

// barrier is a run's read barrier: the stream's high-water mark when the run
// is requested, and the wait until the aggregator has stored everything up to
// it. Tests put a fixed mark in its place.
type barrier interface {
	HighWater(ctx context.Context) (uint64, error)
	Wait(ctx context.Context, highWater uint64) error
	// Stored is the mark up to which everything is stored now.
	Stored(ctx context.Context) (uint64, error)
}

// streamBarrier is the barrier of SPEC §5 on JetStream: the events stream's
// last sequence, and the aggregator consumer's ack floor reaching it.
type streamBarrier struct {
	js      jetstream.JetStream
	timeout time.Duration
}

func (b streamBarrier) HighWater(ctx context.Context) (uint64, error) {
	return stream.HighWater(ctx, b.js)
}

func (b streamBarrier) Wait(ctx context.Context, hw uint64) error {
	return stream.WaitProcessed(ctx, b.js, hw, b.timeout)
}

func (b streamBarrier) Stored(ctx context.Context) (uint64, error) {
	return stream.Processed(ctx, b.js)
}

// SetPartitionRows sets about the most rows one query of a run sorts
// (store.PeriodScan.PartitionRows); call it before the first run.
func (r *Runner) SetPartitionRows(n int) { r.partitionRows = n }

// Model is the runner's default scoring model.
func (r *Runner) Model() *scoring.Model { return r.model }

// SetModels makes the models runs may name (the default one stays among
// them); call it before the first run.
func (r *Runner) SetModels(ms []*scoring.Model) {
	for _, m := range ms {
		if m.Version != r.model.Version {
			r.models[m.Version] = m
		}
	}
}

// Models are the models runs may name, sorted by version.
func (r *Runner) Models() []*scoring.Model {
	out := make([]*scoring.Model, 0, len(r.models))
	for _, m := range r.models {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *scoring.Model) int { return strings.Compare(a.Version, b.Version) })
	return out
}

// ModelOf is the loaded model of a version.
func (r *Runner) ModelOf(version string) (*scoring.Model, bool) {
	m, ok := r.models[version]
	return m, ok
}

// Location is the time zone periods of a model's runs are read in: the
// model's, or the default model's for a model no longer loaded.
func (r *Runner) Location(version string) *time.Location { return r.location(version) }

func (r *Runner) location(version string) *time.Location {
	if m, ok := r.models[version]; ok {
		return m.Location
	}
	return r.model.Location
}

// Start is StartWith the default model.
func (r *Runner) Start(ctx context.Context, label string) (store.Run, <-chan struct{}, error) {
	return r.StartWith(ctx, r.model, label)
}

// StartWith records a new run of the period label with model m and executes
// it in the background; the returned channel closes when it has ended. The
// run's instant is now and it sees every event the stream had acknowledged
// by now. The model's file is stored first, so the run's results can be read
// without it.
func (r *Runner) StartWith(ctx context.Context, m *scoring.Model, label string) (store.Run, <-chan struct{}, error) {
	p, err := period.Parse(label, m.Location)
	if err != nil {
		return store.Run{}, nil, err
	}
	if _, saved := r.savedFiles.Load(m.SHA256); !saved {
		if err := r.store.SaveModelFile(ctx, m.SHA256, m.Version, m.File); err != nil {
			return store.Run{}, nil, err
		}
		r.savedFiles.Store(m.SHA256, true)
	}
	asOf := r.now()
	hw, err := r.barrier.HighWater(ctx)
	if err != nil {
		return store.Run{}, nil, fmt.Errorf("read barrier: %w", err)
	}
	kind, err := r.kind(ctx, m.Version, p, asOf)
	if err != nil {
		return store.Run{}, nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return store.Run{}, nil, err
	}
	run := store.Run{ID: id.String(), Period: label, Model: m.Version, ModelSHA256: m.SHA256,
		Kind: kind, AsOfNs: asOf.UnixNano(), HighWater: hw, Status: store.StatusRunning, Counts: "{}"}
	if err := r.store.SaveRun(ctx, run); err != nil {
		return store.Run{}, nil, err
	}
	done := make(chan struct{})
	r.inFlight.Add(1)
	go func() {
		defer r.inFlight.Done()
		defer close(done)
		r.execute(context.WithoutCancel(ctx), m, run, p)
	}()
	return run, done, nil
}

// IndexDuplicates keeps the index of duplicated events up to what the
// aggregator has stored, checking every interval until ctx ends, so a run
// finds its duplicates among the few events stored since the last check
// instead of grouping the whole history by key. A failed check is logged and
// tried again at the next interval.
func (r *Runner) IndexDuplicates(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if stored, err := r.barrier.Stored(ctx); err != nil {
			r.log.Warn("duplicate index: aggregator's progress unknown", "err", err)
		} else if _, err := r.store.CatchUpDuplicates(ctx, stored); err != nil && ctx.Err() == nil {
			r.log.Warn("duplicate index not brought up to date", "through", stored, "err", err)
		} else if err == nil {
			r.indexed.Set(float64(stored))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
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

func (r *Runner) execute(ctx context.Context, m *scoring.Model, run store.Run, p period.Period) {
	start := time.Now()
	counts, err := r.evaluate(ctx, m, run, p)
	if err != nil {
		run.Status, run.Error = store.StatusFailed, err.Error()
		r.log.Error("run failed", "run", run.ID, "period", run.Period, "err", err)
	} else {
		run.Status, run.Counts = store.StatusDone, counts
		r.log.Info("run done", "run", run.ID, "period", run.Period, "high_water", run.HighWater, "counts", counts, "took", time.Since(start).String())
	}
	run.UpdatedNs = time.Now().UnixNano()
	run = r.complete(ctx, run, p)
	if run.Status == store.StatusDone {
		r.lastDone.Set(float64(run.UpdatedNs) / 1e9)
	}
	r.runs.WithLabelValues(run.Status).Inc()
	r.duration.Observe(time.Since(start).Seconds())
}

func (r *Runner) evaluate(ctx context.Context, m *scoring.Model, run store.Run, p period.Period) (string, error) {
	start := time.Now()
	if err := r.barrier.Wait(ctx, run.HighWater); err != nil {
		return "", err
	}
	waited := time.Since(start)
	cases := r.store.NewCaseWriter(ctx, run.ID, 0)
	ev, stats, err := Score(ctx, r.store, m, p, run.AsOfNs, run.HighWater, cases.Add, store.PeriodScan{QueryID: run.ID, PartitionRows: r.partitionRows})
	if _, cerr := cases.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	read := time.Since(start)
	counts, err := r.saveResults(ctx, m, run, ev)
	if err != nil {
		return "", err
	}
	r.log.Info("run evaluated", "run", run.ID, "events", stats.Events, "copies_dropped", stats.Copies,
		"barrier", waited.String(), "read", (read - waited).String(), "results", (time.Since(start) - read).String(), "queries", stats.Queries)
	counts.Events = stats.Events
	b, err := json.Marshal(counts)
	return string(b), err
}
