package testkit

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATSCluster is a JetStream cluster of embedded servers on loopback.
type NATSCluster struct {
	Nodes []*NATS
}

// URL lists every node's client URL, comma-separated, as a service is given it.
func (c *NATSCluster) URL() string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.URL
	}
	return strings.Join(urls, ",")
}

// StartNATSCluster starts n embedded servers with JetStream, routed to each
// other on loopback as one cluster, and waits until JetStream has a meta
// leader. t.Cleanup stops them.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	routes := make([]*url.URL, n)
	ports := make([]int, n)
	for i := range n {
		_, p, _ := net.SplitHostPort(FreeAddr(t))
		ports[i], _ = strconv.Atoi(p)
		routes[i] = &url.URL{Scheme: "nats", Host: net.JoinHostPort("127.0.0.1", p)}
	}
	c := &NATSCluster{}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       -1,
			NoLog:      true,
			NoSigs:     true,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			Cluster:    server.ClusterOpts{Name: "kaoping", Host: "127.0.0.1", Port: ports[i]},
			Routes:     routes,
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatalf("testkit: nats node %d: %v", i+1, err)
		}
		go s.Start()
		t.Cleanup(func() {
			s.Shutdown()
			s.WaitForShutdown()
		})
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("testkit: nats node %d not ready in 10s", i+1)
		}
		c.Nodes = append(c.Nodes, &NATS{Server: s, URL: s.ClientURL()})
	}
	deadline := time.Now().Add(30 * time.Second)
	for !c.metaLeader() {
		if time.Now().After(deadline) {
			t.Fatal("testkit: the nats cluster elected no JetStream leader in 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

func (c *NATSCluster) metaLeader() bool {
	for _, n := range c.Nodes {
		if n.Server.JetStreamIsLeader() {
			return true
		}
	}
	return false
}
