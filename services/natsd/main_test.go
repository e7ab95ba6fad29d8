package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/obs"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{
		"KAOPING_NATSD_ADDR":              "127.0.0.1:5222",
		"KAOPING_NATSD_STORE_DIR":         "/env/store",
		"KAOPING_STREAM_DUPLICATE_WINDOW": "1h",
	}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name string
		args []string
		want config
	}{
		{"env over defaults", nil, config{Addr: "127.0.0.1:5222", StoreDir: "/env/store", HTTP: obs.HTTPConfig{Addr: "127.0.0.1:8222", ReadTimeout: obs.DefaultReadTimeout, WriteTimeout: obs.DefaultWriteTimeout, IdleTimeout: obs.DefaultIdleTimeout}, Streams: stream.Config{Replicas: 1, DuplicateWindow: time.Hour, DeadLetterMaxAge: 30 * 24 * time.Hour}, Sync: "always", MaxPayload: 1 << 20}},
		{"flags over env", []string{"--addr", "127.0.0.1:6222", "--http-addr=127.0.0.1:9", "--store-dir", "x", "--duplicate-window", "2m"}, config{Addr: "127.0.0.1:6222", StoreDir: "x", HTTP: obs.HTTPConfig{Addr: "127.0.0.1:9", ReadTimeout: obs.DefaultReadTimeout, WriteTimeout: obs.DefaultWriteTimeout, IdleTimeout: obs.DefaultIdleTimeout}, Streams: stream.Config{Replicas: 1, DuplicateWindow: 2 * time.Minute, DeadLetterMaxAge: 30 * 24 * time.Hour}, Sync: "always", MaxPayload: 1 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(append([]string{"natsd"}, tt.args...), getenv, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	got, err := parseConfig([]string{"natsd"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := (config{Addr: "127.0.0.1:4222", StoreDir: ".data/nats", HTTP: obs.HTTPConfig{Addr: "127.0.0.1:8222", ReadTimeout: obs.DefaultReadTimeout, WriteTimeout: obs.DefaultWriteTimeout, IdleTimeout: obs.DefaultIdleTimeout}, Streams: stream.Config{Replicas: 1, DuplicateWindow: 24 * time.Hour, DeadLetterMaxAge: 30 * 24 * time.Hour}, Sync: "always", MaxPayload: 1 << 20}); got != want {
		t.Fatalf("defaults: got %+v, want %+v", got, want)
	}
	for _, bad := range [][]string{{"--addr", "nohost"}, {"--http-addr", "x"}, {"--store-dir", ""}, {"extra"}, {"--stream-replicas", "0"}} {
		if _, err := parseConfig(append([]string{"natsd"}, bad...), getenv, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) accepted", bad)
		}
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"natsd", "--help"}, func(string) string { return "" }, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help: %v", err)
	}
	env := map[string]string{
		"addr":             "KAOPING_NATSD_ADDR",
		"store-dir":        "KAOPING_NATSD_STORE_DIR",
		"http-addr":        "KAOPING_NATSD_HTTP_ADDR",
		"stream-replicas":  "KAOPING_STREAM_REPLICAS",
		"duplicate-window": "KAOPING_STREAM_DUPLICATE_WINDOW",
	}
	for name, envVar := range env {
		for _, want := range []string{"--" + name, envVar} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("--help does not mention %q:\n%s", want, out.String())
			}
		}
	}
}

// TestRunServesStreams starts natsd as the local stack does, checks that it
// becomes ready with kaoping's streams declared and reports them in /metrics,
// keeps a stored message across a restart, and stops on cancel.
func TestRunServesStreams(t *testing.T) {
	store := t.TempDir()
	addr, httpAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	env := map[string]string{"KAOPING_NATSD_STORE_DIR": store}
	start := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		logs := &testkit.Buffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"natsd", "--addr", addr, "--http-addr", httpAddr}, func(k string) string { return env[k] }, logs)
		}()
		waitReadyz(t, httpAddr, done, logs)
		return func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("run: %v\n%s", err, logs)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("run did not return after cancel\n%s", logs)
			}
		}
	}

	stop := start()
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, name := range []string{stream.EventsStream, stream.DeadLetterStream} {
		if _, err := js.Stream(ctx, name); err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
	}
	if _, err := js.Publish(ctx, stream.SourceSubject("test"), []byte(`{}`)); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if _, err := stream.EnsureAggregatorConsumer(ctx, js, stream.ConsumerConfig{}); err != nil {
		t.Fatal(err)
	}
	metrics := get(t, "http://"+httpAddr+"/metrics")
	for _, want := range []string{
		"kaoping_natsd_ready 1",
		`kaoping_natsd_stream_messages{stream="KAOPING_EVENTS"} 1`,
		`kaoping_natsd_consumer_pending_messages{consumer="aggregator",stream="KAOPING_EVENTS"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}
	nc.Close()
	stop()

	// The store survives a restart: the message is still there.
	stop = start()
	defer stop()
	hw, err := func() (uint64, error) {
		nc, err := nats.Connect("nats://" + addr)
		if err != nil {
			return 0, err
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return 0, err
		}
		return stream.HighWater(ctx, js)
	}()
	if err != nil || hw != 1 {
		t.Fatalf("after restart: high water %d, %v; want 1", hw, err)
	}
}

func waitReadyz(t *testing.T, httpAddr string, done <-chan error, logs *testkit.Buffer) {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, func() error {
		select {
		case err := <-done:
			t.Fatalf("run returned before ready: %v\n%s", err, logs)
		default:
		}
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz = %d\n%s", resp.StatusCode, logs)
		}
		return nil
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunFailsOnTakenPort checks that a NATS port already in use ends run
// with an error instead of a server that never gets ready.
func TestRunFailsOnTakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	args := []string{"natsd", "--addr", ln.Addr().String(), "--http-addr", testkit.FreeAddr(t), "--store-dir", t.TempDir()}
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), args, func(string) string { return "" }, io.Discard) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("run succeeded on a taken port")
		}
		t.Logf("run: %v", err)
	case <-time.After(40 * time.Second):
		t.Fatal("run did not fail on a taken port")
	}
}
