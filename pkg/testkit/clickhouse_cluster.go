package testkit

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ClickHouseClusterName is the cluster's name in every server's
// remote_servers, what a store is given as KAOPING_CLICKHOUSE_CLUSTER.
const ClickHouseClusterName = "kaoping"

// ClickHouseCluster is a ClickHouse cluster on loopback: one server per
// replica of each shard, all sharing one ZooKeeper, each with the cluster in its
// remote_servers, its own {shard} and {replica} macros and the distributed
// DDL queue, so replicated tables, Distributed tables and ON CLUSTER DDL
// work as on a real cluster.
type ClickHouseCluster struct {
	Name      string
	ZooKeeper *ZooKeeper
	Nodes     []*ClickHouse
}

// StartClickHouseCluster starts ZooKeeper and one ClickHouse server per shard
// (from the installed binaries, on free ports of 127.0.0.1); t.Cleanup stops
// them all. Starting takes a few seconds per server.
func StartClickHouseCluster(t testing.TB, shards int) *ClickHouseCluster {
	t.Helper()
	return StartClickHouseReplicas(t, shards, 1)
}

// StartClickHouseReplicas is StartClickHouseCluster with replicas servers per
// shard: Nodes holds shard 1's replicas first, then shard 2's, and so on.
func StartClickHouseReplicas(t testing.TB, shards, replicas int) *ClickHouseCluster {
	t.Helper()
	zk := StartZooKeeper(t)
	bin, args, err := ClickHouseBinary()
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	// Every server must know every other's port before any starts.
	nodes, err := onFreePorts(3*shards*replicas, func(ports []int) ([]*ClickHouse, error) {
		var nodes []*ClickHouse
		for i := range shards * replicas {
			node, err := launchClickHouse(t.TempDir(), bin, args, ports[3*i:3*i+2],
				ClickHouseOptions{ConfigD: clusterConfig(zk.Addr, ports, replicas, i), UsersD: ClusterProfile, Revive: true})
			if err != nil {
				for _, n := range nodes {
					n.Stop()
				}
				return nil, err
			}
			t.Cleanup(node.Stop)
			nodes = append(nodes, node)
		}
		return nodes, nil
	})
	if err != nil {
		t.Fatalf("testkit: clickhouse cluster: %v", err)
	}
	c := &ClickHouseCluster{Name: ClickHouseClusterName, ZooKeeper: zk, Nodes: nodes}
	t.Cleanup(func() {
		for i, n := range c.Nodes {
			if r := n.Revivals(); r > 0 {
				t.Logf("testkit: cluster server %d died and was started again %d time(s):\n%s", i+1, r, n.logTail())
			}
		}
	})
	return c
}

// clusterConfig is the config.d of server i (0-based; shard i/replicas): the ZooKeeper, the
// cluster (every shard one replica, internal_replication so a Distributed
// insert writes one replica and replication does the rest), the macros that
// name this server's shard and replica, the DDL queue of ON CLUSTER, and the
// interserver port replication fetches parts on (a replicated table stays
// inactive without it: its ALTERs never finish). ports holds three per shard:
// native, HTTP, interserver.
func clusterConfig(zk string, ports []int, replicas, i int) string {
	host, port, _ := net.SplitHostPort(zk)
	var shards strings.Builder
	for s := 0; s < len(ports)/3/replicas; s++ {
		fmt.Fprintf(&shards, `
            <shard>
                <internal_replication>true</internal_replication>`)
		for r := range replicas {
			fmt.Fprintf(&shards, `
                <replica><host>127.0.0.1</host><port>%d</port></replica>`, ports[3*(s*replicas+r)])
		}
		fmt.Fprintf(&shards, `
            </shard>`)
	}
	return fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
    <zookeeper>
        <node><host>%s</host><port>%s</port></node>
        <session_timeout_ms>30000</session_timeout_ms>
    </zookeeper>
    <remote_servers>
        <%s>%s
        </%s>
    </remote_servers>
    <macros>
        <shard>%02d</shard>
        <replica>r%d</replica>
    </macros>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>%d</interserver_http_port>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
</yandex>
`, host, port, ClickHouseClusterName, shards.String(), ClickHouseClusterName, i/replicas+1, i+1, ports[3*i+2])
}

// ClusterProfile is what every user's profile needs on a cluster (as
// deploy/clickhouse/cluster/users.d/cluster.xml gives it): every IN subquery
// over a Distributed table GLOBAL. ClickHouse 18.16 takes a string setting
// from a profile but not from clickhouse-go, so the store checks it instead
// of sending it.
const ClusterProfile = `<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <distributed_product_mode>global</distributed_product_mode>
        </default>
    </profiles>
</yandex>
`

// Addr is the first server's native address: what a service is given (any
// server of the cluster serves the Distributed tables).
func (c *ClickHouseCluster) Addr() string { return c.Nodes[0].Addr }

// NewDatabase returns a database name of its own for this test (created by
// the store, ON CLUSTER); t.Cleanup drops it on every server.
func (c *ClickHouseCluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "test_" + strconv.FormatInt(c.Nodes[0].dbSeq.Add(1), 10)
	t.Cleanup(func() {
		for _, n := range c.Nodes {
			select {
			case <-n.exited:
				continue
			default:
			}
			conn, err := clickhouse.Open(n.Options("default"))
			if err != nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			// The name is ours (test_<n>), never input.
			_ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name)
			cancel()
			_ = conn.Close()
		}
	})
	return name
}

// Logs is the tail of every server's error log, for a failing test to show.
func (c *ClickHouseCluster) Logs() string {
	var b strings.Builder
	for i, n := range c.Nodes {
		fmt.Fprintf(&b, "--- shard %d ---\n%s\n", i+1, n.logTail())
	}
	if log, err := os.ReadFile(filepath.Join(c.ZooKeeper.Dir, "zookeeper.log")); err == nil && len(log) > 0 {
		lines := strings.Split(strings.TrimRight(string(log), "\n"), "\n")
		fmt.Fprintf(&b, "--- zookeeper ---\n%s\n", strings.Join(lines[max(0, len(lines)-20):], "\n"))
	}
	return b.String()
}
