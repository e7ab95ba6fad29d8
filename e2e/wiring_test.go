package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

// services are the six binaries; each is wired the same way.
var services = []string{"natsd", "ingest", "aggregator", "scorer", "api", "simulator"}

// proc is one binary started for a wiring test.
type proc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
}

func startProc(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(filepath.Join(binaries(t), name), args...), out: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("--- %s output ---\n%s", name, tail(p.out.String(), 3000))
		}
	})
	return p
}

func waitStatus(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	testkit.Eventually(t, within, func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("%s answered %d, want %d", url, resp.StatusCode, want)
		}
		return nil
	})
}

// TestSharedStreamSettingsAgree starts natsd, ingest, aggregator and scorer as
// real binaries with one duplicate window: after all four declared the
// streams, NATS holds that window (no start-up resets it to the default).
func TestSharedStreamSettingsAgree(t *testing.T) {
	ch := testkit.SharedClickHouse(t)
	natsAddr, natsHTTP := testkit.FreeAddr(t), testkit.FreeAddr(t)
	env := []string{
		"KAOPING_STREAM_DUPLICATE_WINDOW=2h",
		"KAOPING_NATS_URL=nats://" + natsAddr,
		"KAOPING_CLICKHOUSE_ADDR=" + ch.Addr,
		"KAOPING_CLICKHOUSE_DATABASE=" + ch.NewDatabase(t),
		"KAOPING_TOKENS=" + devToken + "=dev:admin",
		"KAOPING_SOURCES=" + localRegistry(t),
	}
	startProc(t, "natsd", env, "--addr", natsAddr, "--http-addr", natsHTTP, "--store-dir", t.TempDir())
	waitStatus(t, "http://"+natsHTTP+"/readyz", 200, 30*time.Second)
	for _, svc := range []string{"ingest", "aggregator", "scorer"} {
		addr := testkit.FreeAddr(t)
		startProc(t, svc, append(env, "KAOPING_"+strings.ToUpper(svc)+"_ADDR="+addr))
		waitStatus(t, "http://"+addr+"/readyz", 200, 60*time.Second)
	}
	js := connectJetStream(t, "nats://"+natsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Duplicates != 2*time.Hour {
		t.Fatalf("duplicate window after natsd, ingest, aggregator and scorer started: %s, want 2h", info.Config.Duplicates)
	}
}

// TestEveryBinaryHelpsAndRefusesBadSettings: --help exits 0 listing every flag
// with its variable and default; a bad setting exits non-zero with one line
// that names it.
func TestEveryBinaryHelpsAndRefusesBadSettings(t *testing.T) {
	bad := map[string][]string{
		"natsd":      {"KAOPING_NATSD_ADDR=nohost"},
		"ingest":     {"KAOPING_INGEST_MAX_BODY_BYTES=lots"},
		"aggregator": {"KAOPING_AGGREGATOR_BATCH_SIZE=0"},
		"scorer":     {"KAOPING_SCORER_RUN_WAIT=soon"},
		"api":        {"KAOPING_API_ADDR=nowhere"},
		"simulator":  {"KAOPING_SIMULATOR_CHUNK=0"},
	}
	named := map[string]string{"natsd": "KAOPING_NATSD_ADDR", "ingest": "KAOPING_INGEST_MAX_BODY_BYTES", "aggregator": "BATCH_SIZE",
		"scorer": "KAOPING_SCORER_RUN_WAIT", "api": "nowhere", "simulator": "chunk"}
	for _, svc := range services {
		t.Run(svc, func(t *testing.T) {
			args := []string{"--help"}
			if svc == "simulator" {
				args = []string{"publish", "--help"}
			}
			cmd := exec.Command(filepath.Join(binaries(t), svc), args...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("--help: %v\n%s", err, out)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "--") && (!strings.Contains(line, "env ") || !strings.Contains(line, "default")) {
					t.Errorf("--help line without its variable and default: %q", line)
				}
			}
			if !strings.Contains(string(out), "KAOPING_") {
				t.Errorf("--help names no variable:\n%s", out)
			}
			args = nil
			if svc == "simulator" {
				args = []string{"publish"}
			}
			cmd = exec.Command(filepath.Join(binaries(t), svc), args...)
			cmd.Env = append(os.Environ(), bad[svc]...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatalf("%v accepted", bad[svc])
				}
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("%v: still running after 10 s", bad[svc])
			}
			msg := strings.TrimRight(stderr.String(), "\n")
			if strings.Contains(msg, "\n") || !strings.Contains(msg, named[svc]) {
				t.Errorf("bad setting %v: stderr %q, want one line naming %s", bad[svc], msg, named[svc])
			}
		})
	}
}

// TestHealthBeforeDependencies: every HTTP service answers /healthz within a
// second of its start although neither NATS nor ClickHouse is reachable, and
// /readyz says 503 with the reason; unknown paths and wrong methods are JSON.
func TestHealthBeforeDependencies(t *testing.T) {
	nowhere := testkit.FreeAddr(t) // nothing listens here
	env := []string{"KAOPING_NATS_URL=nats://" + nowhere, "KAOPING_CLICKHOUSE_ADDR=" + nowhere, "KAOPING_TOKENS=" + devToken + "=dev:admin",
		"KAOPING_SOURCES=" + localRegistry(t)}
	for _, svc := range []string{"ingest", "aggregator", "scorer", "api"} {
		t.Run(svc, func(t *testing.T) {
			addr := testkit.FreeAddr(t)
			startProc(t, svc, append(env, "KAOPING_"+strings.ToUpper(svc)+"_ADDR="+addr))
			waitStatus(t, "http://"+addr+"/healthz", 200, time.Second)
			resp, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Status  string            `json:"status"`
				Reasons map[string]string `json:"reasons"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 503 || body.Status != "not ready" || len(body.Reasons) == 0 {
				t.Errorf("/readyz without dependencies = %d %+v %v", resp.StatusCode, body, err)
			}
		})
	}
}

// localRegistry is the local stack's source registry.
func localRegistry(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../deploy/local/sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
