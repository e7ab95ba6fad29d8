package runner

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
)

// TestClusterRunIsTheSingleServerRun stores the same history (a small
// generated province with copies that have other bodies and name other
// cases, copies past the high-water mark, reassignments, org moves, a batch
// stored twice) on one server and on a ClickHouse cluster of two shards
// (replicated tables behind Distributed ones, KAOPING_CLICKHOUSE_CLUSTER),
// runs the period on each, in one query per family and in many partitions,
// and finds every result row (place, rank, grade, every indicator) and every
// listed case the same, byte for byte.
func TestClusterRunIsTheSingleServerRun(t *testing.T) {
	c := testkit.StartClickHouseCluster(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := c.NewDatabase(t)
	opened := time.Now()
	onCluster, err := store.Open(ctx, store.Options{Addr: c.Addr(), Database: db, Cluster: c.Name, MaxExecutionTime: time.Minute},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatalf("open on the cluster: %v\n%s", err, c.Logs())
	}
	t.Cleanup(func() { onCluster.Close() })
	t.Logf("the cluster's schema (every migration ON CLUSTER): %s", time.Since(opened).Round(time.Millisecond))
	single := openStore(t)

	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	run := func(st *store.Store, hwm uint64, partitionRows int) string {
		t.Helper()
		r := New(nil, st, m, time.Minute, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		r.barrier = fixedBarrier(hwm)
		r.now = func() time.Time { return asOf }
		r.SetPartitionRows(partitionRows)
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
	_, hwm := tricky(t, single)
	_, clusterHWM := tricky(t, onCluster)
	if hwm != clusterHWM {
		t.Fatalf("high-water marks %d and %d", hwm, clusterHWM)
	}
	// Both shards hold events (store's TestClusterSchemaByConfigurationAlone
	// checks that a case's rows lie together).
	for i, n := range c.Nodes {
		var rows uint64
		if err := n.Connect(t, db).QueryRow(ctx, "SELECT count() FROM events_local").Scan(&rows); err != nil || rows < 5000 {
			t.Fatalf("shard %d holds %d events (%v): the comparison proves nothing", i+1, rows, err)
		}
	}
	began := time.Now()
	want := run(single, hwm, 0)
	t.Logf("the run on one server: %s", time.Since(began).Round(time.Millisecond))
	for _, partitionRows := range []int{0, 4000} {
		began := time.Now()
		got := run(onCluster, hwm, partitionRows)
		t.Logf("the run on the cluster, partition rows %d: %s", partitionRows, time.Since(began).Round(time.Millisecond))
		if got != want {
			t.Fatalf("partition rows %d: the cluster's run differs from the single server's:\n%s", partitionRows, firstDifference(got, want))
		}
	}
}

// firstDifference shows where two canonical documents part.
func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-200)
	return "got  …" + got[from:min(len(got), i+200)] + "\nwant …" + want[from:min(len(want), i+200)]
}
