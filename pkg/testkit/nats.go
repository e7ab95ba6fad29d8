// Package testkit starts the real dependencies kaoping's tests talk to: an
// embedded NATS server with JetStream, and a throwaway ClickHouse server run
// from the installed binary. Both listen on free ports, keep their data in the
// test's temporary directory and are stopped by t.Cleanup.
package testkit

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/stream"
)

// NATS is a running embedded NATS server with JetStream.
type NATS struct {
	Server *server.Server
	URL    string
}

// StartNATS starts an embedded NATS server with JetStream on a random port.
func StartNATS(t testing.TB) *NATS {
	t.Helper()
	opts := &server.Options{
		Host:      "127.0.0.1",
		Port:      -1,
		NoLog:     true,
		NoSigs:    true,
		JetStream: true,
		StoreDir:  t.TempDir(),
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("testkit: new nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatal("testkit: nats server not ready in 10s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return &NATS{Server: s, URL: s.ClientURL()}
}

// Connect returns a client connection and a JetStream handle, closed by t.Cleanup.
func (n *NATS) Connect(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(n.URL)
	if err != nil {
		t.Fatalf("testkit: connect nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testkit: jetstream: %v", err)
	}
	return nc, js
}

// EnsureStreams declares kaoping's streams with cfg on the server.
func (n *NATS) EnsureStreams(t testing.TB, cfg stream.Config) jetstream.JetStream {
	t.Helper()
	_, js := n.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stream.Ensure(ctx, js, cfg); err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return js
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago,
// for a server the test starts itself. No port is handed out twice in a
// process: the kernel may give a port just closed to the next caller, and two
// services of one stack then race for it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}

// FreePort is FreeAddr's port.
func FreePort(t testing.TB) int {
	t.Helper()
	ports, err := freePorts(1)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return ports[0]
}
