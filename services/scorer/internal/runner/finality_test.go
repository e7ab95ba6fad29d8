package runner

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// gate is a read barrier that holds runs until it is opened.
type gate struct {
	mark uint64
	open chan struct{}
}

func (g gate) HighWater(context.Context) (uint64, error) { return g.mark, nil }
func (g gate) Stored(context.Context) (uint64, error)    { return g.mark, nil }
func (g gate) Wait(ctx context.Context, _ uint64) error {
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newRunner(t *testing.T, st *store.Store, b barrier, now time.Time) *Runner {
	t.Helper()
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	r := New(nil, st, m, time.Minute, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.barrier = b
	r.now = func() time.Time { return now }
	t.Cleanup(func() { r.Wait(time.Minute) })
	return r
}

func ended(t *testing.T, st *store.Store, id string, done <-chan struct{}) store.Run {
	t.Helper()
	<-done
	run, err := st.Run(context.Background(), id)
	if err != nil || run.Status != store.StatusDone {
		t.Fatalf("run %s: %+v %v", id, run, err)
	}
	return run
}

// TestARunEndingAfterTheFinalisationIsACorrection: finalising freezes the
// newest done run at that moment; a run in flight then ends as a correction
// run and never replaces it, and its diff is against the final run.
func TestARunEndingAfterTheFinalisationIsACorrection(t *testing.T) {
	st := openStore(t)
	_, hwm := tricky(t, st)
	g := gate{mark: hwm, open: make(chan struct{})}
	r := newRunner(t, st, g, time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)) // Q3 not over: nothing is due
	close(g.open)
	a, done, err := r.Start(context.Background(), "2026Q3")
	if err != nil {
		t.Fatal(err)
	}
	if a = ended(t, st, a.ID, done); a.Kind != KindOrdinary {
		t.Fatalf("first run kind %s", a.Kind)
	}
	g.open = make(chan struct{})
	r.barrier = g
	r.now = func() time.Time { return time.Date(2026, 9, 21, 0, 0, 0, 0, time.UTC) }
	b, doneB, err := r.Start(context.Background(), "2026Q3")
	if err != nil {
		t.Fatal(err)
	}
	final, err := r.Finalize(context.Background(), "2026Q3", "tester")
	if err != nil || final.ID != a.ID {
		t.Fatalf("finalised at %v, %v; want the done run %s, not the one in flight", final, err, a.ID)
	}
	close(g.open)
	if b = ended(t, st, b.ID, doneB); b.Kind != KindCorrection {
		t.Errorf("the run that ended after the finalisation is %s, want a correction", b.Kind)
	}
	if again, err := r.Finalize(context.Background(), "2026Q3", "tester"); err != nil || again.ID != a.ID {
		t.Errorf("finalising again = %v %v, want %s kept", again, err, a.ID)
	}
	against, settled, err := r.Against(context.Background(), b)
	if err != nil || against == nil || against.ID != a.ID || !settled {
		t.Errorf("the correction is compared with %+v (settled %v, %v), want the final run", against, settled, err)
	}
	if against, _, err := r.Against(context.Background(), a); err != nil || against != nil {
		t.Errorf("the first run is compared with %+v, %v; want nothing", against, err)
	}
}

// TestAPeriodPastItsGraceIsRunOnceMoreAndFrozen: a period whose runs all came
// before its grace ended gets one more run, and that run is frozen.
func TestAPeriodPastItsGraceIsRunOnceMoreAndFrozen(t *testing.T) {
	st := openStore(t)
	_, hwm := tricky(t, st)
	r := newRunner(t, st, fixedBarrier(hwm), time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC))
	early, done, err := r.Start(context.Background(), "2026Q3")
	if err != nil {
		t.Fatal(err)
	}
	ended(t, st, early.ID, done)
	if started, err := r.FinalizeDue(context.Background()); err != nil || len(started) != 0 {
		t.Fatalf("before the grace: started %v, %v", started, err)
	}
	r.now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	started, err := r.FinalizeDue(context.Background())
	if err != nil || len(started) != 1 {
		t.Fatalf("past the grace: started %v, %v; want one run", started, err)
	}
	r.Wait(time.Minute)
	p, _ := period.Parse("2026Q3", r.model.Location)
	s, err := r.state(context.Background(), r.model.Version, p, r.now())
	if err != nil || !s.isFinal || s.final.ID != started[0].ID {
		t.Fatalf("frozen at %+v (final %v, %v), want the run once more %s", s.final, s.isFinal, err, started[0].ID)
	}
	fins, _ := st.Finalizations(context.Background(), "2026Q3", r.model.Version)
	if len(fins) != 1 || fins[0].How != scoring.FinalizedAutomatically {
		t.Errorf("finalisations %+v", fins)
	}
	if started, err := r.FinalizeDue(context.Background()); err != nil || len(started) != 0 {
		t.Errorf("a final period again: started %v, %v", started, err)
	}
}

// TestARunLeftRunningIsFailedWhenTheScorerStarts.
func TestARunLeftRunningIsFailedWhenTheScorerStarts(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.SaveRun(ctx, store.Run{ID: "r-dead", Period: "2026Q3", Model: "kp-2026.1", Kind: KindOrdinary, AsOfNs: 1, Status: store.StatusRunning}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveRun(ctx, store.Run{ID: "r-done", Period: "2026Q3", Model: "kp-2026.1", Kind: KindOrdinary, AsOfNs: 2, Status: store.StatusDone}); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, st, fixedBarrier(0), time.Now())
	if n, err := r.FailInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("failed %d runs, %v; want 1", n, err)
	}
	dead, _ := st.Run(ctx, "r-dead")
	done, _ := st.Run(ctx, "r-done")
	if dead.Status != store.StatusFailed || dead.Error == "" || done.Status != store.StatusDone {
		t.Errorf("after the start: %+v, %+v", dead, done)
	}
}
