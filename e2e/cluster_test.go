package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

// TestNATSClusterLosesANode runs the stack on a three-node JetStream cluster
// (configuration alone: every node's URL and three stream replicas), kills
// the node that leads the events stream while events flow, and finds every
// event stored once.
func TestNATSClusterLosesANode(t *testing.T) {
	cluster := testkit.StartNATSCluster(t, 3)
	s := startStackWith(t, testkit.SharedClickHouse(t), cluster.URL(), "KAOPING_STREAM_REPLICAS=3")
	js := s.connectNATS()
	info, err := eventsStream(t, js)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("events stream: %d replicas, cluster %+v", info.Config.Replicas, info.Cluster)
	}
	batches := crashQuarter()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, b := range batches {
			s.sendUntilStored(b)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(500 * time.Millisecond)
	leader := info.Cluster.Leader
	for _, n := range cluster.Nodes {
		if n.Server.Name() == leader {
			n.Server.Shutdown()
			t.Logf("killed %s, the leader of %s", leader, stream.EventsStream)
		}
	}
	killed := time.Now()
	<-done
	t.Logf("all sent %s after the kill", time.Since(killed).Round(time.Millisecond))
	s.waitCaughtUp(time.Minute)
	t.Logf("caught up %s after the kill", time.Since(killed).Round(time.Millisecond))
	run := s.runPeriod("2026Q3")
	counts, _ := json.Marshal(run["counts"])
	var c struct{ Complaints, Events int }
	if err := json.Unmarshal(counts, &c); err != nil || c.Complaints != 6000 {
		t.Fatalf("counts after losing a node = %s, want 6000 complaints", counts)
	}
	if after, err := eventsStream(t, js); err != nil || after.Cluster.Leader == leader {
		t.Errorf("after the loss the stream is led by %v (%v)", after.Cluster, err)
	}
}

// eventsStream is the events stream's info.
func eventsStream(t *testing.T, js jetstream.JetStream) (*jetstream.StreamInfo, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream.EventsStream)
	if err != nil {
		return nil, err
	}
	return st.Info(ctx)
}

// TestStackOnAClickHouseCluster runs the real binaries on a ClickHouse
// cluster of two shards (ZooKeeper and two 18.16 servers on loopback),
// chosen by configuration alone (KAOPING_CLICKHOUSE_CLUSTER), and on one
// server, with the same events through ingest, JetStream and the aggregator:
// the street rankings are the same, and stay so after `aggregator rebuild`
// on the cluster.
func TestStackOnAClickHouseCluster(t *testing.T) {
	c := testkit.StartClickHouseCluster(t, 2)
	onCluster := startStackOn(t, c.Nodes[0], "KAOPING_CLICKHOUSE_CLUSTER="+c.Name)
	single := startStack(t)
	batches := crashQuarter()
	for _, s := range []*stack{onCluster, single} {
		for _, b := range batches {
			s.sendUntilStored(b)
		}
		s.waitCaughtUp(time.Minute)
		s.runPeriod("2026Q3")
	}
	want := single.rankingRows("2026Q3", "street")
	if got := onCluster.rankingRows("2026Q3", "street"); got != want || len(want) < 100 {
		t.Fatalf("street rankings on the cluster:\n got %s\nwant %s", got, want)
	}
	// Both shards hold events: the Distributed table spread them.
	db := ""
	for _, kv := range onCluster.env {
		if v, ok := strings.CutPrefix(kv, "KAOPING_CLICKHOUSE_DATABASE="); ok {
			db = v
		}
	}
	for i, n := range c.Nodes {
		var rows uint64
		if err := n.Connect(t, db).QueryRow(context.Background(), "SELECT count() FROM events_local").Scan(&rows); err != nil || rows < 3000 {
			t.Fatalf("shard %d holds %d events (%v)", i+1, rows, err)
		}
	}
	cmd := exec.Command(filepath.Join(binaries(t), "aggregator"), "rebuild")
	cmd.Env = onCluster.env
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "rebuilt the events table") {
		t.Fatalf("rebuild on the cluster: %v\n%s\n%s", err, out, c.Logs())
	}
	onCluster.runPeriod("2026Q3")
	if got := onCluster.rankingRows("2026Q3", "street"); got != want {
		t.Fatalf("street rankings after the rebuild on the cluster:\n got %s\nwant %s", got, want)
	}
}
