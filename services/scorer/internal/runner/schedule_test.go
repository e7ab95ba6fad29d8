package runner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"kaoping/pkg/store"
)

// TestTheScheduleRunsTheOpenPeriods: the month, quarter and year now is in,
// and those before them whose grace lasts, each once while a run of it is in
// flight; the age of the newest run follows.
func TestTheScheduleRunsTheOpenPeriods(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 10, 10, 4, 0, 0, 0, time.UTC) // 12:00 in Shanghai
	g := gate{mark: 0, open: make(chan struct{})}
	r := newRunner(t, st, g, now)
	reg := prometheus.NewRegistry()
	r2 := New(nil, st, r.model, time.Minute, reg, r.log)
	r2.barrier, r2.now = g, r.now
	started, err := r2.ScheduleOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, x := range started {
		labels = append(labels, x.Period)
	}
	slices.Sort(labels)
	// 2026-09 and 2026Q3 ended on 2026-10-01, their grace lasts until
	// 2026-10-16; 2025's ended on 2026-01-16.
	if want := []string{"2026", "2026-09", "2026-10", "2026Q3", "2026Q4"}; !slices.Equal(labels, want) {
		t.Fatalf("scheduled %v, want %v", labels, want)
	}
	if again, err := r2.ScheduleOnce(context.Background()); err != nil || len(again) != 0 {
		t.Errorf("with runs in flight, scheduled again %v, %v", again, err)
	}
	close(g.open)
	r2.Wait(time.Minute)
	for _, x := range started {
		if run, err := st.Run(context.Background(), x.ID); err != nil || run.Status != store.StatusDone {
			t.Errorf("run %s: %+v %v", x.Period, run, err)
		}
	}
	if got := testutil.ToFloat64(r2.scheduled); got != 5 {
		t.Errorf("scheduled runs counted %v", got)
	}
	if got := testutil.ToFloat64(r2.lastDone); got == 0 {
		t.Errorf("the newest done run's time not exported")
	}
}
