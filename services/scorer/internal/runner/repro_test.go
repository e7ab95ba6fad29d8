package runner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// fixedBarrier is a read barrier at a mark the test chose: everything up to
// it is stored already.
type fixedBarrier uint64

func (b fixedBarrier) HighWater(context.Context) (uint64, error) { return uint64(b), nil }
func (b fixedBarrier) Wait(context.Context, uint64) error        { return nil }
func (b fixedBarrier) Stored(context.Context) (uint64, error)    { return uint64(b), nil }

// canonical is a run's results and listed cases as one JSON document, without
// the run's id: what must be byte for byte the same for the same events,
// model and as_of.
func canonical(t *testing.T, st *store.Store, runID string) string {
	t.Helper()
	ctx := context.Background()
	var doc struct {
		Results []store.ScoreRow
		Cases   []scoring.CaseResult
	}
	rs, err := st.RunScores(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		r.RunID = ""
		doc.Results = append(doc.Results, r)
	}
	cases, err := st.ResultCases(ctx, runID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	doc.Cases = cases
	if len(doc.Results) < 100 || len(doc.Cases) < 100 {
		t.Fatalf("run %s has %d results and %d cases: nothing to compare", runID, len(doc.Results), len(doc.Cases))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSameEventsModelAndAsOfGiveTheSameBytes runs a period twice at one
// instant, then again after every record was stored a second time (as a
// rebuild from the stream, or an aggregator retrying every insert, would):
// the results are byte for byte the same each time.
func TestSameEventsModelAndAsOfGiveTheSameBytes(t *testing.T) {
	st := openStore(t)
	h, hwm := tricky(t, st)
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	r := New(nil, st, m, time.Minute, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.barrier = fixedBarrier(hwm)
	asOf := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return asOf }
	run := func() string {
		t.Helper()
		run, done, err := r.Start(context.Background(), "2026Q3")
		if err != nil {
			t.Fatal(err)
		}
		<-done
		if got, err := st.Run(context.Background(), run.ID); err != nil || got.Status != store.StatusDone {
			t.Fatalf("run %+v, %v", got, err)
		}
		return canonical(t, st, run.ID)
	}
	first := run()
	if again := run(); again != first {
		t.Fatal("two runs of the same events at the same instant differ")
	}
	for i := 0; i < len(h.recs); i += 10000 {
		if err := st.InsertEvents(context.Background(), h.recs[i:min(i+10000, len(h.recs))]); err != nil {
			t.Fatal(err)
		}
	}
	if stored := run(); stored != first {
		t.Fatal("a run after every record was stored again differs")
	}
	// The comparison sees a change: a later instant turns pending cases into misses.
	r.now = func() time.Time { return asOf.Add(30 * 24 * time.Hour) }
	if later := run(); later == first {
		t.Fatal("a run at another instant gives the same bytes: the comparison proves nothing")
	}
}
