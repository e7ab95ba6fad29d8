package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/wire"
)

// TestLogsHoldNoEventBodies: the aggregator logs every event it
// dead-letters with its reason, and never the event: not a value a source
// should not have sent (a phone number, a name), not a long text past the 64
// code points a reason may quote, not a message that is no JSON.
func TestLogsHoldNoEventBodies(t *testing.T) {
	n := testkit.StartNATS(t)
	ch := testkit.SharedClickHouse(t)
	js := n.EnsureStreams(t, stream.Config{})
	registry := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(registry, []byte("sources:\n  - source: /sources/dev\n    token: t\n    types: [\"*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"KAOPING_SOURCES": registry, "KAOPING_NATS_URL": n.URL, "KAOPING_CLICKHOUSE_ADDR": ch.Addr,
		"KAOPING_CLICKHOUSE_DATABASE": ch.NewDatabase(t), "KAOPING_AGGREGATOR_ADDR": testkit.FreeAddr(t),
		"KAOPING_AGGREGATOR_FLUSH_INTERVAL": "50ms",
	}
	logs := &testkit.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"aggregator"}, func(k string) string { return env[k] }, logs) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("aggregator did not stop")
		}
	}()

	secrets := []string{"13800138000", "张三丰", "SECRET-AFTER-64", "NOT-JSON-SECRET", "SECRET-IN-BATCH"}
	ev := func(typ, data string) string {
		return `{"specversion":"1.0","id":"p","source":"/sources/dev","type":"` + typ + `","time":"2026-07-01T09:00:00+08:00","data":` + data + `}`
	}
	poison := []*nats.Msg{
		{Data: []byte(ev("kaoping.complaint.responded", `{"complaint_id":"HX1","phone":"13800138000","citizen":"张三丰"}`))},
		{Data: []byte(ev("kaoping.org.unit.upserted", `{"unit":"u","name":"n","level":"`+strings.Repeat("街", 70)+`SECRET-AFTER-64"}`))},
		{Data: []byte(`{"note":"NOT-JSON-SECRET"`)},
		{Header: nats.Header{"Content-Type": {wire.MediaBatch}}, Data: []byte(`[` + ev("kaoping.issue.closed", `{"issue_id":"I1","x":"SECRET-IN-BATCH"}`) + `, 7]`)},
	}
	for _, m := range poison {
		m.Subject = stream.SourceSubject("dev")
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		if got := strings.Count(logs.String(), "event dead-lettered"); got != 5 {
			return fmt.Errorf("%d dead letters logged, want 5:\n%s", got, logs)
		}
		return nil
	})
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds %q from an event:\n%s", s, logs)
		}
	}
	for _, reason := range []string{`unknown member \"phone\"`, "level", "not JSON", `unknown member \"x\"`} {
		if !strings.Contains(logs.String(), reason) {
			t.Errorf("the log lacks the reason %q:\n%s", reason, logs)
		}
	}
}
