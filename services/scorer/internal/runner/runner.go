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
	"sync/atomic"
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
	// slots bounds the runs in flight (SetMaxRuns); nil: no bound.
	slots chan struct{}
	// lastTook is how long the newest run that ended took, in nanoseconds:
	// the wait a refused request is told (ErrBusy).
	lastTook atomic.Int64
	inflight prometheus.Gauge
	refused  prometheus.Counter
}

// ErrBusy means as many runs as the scorer may run at once are in flight
// (SetMaxRuns); RetryAfter says when to ask again.
type ErrBusy struct {
	Max        int
	RetryAfter time.Duration
}

func (e *ErrBusy) Error() string {
	return fmt.Sprintf("the scorer runs at most %d at once and that many are in flight; try again in %s", e.Max, e.RetryAfter)
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
	r.inflight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kaoping_scorer_runs_in_flight",
		Help: "Runs started and not ended yet."})
	r.refused = prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_scorer_runs_refused_total",
		Help: "Requests for a run refused (429) because the most runs the scorer runs at once were in flight."})
	reg.MustRegister(r.runs, r.duration, r.indexed, r.lastDone, r.scheduled, r.inflight, r.refused)
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

// SetMaxRuns bounds the runs in flight at once to n (0: no bound); call it
// before the first run. A province's run takes a core and gigabytes for tens
// of seconds: runs past the bound would only slow every run down and could
// exhaust the memory.
func (r *Runner) SetMaxRuns(n int) {
	if n > 0 {
		r.slots = make(chan struct{}, n)
	}
}

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
// by now. While the most runs the scorer runs at once are in flight it
// starts nothing and returns *ErrBusy (a request is answered 429: a queue
// would hold the client's connection and hide the load).
func (r *Runner) StartWith(ctx context.Context, m *scoring.Model, label string) (store.Run, <-chan struct{}, error) {
	p, err := period.Parse(label, m.Location)
	if err != nil {
		return store.Run{}, nil, err
	}
	if r.slots != nil {
		select {
		case r.slots <- struct{}{}:
		default:
			r.refused.Inc()
			return store.Run{}, nil, &ErrBusy{Max: cap(r.slots), RetryAfter: r.retryAfter()}
		}
	}
	return r.start(ctx, m, p)
}

// StartWhenFree is StartWith that waits for a run to end while the most runs
// are in flight, until ctx ends: the schedule and the finaliser queue behind
// the runs in flight instead of being refused.
func (r *Runner) StartWhenFree(ctx context.Context, m *scoring.Model, label string) (store.Run, <-chan struct{}, error) {
	p, err := period.Parse(label, m.Location)
	if err != nil {
		return store.Run{}, nil, err
	}
	if r.slots != nil {
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return store.Run{}, nil, ctx.Err()
		}
	}
	return r.start(ctx, m, p)
}

// retryAfter is how long a refused request is told to wait: as long as the
// newest run that ended took, between 1 s and a minute (5 s before any).
func (r *Runner) retryAfter() time.Duration {
	took := time.Duration(r.lastTook.Load())
	if took == 0 {
		return 5 * time.Second
	}
	return min(max(took.Round(time.Second), time.Second), time.Minute)
}

// start starts the run of p with m once its slot is taken; the slot is given
// back when the run ends, or at once when it cannot start. The model's file
// is stored first, so the run's results can be read without it.
func (r *Runner) start(ctx context.Context, m *scoring.Model, p period.Period) (_ store.Run, _ <-chan struct{}, err error) {
	release := func() {
		if r.slots != nil {
			<-r.slots
		}
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	label := p.Label
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
	r.inflight.Inc()
	go func() {
		defer r.inFlight.Done()
		defer close(done)
		defer release()
		defer r.inflight.Dec()
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
		r.indexStored(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// indexStored brings the index of duplicated events up to what the
// aggregator has stored now; a failure is logged, the next call tries again.
func (r *Runner) indexStored(ctx context.Context) {
	if stored, err := r.barrier.Stored(ctx); err != nil {
		r.log.Warn("duplicate index: aggregator's progress unknown", "err", err)
	} else if _, err := r.store.CatchUpDuplicates(ctx, stored); err != nil && ctx.Err() == nil {
		r.log.Warn("duplicate index not brought up to date", "through", stored, "err", err)
	} else if err == nil {
		r.indexed.Set(float64(stored))
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
	// A correction run's diff against the final run is stored as it ends
	// (SPEC §5: "stored and shown"), before its answer, so the run's page
	// shows it at once; should that fail, the first GET …/diff makes it.
	if run.Status == store.StatusDone && run.Kind == KindCorrection {
		if _, err := r.Diff(ctx, run); err != nil {
			r.log.Warn("correction run's diff not stored; it is made when asked for", "run", run.ID, "err", err)
		}
	}
	r.runs.WithLabelValues(run.Status).Inc()
	r.duration.Observe(time.Since(start).Seconds())
	r.lastTook.Store(int64(time.Since(start)))
}

func (r *Runner) evaluate(ctx context.Context, m *scoring.Model, run store.Run, p period.Period) (string, error) {
	start := time.Now()
	// While the aggregator stores the last events, the duplicate index is
	// brought up to what it has stored already, so the run's own catch-up
	// (store.ScanPeriod, after the barrier; CatchUpDuplicates runs one at a
	// time) is left the last messages only. The barrier waits for one insert
	// after another, leaving a core free: in make bench (b) the run's
	// catch-up of 196,000 new events took 40–90 ms after it.
	caught := make(chan struct{})
	defer func() { <-caught }() // nothing of a run outlives it
	go func() {
		defer close(caught)
		r.indexStored(ctx)
	}()
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
