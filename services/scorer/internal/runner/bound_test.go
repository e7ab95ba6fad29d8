package runner

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"kaoping/pkg/store"
)

// TestRunsInFlightAreBounded: with at most two runs at once, a third request
// is refused with ErrBusy (nothing is stored for it) while two are in
// flight, and the schedule waits for a slot instead: every open period is run
// once the first runs end.
func TestRunsInFlightAreBounded(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 10, 10, 4, 0, 0, 0, time.UTC)
	g := gate{mark: 0, open: make(chan struct{})}
	r := newRunner(t, st, g, now)
	r.SetMaxRuns(2)
	ctx := context.Background()
	a, doneA, err := r.Start(ctx, "2026Q2")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Start(ctx, "2026Q1"); err != nil {
		t.Fatal(err)
	}
	_, _, err = r.Start(ctx, "2026Q3")
	var busy *ErrBusy
	if !errors.As(err, &busy) || busy.Max != 2 || busy.RetryAfter != 5*time.Second {
		t.Fatalf("third run = %v, want ErrBusy with 2 and 5 s", err)
	}
	if runs, err := st.Runs(ctx, "2026Q3"); err != nil || len(runs) != 0 {
		t.Errorf("a refused run was stored: %v %v", runs, err)
	}
	if got := testutil.ToFloat64(r.refused); got != 1 {
		t.Errorf("refused counted %v", got)
	}
	if got := testutil.ToFloat64(r.inflight); got != 2 {
		t.Errorf("in flight %v, want 2", got)
	}

	// The schedule queues behind the runs in flight: nothing of it starts
	// while the gate holds them.
	scheduled := make(chan []store.Run, 1)
	go func() {
		started, err := r.ScheduleOnce(ctx)
		if err != nil {
			t.Error(err)
		}
		scheduled <- started
	}()
	select {
	case s := <-scheduled:
		t.Fatalf("the schedule started %d runs past the bound", len(s))
	case <-time.After(300 * time.Millisecond):
	}
	close(g.open)
	ended(t, st, a.ID, doneA)
	var started []store.Run
	select {
	case started = <-scheduled:
	case <-time.After(time.Minute):
		t.Fatal("the schedule never started its runs")
	}
	var labels []string
	for _, x := range started {
		labels = append(labels, x.Period)
	}
	slices.Sort(labels)
	if want := []string{"2026", "2026-09", "2026-10", "2026Q3", "2026Q4"}; !slices.Equal(labels, want) {
		t.Errorf("scheduled %v, want %v", labels, want)
	}
	r.Wait(time.Minute)
	if got := testutil.ToFloat64(r.inflight); got != 0 {
		t.Errorf("in flight %v after every run ended", got)
	}
	if d := r.retryAfter(); d < time.Second || d > time.Minute {
		t.Errorf("retry after %s once runs ended", d)
	}
}
