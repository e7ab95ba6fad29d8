package deploy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os/exec"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// The simulator's quarter the boards are tested on.
const (
	demoPeriod     = "2026Q3"
	demoComplaints = "3000"
	demoDistrict   = "jx.nanhu"
)

// demo is a database holding the simulator's quarter, one done scoring run of
// it and its results.
type demo struct {
	addr, database string
	store          *store.Store
	records        []event.Record
	run            store.Run
	eval           *scoring.Evaluation
	// asOf, when set, is the run's instant (and its end, a second later),
	// so two demos can be compared; otherwise now.
	asOf time.Time
}

// loadDemo generates the simulator's quarter (`simulator generate`), stores
// it as the aggregator does (one stream sequence per event) and scores it as
// the scorer does, into a fresh database of the shared ClickHouse.
func loadDemo(t *testing.T) *demo {
	t.Helper()
	ch := testkit.SharedClickHouse(t)
	return loadDemoOn(t, generateDemo(t), ch.Addr, ch.NewDatabase(t), "", time.Time{})
}

// loadDemoOn stores records in database at addr (on the ClickHouse cluster
// named cluster, when set) and scores them.
func loadDemoOn(t *testing.T, records []event.Record, addr, database, cluster string, asOf time.Time) *demo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := &demo{addr: addr, database: database, records: records, asOf: asOf}
	st, err := store.Open(ctx, store.Options{Addr: d.addr, Database: d.database, Cluster: cluster, MaxExecutionTime: time.Minute},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d.store = st
	if err := st.InsertEvents(ctx, d.records); err != nil {
		t.Fatal(err)
	}
	d.score(t, ctx)
	return d
}

// generateDemo is the simulator's quarter (`simulator generate`) as the
// aggregator stores it, one stream sequence per event.
func generateDemo(t *testing.T) []event.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var records []event.Record
	cmd := exec.CommandContext(ctx, "go", "run", "./services/simulator", "generate", "--period", demoPeriod, "--complaints", demoComplaints)
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("simulator generate: %v\n%s", err, stderr.Bytes())
	}
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for seq := uint64(1); sc.Scan(); seq++ {
		e, err := v.Parse(sc.Bytes())
		if err != nil {
			t.Fatalf("event %d of the simulator: %v", seq, err)
		}
		r, err := event.ToRecord(e, seq, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(records) < 10000 {
		t.Fatalf("the simulator generated %d events; a quarter has more", len(records))
	}
	return records
}

// score runs the model over the stored quarter at now and stores the run and
// its results as the scorer does.
func (d *demo) score(t *testing.T, ctx context.Context) {
	t.Helper()
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	p, err := period.Parse(demoPeriod, m.Location)
	if err != nil {
		t.Fatal(err)
	}
	hw := uint64(len(d.records))
	records, err := d.store.PeriodEvents(ctx, p, hw)
	if err != nil {
		t.Fatal(err)
	}
	asOf, ended := d.asOf, d.asOf.Add(time.Second)
	if asOf.IsZero() {
		asOf = time.Now()
	}
	d.eval = scoring.Evaluate(m, p, asOf.UnixNano(), records)
	d.run = store.Run{ID: "0190-demo-run", Period: demoPeriod, Model: m.Version, ModelSHA256: m.SHA256, Kind: "ordinary",
		AsOfNs: asOf.UnixNano(), HighWater: hw, Status: store.StatusRunning, Counts: "{}", UpdatedNs: asOf.UnixNano()}
	if err := d.store.SaveRun(ctx, d.run); err != nil {
		t.Fatal(err)
	}
	// What the scorer stores of a run: every subject placed among the
	// peers of its level (store.Place, as the runner does).
	var rows []store.ScoreRow
	for _, list := range [][]scoring.Result{d.eval.Units, d.eval.Cadres} {
		for i := range list {
			rows = append(rows, store.ScoreRowOf(d.run.ID, m, &list[i]))
		}
	}
	store.Place(m, rows)
	if err := d.store.SaveScores(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if d.asOf.IsZero() {
		ended = time.Now()
	}
	d.run.Status, d.run.UpdatedNs = store.StatusDone, ended.UnixNano()
	if err := d.store.SaveRun(ctx, d.run); err != nil {
		t.Fatal(err)
	}
}
