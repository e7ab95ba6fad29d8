package e2e

import (
	"context"
	"encoding/json"
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
