package testkit_test

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"kaoping/pkg/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// TestClickHouseRoundTrip writes rows with a batch insert (which needs the
// column list on 18.16) into a fresh database and reads them back.
func TestClickHouseRoundTrip(t *testing.T) {
	ch := testkit.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	conn := ch.Connect(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if err := conn.Exec(ctx, `CREATE TABLE t (a UInt64, b String) ENGINE = MergeTree ORDER BY a`); err != nil {
		t.Fatalf("create table: %v", err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO t (a, b)")
	if err != nil {
		t.Fatalf("prepare batch: %v", err)
	}
	const n = 1000
	for i := range n {
		if err := batch.Append(uint64(i), "row-"+strconv.Itoa(i)); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatalf("send: %v", err)
	}

	var count, sum uint64
	if err := conn.QueryRow(ctx, `SELECT count(), sum(a) FROM t`).Scan(&count, &sum); err != nil {
		t.Fatalf("count: %v", err)
	}
	if count != n || sum != n*(n-1)/2 {
		t.Fatalf("count, sum = %d, %d; want %d, %d", count, sum, n, n*(n-1)/2)
	}
	var b string
	if err := conn.QueryRow(ctx, `SELECT b FROM t WHERE a = ?`, uint64(42)).Scan(&b); err != nil {
		t.Fatalf("select: %v", err)
	}
	if b != "row-42" {
		t.Fatalf("b = %q, want row-42", b)
	}
}

// TestNewDatabaseIsolates checks that two databases of the shared server do
// not see each other's tables.
func TestNewDatabaseIsolates(t *testing.T) {
	ch := testkit.SharedClickHouse(t)
	if again := testkit.SharedClickHouse(t); again != ch {
		t.Fatal("SharedClickHouse started a second server")
	}
	db1, db2 := ch.NewDatabase(t), ch.NewDatabase(t)
	if db1 == db2 {
		t.Fatalf("NewDatabase returned %q twice", db1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ch.Connect(t, db1).Exec(ctx, `CREATE TABLE only_here (x UInt8) ENGINE = Memory`); err != nil {
		t.Fatalf("create table: %v", err)
	}
	var n uint64
	if err := ch.Connect(t, db2).QueryRow(ctx, `SELECT count() FROM system.tables WHERE database = ? AND name = 'only_here'`, db2).Scan(&n); err != nil {
		t.Fatalf("query: %v", err)
	}
	if n != 0 {
		t.Fatalf("table of %s visible in %s", db1, db2)
	}
}

// TestStartClickHouseStops checks that a server of its own answers and that
// Stop leaves no process behind.
func TestStartClickHouseStops(t *testing.T) {
	ch := testkit.StartClickHouse(t)
	resp, err := http.Get("http://" + ch.HTTPAddr + "/ping")
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ping: %s", resp.Status)
	}
	pid := ch.Pid()
	ch.Stop()
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Fatalf("clickhouse pid %d still exists after Stop", pid)
	}
	ch.Stop() // a second Stop, as t.Cleanup will do, is harmless
}
