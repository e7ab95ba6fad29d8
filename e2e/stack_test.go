// Package e2e runs kaoping as a user does: the real binaries of ingest,
// aggregator, scorer and api, built from this checkout, on an embedded NATS
// with JetStream and a real ClickHouse, driven through their HTTP interfaces
// (SPEC §6) alone.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/testkit"
)

const devToken = "kaoping-dev-token"

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := func() int {
		defer testkit.StopShared()
		defer func() {
			if binDir != "" {
				os.RemoveAll(binDir)
			}
		}()
		return m.Run()
	}()
	os.Exit(code)
}

// binaries builds the services once per test run.
func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "kaoping-e2e-bin-")
		if buildErr != nil {
			return
		}
		for _, svc := range []string{"ingest", "aggregator", "scorer", "api", "natsd", "simulator"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, svc), "kaoping/services/"+svc)
			cmd.Dir = ".."
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", svc, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// stack is a running kaoping.
type stack struct {
	t                   *testing.T
	natsURL             string
	ingest, scorer, api string
	aggregator          string
	procs               map[string]*exec.Cmd
	env                 []string
	dir                 string
}

// connectNATS returns a JetStream handle on the stack's NATS, closed by t.Cleanup.
func (s *stack) connectNATS() jetstream.JetStream {
	s.t.Helper()
	return connectJetStream(s.t, s.natsURL)
}

// connectJetStream returns a JetStream handle on the NATS at url, its
// connection closed by t.Cleanup.
func connectJetStream(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// startStack starts the four services against a fresh database; env adds or
// overrides settings of every service.
func startStack(t *testing.T, env ...string) *stack {
	t.Helper()
	return startStackOn(t, testkit.SharedClickHouse(t), env...)
}

// startStackOn is startStack on a ClickHouse server of the test's own.
func startStackOn(t *testing.T, ch *testkit.ClickHouse, env ...string) *stack {
	t.Helper()
	return startStackWith(t, ch, testkit.StartNATS(t).URL, env...)
}

// startStackWith is startStack on the given ClickHouse and NATS servers
// (natsURL may list a cluster's).
func startStackWith(t *testing.T, ch *testkit.ClickHouse, natsURL string, env ...string) *stack {
	t.Helper()
	s := newStack(t, ch, natsURL, env...)
	for _, svc := range []string{"aggregator", "ingest", "scorer", "api"} {
		s.start(svc)
	}
	return s
}

// newStack is startStackWith that starts no service yet (start or
// startService does).
func newStack(t *testing.T, ch *testkit.ClickHouse, natsURL string, env ...string) *stack {
	t.Helper()
	binaries(t)
	dir := t.TempDir()
	sources := filepath.Join(dir, "sources.yaml")
	registry := "sources:\n  - source: /sources/dev\n    token: " + devToken + "\n    types: [\"*\"]\n" +
		"  - source: /sources/hotline\n    token: hotline-token\n    types: [kaoping.complaint.assigned, kaoping.complaint.responded]\n" +
		"  - source: /sources/review\n    token: review-token\n    types: [kaoping.review.rated]\n"
	if err := os.WriteFile(sources, []byte(registry), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, natsURL: natsURL, procs: map[string]*exec.Cmd{}, dir: dir,
		ingest: testkit.FreeAddr(t), aggregator: testkit.FreeAddr(t), scorer: testkit.FreeAddr(t), api: testkit.FreeAddr(t)}
	s.env = append(os.Environ(),
		"KAOPING_NATS_URL="+natsURL,
		"KAOPING_CLICKHOUSE_ADDR="+ch.Addr,
		"KAOPING_CLICKHOUSE_DATABASE="+ch.NewDatabase(t),
		"KAOPING_TOKENS="+devToken+"=dev:admin",
		"KAOPING_SOURCES="+sources,
		"KAOPING_INGEST_ADDR="+s.ingest,
		"KAOPING_AGGREGATOR_ADDR="+s.aggregator,
		"KAOPING_SCORER_ADDR="+s.scorer,
		"KAOPING_API_ADDR="+s.api,
		"KAOPING_AGGREGATOR_FLUSH_INTERVAL=100ms",
		// a killed aggregator's messages come back after this
		"KAOPING_AGGREGATOR_ACK_WAIT=3s",
	)
	s.env = append(s.env, env...) // the last value of a variable wins
	return s
}

// startService is start with settings of that service alone added (its own
// NATS user, say).
func (s *stack) startService(svc string, env ...string) {
	s.t.Helper()
	common := s.env
	s.env = append(append([]string(nil), common...), env...)
	defer func() { s.env = common }()
	s.start(svc)
}

func (s *stack) addr(svc string) string {
	return map[string]string{"ingest": s.ingest, "aggregator": s.aggregator, "scorer": s.scorer, "api": s.api}[svc]
}

// start runs one service and waits for its /readyz.
func (s *stack) start(svc string) {
	t := s.t
	t.Helper()
	logf, err := os.Create(filepath.Join(s.dir, svc+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, svc))
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.procs[svc] = cmd
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("--- %s log (tail) ---\n%s", svc, tail(string(b), 3000))
		}
	})
	testkit.Eventually(t, 60*time.Second, func() error {
		resp, err := http.Get("http://" + s.addr(svc) + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := os.ReadFile(logf.Name())
			return fmt.Errorf("%s /readyz = %d\n%s", svc, resp.StatusCode, tail(string(b), 3000))
		}
		return nil
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// call does an HTTP request with the development token and returns status and body.
func (s *stack) call(method, url, contentType string, body []byte, header ...string) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+devToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// ingestResult is the answer of POST /v1/events.
type ingestResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   []struct {
		Index int    `json:"index"`
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"rejected"`
}

// send posts events as one batch and returns the answer.
func (s *stack) send(events ...map[string]any) ingestResult {
	s.t.Helper()
	body, err := json.Marshal(events)
	if err != nil {
		s.t.Fatal(err)
	}
	code, b := s.call("POST", "http://"+s.ingest+"/v1/events", "application/cloudevents-batch+json", body)
	if code != http.StatusOK {
		s.t.Fatalf("POST /v1/events: %d %s", code, b)
	}
	var r ingestResult
	if err := json.Unmarshal(b, &r); err != nil {
		s.t.Fatal(err)
	}
	return r
}

// runPeriod starts a run and returns its answer; the run must end done.
func (s *stack) runPeriod(label string) map[string]any {
	s.t.Helper()
	code, b := s.call("POST", "http://"+s.scorer+"/v1/runs", "application/json", []byte(`{"period":"`+label+`"}`))
	if code != http.StatusCreated {
		s.t.Fatalf("POST /v1/runs: %d %s", code, b)
	}
	var run map[string]any
	if err := json.Unmarshal(b, &run); err != nil {
		s.t.Fatal(err)
	}
	if run["status"] != "done" {
		s.t.Fatalf("run = %s", b)
	}
	return run
}

// ce builds a CloudEvent of the development source.
func ce(id, typ, at string, data map[string]any) map[string]any {
	return map[string]any{"specversion": "1.0", "id": id, "source": "/sources/dev", "type": typ, "time": at,
		"datacontenttype": "application/json", "data": data}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
