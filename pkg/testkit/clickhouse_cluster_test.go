package testkit

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// TestClickHouseCluster: two servers as two shards on one ZooKeeper run
// ON CLUSTER DDL, replicated tables and a Distributed table over them, and a
// row inserted through the Distributed table lands on the shard its key
// names.
func TestClickHouseCluster(t *testing.T) {
	c := StartClickHouseCluster(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn := c.Nodes[0].Connect(t, "")
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS probe ON CLUSTER kaoping",
		"CREATE TABLE probe.t_local ON CLUSTER kaoping (k UInt64) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/probe/t_local', '{replica}') ORDER BY k",
		"CREATE TABLE probe.t ON CLUSTER kaoping AS probe.t_local ENGINE = Distributed(kaoping, probe, t_local, k)",
	} {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v\n%s", q, err, c.Logs())
		}
	}
	if err := conn.Exec(clickhouseSync(ctx), "INSERT INTO probe.t SELECT number FROM system.numbers LIMIT 10"); err != nil {
		t.Fatal(err)
	}
	var total uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM probe.t").Scan(&total); err != nil || total != 10 {
		t.Fatalf("distributed count = %d, %v; want 10", total, err)
	}
	for i, n := range c.Nodes {
		var local uint64
		if err := n.Connect(t, "").QueryRow(ctx, "SELECT count() FROM probe.t_local").Scan(&local); err != nil || local != 5 {
			t.Errorf("shard %d holds %d rows (%v), want 5 (k modulo 2)", i+1, local, err)
		}
	}

	// A server that dies unasked (as 18.16 sometimes does in its ZooKeeper
	// client) comes back on its data and ports.
	n := c.Nodes[1]
	pid := n.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	Eventually(t, time.Minute, func() error {
		if n.Pid() == pid {
			return errors.New("not started again yet")
		}
		var local uint64
		conn, err := clickhouse.Open(n.Options(""))
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := conn.QueryRow(ctx, "SELECT count() FROM probe.t_local").Scan(&local); err != nil {
			return err
		}
		if local != 5 {
			return fmt.Errorf("shard 2 holds %d rows after its revival, want 5", local)
		}
		return nil
	})
	if n.Revivals() != 1 {
		t.Errorf("revivals = %d, want 1", n.Revivals())
	}
}

// clickhouseSync makes a Distributed insert return once every shard stored it.
func clickhouseSync(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_distributed_sync": 1}))
}
