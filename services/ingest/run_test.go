package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"kaoping/pkg/auth"
	"kaoping/pkg/event"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/wire"
)

// startRun runs the service in the background and returns its base URL and a
// function that stops it and returns run's error.
func startRun(t *testing.T, args []string, env map[string]string) (string, func() error) {
	t.Helper()
	addr := testkit.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &testkit.Buffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, append([]string{"ingest", "--addr", addr}, args...), envOf(env), out) }()
	stopped := false
	stop := func() error {
		stopped = true
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("run did not return 30s after its context was cancelled; output:\n%s", out)
			return nil
		}
	}
	t.Cleanup(func() {
		if !stopped {
			_ = stop()
		}
		if t.Failed() || os.Getenv("SHOWLOG") != "" {
			t.Logf("service output:\n%s", out)
		}
	})
	return "http://" + addr, stop
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, timeout, func() error {
		if !cond() {
			return errors.New(what)
		}
		return nil
	})
}

func statusOf(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func postEvent(t *testing.T, base, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/events", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunEndToEnd(t *testing.T) {
	n := testkit.StartNATS(t)
	registry := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(registry, []byte("sources:\n  - source: /sources/hotline\n    token: hotline-token\n    types: [\"*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startRun(t, []string{"--nats-url", n.URL}, map[string]string{"KAOPING_SOURCES": registry})
	waitFor(t, "/readyz answers 200", 20*time.Second, func() bool { return statusOf(base+"/readyz") == http.StatusOK })
	if got := statusOf(base + "/healthz"); got != http.StatusOK {
		t.Errorf("/healthz = %d", got)
	}

	ev := ce("run-1", event.TypeComplaintAssigned, assignedData)
	if status, body := postEvent(t, base, "hotline-token", ev); status != http.StatusOK || !strings.Contains(body, `"accepted":1`) {
		t.Fatalf("POST = %d %s", status, body)
	}
	if status, body := postEvent(t, base, "hotline-token", ev); status != http.StatusOK || !strings.Contains(body, `"duplicates":1`) {
		t.Fatalf("POST again = %d %s", status, body)
	}
	if status, _ := postEvent(t, base, "kaoping-dev-token", ev); status != http.StatusUnauthorized {
		t.Errorf("the dev token is accepted although a registry file is configured: %d", status)
	}

	_, js := n.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetLastMsgForSubject(ctx, stream.IngestSubject("hotline"))
	if err != nil {
		t.Fatal(err)
	}
	records, err := event.ReadRecords(string(msg.Data), nil)
	if err != nil || len(records) != 1 || !wire.IsRecords(msg.Header) {
		t.Fatalf("stored message %q %v: %v", msg.Data, msg.Header, err)
	}
	var stored, sent any
	_ = json.Unmarshal([]byte(records[0].Raw), &stored)
	_ = json.Unmarshal([]byte(ev), &sent)
	if fmt.Sprint(stored) != fmt.Sprint(sent) || msg.Sequence != 1 {
		t.Errorf("stored %s at %d, want %s at 1", msg.Data, msg.Sequence, ev)
	}

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`kaoping_ingest_events_total{result="accepted"} 1`, `kaoping_ingest_events_total{result="duplicate"} 1`, `kaoping_ingest_ready 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if err := stop(); err != nil {
		t.Fatalf("run returned %v after cancel, want nil", err)
	}
	if statusOf(base+"/healthz") != 0 {
		t.Error("still serving after run returned")
	}
}

// TestRunWaitsForNATS starts ingest before NATS: it must stay up, not ready,
// refuse to accept events, and become ready once NATS comes.
func TestRunWaitsForNATS(t *testing.T) {
	natsPort := testkit.FreePort(t)
	registry := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(registry, []byte("sources:\n  - source: /sources/dev\n    token: kaoping-dev-token\n    types: [\"*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startRun(t, []string{"--nats-url", fmt.Sprintf("nats://127.0.0.1:%d", natsPort)}, map[string]string{"KAOPING_SOURCES": registry})
	waitFor(t, "/healthz answers 200", 10*time.Second, func() bool { return statusOf(base+"/healthz") == http.StatusOK })
	if got := statusOf(base + "/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d without NATS, want 503", got)
	}
	ev := ceFull("/sources/dev", "wait-1", event.TypeComplaintResponded, "2026-07-03T09:12:00+08:00", respondedData)
	if status, body := postEvent(t, base, "kaoping-dev-token", ev); status != http.StatusServiceUnavailable {
		t.Errorf("POST without NATS = %d %s, want 503", status, body)
	}

	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: natsPort, NoLog: true, NoSigs: true, JetStream: true, StoreDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	waitFor(t, "/readyz answers 200 once NATS is up", 30*time.Second, func() bool { return statusOf(base+"/readyz") == http.StatusOK })
	if status, body := postEvent(t, base, "kaoping-dev-token", ev); status != http.StatusOK || !strings.Contains(body, `"accepted":1`) {
		t.Errorf("POST with NATS = %d %s", status, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"ingest", "--help"}, envOf(nil), &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help = %v", err)
	}
	if !strings.Contains(out.String(), "KAOPING_INGEST_MAX_BODY_BYTES") {
		t.Errorf("--help output:\n%s", out.String())
	}
}

func TestRunBadRegistry(t *testing.T) {
	err := run(context.Background(), []string{"ingest", "--sources", filepath.Join(t.TempDir(), "none.yaml")}, envOf(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Fatalf("run with a missing registry = %v", err)
	}
}

func TestRunRefusesToStartWithoutARegistry(t *testing.T) {
	err := run(context.Background(), []string{"ingest"}, envOf(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "KAOPING_SOURCES") {
		t.Fatalf("run without a registry = %v, want a refusal naming KAOPING_SOURCES", err)
	}
}

// TestLocalStackRegistry: the local stack's registry (make up) accepts the
// development token for /sources/dev, every type, and names the simulator's sources.
func TestLocalStackRegistry(t *testing.T) {
	r, err := sources.Load("../../deploy/local/sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, ok := r.Lookup(auth.DevToken)
	if !ok || g.Source.URI != sources.DevSource || g.Source.Name != "dev" {
		t.Fatalf("dev token: %+v, %v", g, ok)
	}
	for _, ty := range event.Types {
		if !g.Allows(ty) {
			t.Errorf("the dev token may not send %s", ty)
		}
	}
	for _, name := range []string{"org", "hotline", "supervision", "discipline", "review"} {
		if _, ok := r.ByName(name); !ok {
			t.Errorf("the simulator's source %q is not registered", name)
		}
		// Its token (the bench sends with it) is known by its hash alone.
		if g, ok := r.Lookup("kaoping-dev-" + name + "-token"); !ok || g.Source.Name != name {
			t.Errorf("the token of %s: %+v, %v", name, g, ok)
		}
	}
	b, err := os.ReadFile("../../deploy/local/sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^\s*token:`).Match(b) {
		t.Error("deploy/local/sources.yaml holds a token itself; give its token_sha256")
	}
}

// The example registry shipped in deploy/ must stay loadable.
func TestExampleRegistry(t *testing.T) {
	r, err := sources.Load("../../deploy/sources.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := r.Lookup("change-me-hotline"); !ok || g.Source.Name != "hotline" || !g.Allows(event.TypeComplaintRated) || g.Allows(event.TypeIssueListed) {
		t.Errorf("the hotline token given by its hash: %+v, %v", g, ok)
	}
}

// TestDuplicatesAcrossRestartsAndInstances: an event accepted by one ingest
// is answered "duplicate" by the same ingest after a restart (it reads back
// what it accepted inside the window) and by a second ingest at the same time.
func TestDuplicatesAcrossRestartsAndInstances(t *testing.T) {
	n := testkit.StartNATS(t)
	registry := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(registry, []byte("sources:\n  - source: /sources/hotline\n    token: hotline-token\n    types: [\"*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KAOPING_SOURCES": registry}
	args := []string{"--nats-url", n.URL}
	ready := func(base string) {
		waitFor(t, "/readyz answers 200", 20*time.Second, func() bool { return statusOf(base+"/readyz") == http.StatusOK })
	}
	first, stopFirst := startRun(t, args, env)
	ready(first)
	ev := ce("restart-1", event.TypeComplaintAssigned, assignedData)
	if status, body := postEvent(t, first, "hotline-token", ev); status != http.StatusOK || !strings.Contains(body, `"accepted":1`) {
		t.Fatalf("first POST = %d %s", status, body)
	}
	second, stopSecond := startRun(t, args, env)
	ready(second)
	if status, body := postEvent(t, second, "hotline-token", ev); status != http.StatusOK || !strings.Contains(body, `"duplicates":1`) {
		t.Errorf("the same event at a second ingest = %d %s", status, body)
	}
	other := ce("restart-2", event.TypeComplaintAssigned, strings.Replace(assignedData, "HX2026070300123", "HX2", 1))
	if status, body := postEvent(t, second, "hotline-token", other); status != http.StatusOK || !strings.Contains(body, `"accepted":1`) {
		t.Fatalf("a new event at the second ingest = %d %s", status, body)
	}
	waitFor(t, "the first ingest learns what the second accepted", 10*time.Second, func() bool {
		_, body := postEvent(t, first, "hotline-token", other)
		return strings.Contains(body, `"duplicates":1`)
	})
	if err := stopFirst(); err != nil {
		t.Fatal(err)
	}
	if err := stopSecond(); err != nil {
		t.Fatal(err)
	}
	again, _ := startRun(t, args, env)
	ready(again)
	for _, e := range []string{ev, other} {
		if status, body := postEvent(t, again, "hotline-token", e); status != http.StatusOK || !strings.Contains(body, `"duplicates":1`) {
			t.Errorf("after a restart = %d %s", status, body)
		}
	}
}
