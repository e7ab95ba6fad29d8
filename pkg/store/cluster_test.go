package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
)

// clusterStore opens a store on a two-shard ClickHouse cluster (its own
// ZooKeeper and servers) in a database of its own.
func clusterStore(t *testing.T, c *testkit.ClickHouseCluster, db string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Options{Addr: c.Addr(), Database: db, Cluster: c.Name, MaxExecutionTime: time.Minute},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatalf("open on the cluster: %v\n%s", err, c.Logs())
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestClusterSchemaByConfigurationAlone: with a cluster named, the plain
// migrations become a replicated table on every shard behind a Distributed
// table of each name (columns added by ALTER included, materialized ones
// computed by the shards); two services migrating at once both succeed;
// events land on the shard of their case, every copy of a case together; and
// a rebuild swaps the rebuilt table in on every shard.
func TestClusterSchemaByConfigurationAlone(t *testing.T) {
	c := testkit.StartClickHouseCluster(t, 2)
	db := c.NewDatabase(t)
	var wg sync.WaitGroup
	stores := make([]*store.Store, 2)
	for i := range stores {
		wg.Add(1)
		go func() { defer wg.Done(); stores[i] = clusterStore(t, c, db) }()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	s := stores[0]
	ctx := context.Background()
	for i, n := range c.Nodes {
		conn := n.Connect(t, "")
		for _, tc := range []struct{ table, engine string }{
			{"events", "Distributed"}, {"events_local", "ReplicatedMergeTree"},
			{"scores_local", "ReplicatedMergeTree"}, {"schema_migrations", "Distributed"},
		} {
			var engine string
			if err := conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = ?", db, tc.table).Scan(&engine); err != nil || engine != tc.engine {
				t.Errorf("shard %d: %s is %q (%v), want %s", i+1, tc.table, engine, err, tc.engine)
			}
		}
		var cols uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = 'events' AND name IN ('key_hash', 'case_hash')", db).Scan(&cols); err != nil || cols != 2 {
			t.Errorf("shard %d: the Distributed events has %d of the hash columns (%v), want 2", i+1, cols, err)
		}
	}

	var recs []event.Record
	for i := range 200 {
		caseID := fmt.Sprintf("C%03d", i%50)
		recs = append(recs, event.Record{Source: "/h", ID: fmt.Sprint("e", i), Type: event.TypeComplaintResponded, CaseID: caseID, StreamSeq: uint64(i + 1)})
	}
	if err := s.InsertEvents(ctx, recs); err != nil {
		t.Fatal(err)
	}
	counts := make([]uint64, len(c.Nodes))
	for i, n := range c.Nodes {
		conn := n.Connect(t, db)
		if err := conn.QueryRow(ctx, "SELECT count() FROM events_local").Scan(&counts[i]); err != nil {
			t.Fatal(err)
		}
		var split uint64
		// A case whose rows lie on this shard and on another would show
		// fewer than its four rows here.
		if err := conn.QueryRow(ctx, "SELECT count() FROM (SELECT case_id FROM events_local GROUP BY case_id HAVING count() != 4)").Scan(&split); err != nil || split != 0 {
			t.Errorf("shard %d: %d cases split across shards (%v)", i+1, split, err)
		}
		var wrong uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM events_local WHERE key_hash != cityHash64(source, id) OR case_hash != cityHash64(case_id)").Scan(&wrong); err != nil || wrong != 0 {
			t.Errorf("shard %d: %d rows with wrong hashes (%v)", i+1, wrong, err)
		}
	}
	if counts[0] == 0 || counts[1] == 0 || counts[0]+counts[1] != 200 {
		t.Fatalf("rows per shard %v: want 200 spread over both", counts)
	}
	if n, err := s.CountEvents(ctx); err != nil || n != 200 {
		t.Fatalf("events through the Distributed table = %d, %v", n, err)
	}
	// Copies of one event lying on both shards: LIMIT 1 BY is applied again
	// after the shards' rows are merged, and GLOBAL IN finds both copies
	// from either shard (what the queries of docs/operations.md rely on).
	var copies []event.Record
	for i := range 20 {
		copies = append(copies, event.Record{Source: "/x", ID: "dup", Type: event.TypeComplaintResponded, CaseID: fmt.Sprint("D", i), StreamSeq: uint64(1000 + i)})
	}
	if err := s.InsertEvents(ctx, copies); err != nil {
		t.Fatal(err)
	}
	conn := c.Nodes[1].Connect(t, db)
	var perShard [2]uint64
	for i, n := range c.Nodes {
		if err := n.Connect(t, db).QueryRow(ctx, "SELECT count() FROM events_local WHERE source = '/x'").Scan(&perShard[i]); err != nil {
			t.Fatal(err)
		}
	}
	if perShard[0] == 0 || perShard[1] == 0 {
		t.Fatalf("the copies lie on one shard only (%v): the check proves nothing", perShard)
	}
	var first uint64
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count(), min(stream_seq) FROM (SELECT stream_seq FROM events WHERE source = '/x' ORDER BY stream_seq LIMIT 1 BY source, id)").Scan(&n, &first); err != nil || n != 1 || first != 1000 {
		t.Errorf("LIMIT 1 BY over both shards kept %d rows, first %d (%v); want 1, 1000", n, first, err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM events WHERE key_hash IN (SELECT key_hash FROM events WHERE stream_seq = 1000)").Scan(&n); err != nil || n != 20 {
		t.Errorf("IN over both shards found %d copies (%v), want 20", n, err)
	}
	if _, err := clusterStore(t, c, db).CatchUpDuplicates(ctx, 1019); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM event_duplicates WHERE key_hash = cityHash64('/x', 'dup')").Scan(&n); err != nil || n != 1 {
		t.Errorf("the duplicate index holds the key %d times (%v), want once", n, err)
	}
	if n, err := s.CountEvents(ctx); err != nil || n != 201 {
		t.Fatalf("distinct events = %d, %v; want 201", n, err)
	}
	recs = append(recs, copies...)

	// A rebuild: the stream read again holds the first 150 events; the live
	// aggregator stored the rest meanwhile.
	r, err := s.BeginRebuild(ctx)
	if err != nil {
		t.Fatalf("begin rebuild: %v\n%s", err, c.Logs())
	}
	if err := r.Insert(ctx, recs[:150]); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx, 150, func(context.Context) error { return nil }); err != nil {
		t.Fatalf("finish rebuild: %v\n%s", err, c.Logs())
	}
	if n, err := s.CountEvents(ctx); err != nil || n != 201 {
		t.Fatalf("after the rebuild %d events (%v), want 201", n, err)
	}
	for i, n := range c.Nodes {
		var left uint64
		if err := n.Connect(t, "").QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name LIKE 'events_re%'", db).Scan(&left); err != nil || left != 0 {
			t.Errorf("shard %d: %d rebuild tables left (%v)", i+1, left, err)
		}
	}
	// And again: the second rebuild needs a ZooKeeper path of its own.
	r, err = s.BeginRebuild(ctx)
	if err != nil {
		t.Fatalf("second rebuild: %v", err)
	}
	if err := r.Insert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx, 200, func(context.Context) error { return nil }); err != nil {
		t.Fatalf("finish second rebuild: %v", err)
	}
	if n, err := s.CountEvents(ctx); err != nil || n != 201 {
		t.Fatalf("after the second rebuild %d events (%v), want 201", n, err)
	}
	// A service started later migrates nothing and reads the same.
	if n, err := clusterStore(t, c, db).CountEvents(ctx); err != nil || n != 201 {
		t.Fatalf("a later store counts %d (%v)", n, err)
	}

	// Without the profile's GLOBAL a store refuses to start, saying why;
	// with a cluster the server does not know, too.
	if err := os.Remove(filepath.Join(c.Nodes[0].Dir, "users.d", "kaoping-profile.xml")); err != nil {
		t.Fatal(err)
	}
	if err := c.Nodes[0].Connect(t, "").Exec(ctx, "SYSTEM RELOAD CONFIG"); err != nil {
		t.Fatal(err)
	}
	for cluster, want := range map[string]string{c.Name: "distributed_product_mode", "nowhere": "not in the server's remote_servers"} {
		short, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := store.Open(short, store.Options{Addr: c.Addr(), Database: db, Cluster: cluster}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		cancel()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("cluster %s: open = %v, want an error naming %q", cluster, err, want)
		}
	}
}

// TestClusterReplicas: on two shards of two replicas each, an insert through
// the Distributed table returns once both replicas of each shard hold its
// rows (the store waits for every replica: without it a read through another
// server found 48 of 120 rows), a migration's ALTER reaches every replica,
// reads from any server count each row once, and a rebuild leaves both
// replicas of each shard with the rebuilt table.
func TestClusterReplicas(t *testing.T) {
	c := testkit.StartClickHouseReplicas(t, 2, 2)
	db := c.NewDatabase(t)
	s := clusterStore(t, c, db)
	ctx := context.Background()
	// More than two blocks of an insert (store.insertBlockRows): every block
	// reaches both replicas of its shard before the insert returns.
	const rows = 25001
	var recs []event.Record
	for i := range rows {
		recs = append(recs, event.Record{Source: "/h", ID: fmt.Sprint("e", i), Type: event.TypeComplaintResponded, CaseID: fmt.Sprintf("C%03d", i%40), StreamSeq: uint64(i + 1)})
	}
	if err := s.InsertEvents(ctx, recs); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		counts := make([]uint64, len(c.Nodes))
		for i, n := range c.Nodes {
			// No SYSTEM SYNC REPLICA: an acknowledged insert is on every
			// replica already (insert_quorum), or a read could miss it.
			conn := n.Connect(t, db)
			if err := conn.QueryRow(ctx, "SELECT count() FROM events_local").Scan(&counts[i]); err != nil {
				t.Fatal(err)
			}
			var cols, total uint64
			if err := conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = 'events_local' AND name = 'case_hash'", db).Scan(&cols); err != nil || cols != 1 {
				t.Errorf("%s: server %d lacks case_hash (%v)", when, i+1, err)
			}
			if err := conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&total); err != nil || total != rows {
				t.Errorf("%s: server %d reads %d rows through the Distributed table (%v), want %d", when, i+1, total, err, rows)
			}
		}
		if counts[0] != counts[1] || counts[2] != counts[3] || counts[0] == 0 || counts[2] == 0 || counts[0]+counts[2] != rows {
			t.Errorf("%s: rows per server %v: want each shard's rows on both its replicas, %d in all", when, counts, rows)
		}
	}
	check("after the insert")
	r, err := s.BeginRebuild(ctx)
	if err != nil {
		t.Fatalf("begin rebuild: %v\n%s", err, c.Logs())
	}
	if err := r.Insert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx, rows, func(context.Context) error { return nil }); err != nil {
		t.Fatalf("finish rebuild: %v\n%s", err, c.Logs())
	}
	check("after a rebuild")
}
