package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// TestStoresOnceDeadLettersTheInvalidAndDrainsOnStop runs the real aggregator
// on an embedded NATS and a real ClickHouse.
func TestStoresOnceDeadLettersTheInvalidAndDrainsOnStop(t *testing.T) {
	n := testkit.StartNATS(t)
	ch := testkit.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	// A tiny duplicate window, so a resend lands outside it.
	js := n.EnsureStreams(t, stream.Config{DuplicateWindow: 200 * time.Millisecond})
	addr := testkit.FreeAddr(t)
	registry := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(registry, []byte("sources:\n  - source: /sources/hotline\n    token: t\n    types: [kaoping.complaint.responded]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"KAOPING_SOURCES":  registry,
		"KAOPING_TOKENS":   "ops-token=ops:admin,read-token=analyst:reader",
		"KAOPING_NATS_URL": n.URL, "KAOPING_CLICKHOUSE_ADDR": ch.Addr, "KAOPING_CLICKHOUSE_DATABASE": db,
		"KAOPING_AGGREGATOR_ADDR": addr, "KAOPING_STREAM_DUPLICATE_WINDOW": "200ms",
		"KAOPING_AGGREGATOR_FLUSH_INTERVAL": "100ms",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"aggregator"}, func(k string) string { return env[k] }, io.Discard) }()
	t.Cleanup(cancel)

	pub, err := publish.New(js, "hotline", "/sources/hotline", nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var evs []event.Event
	for i := range 50 {
		e, err := pub.Event(fmt.Sprintf("resp-%d", i), event.TypeComplaintResponded, at, event.ComplaintRef{ComplaintID: fmt.Sprintf("HX%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	if _, err := pub.PublishAll(ctx, evs); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // past the duplicate window
	res, err := pub.Publish(ctx, evs[0])
	if err != nil || res.Duplicate {
		t.Fatalf("resend outside the window: %+v %v", res, err)
	}
	// A poison message and a batch with one valid and one invalid event.
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject("hotline"), Data: []byte(`{"not":"an event"`)}); err != nil {
		t.Fatal(err)
	}
	pair := fmt.Sprintf(`[%s, {"specversion":"1.0","id":"x","source":"/sources/hotline","type":"kaoping.complaint.responded","time":"2026-07-01T09:00:00+08:00","data":{"complaint_id":"HX1","phone":"1"}}]`, evs[1].Raw)
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject("hotline"), Header: nats.Header{"Content-Type": {wire.MediaBatch}}, Data: []byte(pair)}); err != nil {
		t.Fatal(err)
	}

	hw, err := stream.HighWater(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.WaitProcessed(ctx, js, hw, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{Addr: ch.Addr, Database: db}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := st.CountEvents(ctx); err != nil || got != 50 {
		t.Fatalf("distinct events stored = %d, %v; want 50", got, err)
	}

	// The dead letters are listed with their reasons.
	var body struct {
		DeadLetters []struct {
			Reason           string `json:"reason"`
			OriginalPosition int    `json:"original_position"`
		} `json:"dead_letters"`
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/deadletters", nil)
		req.Header.Set("Authorization", "Bearer ops-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return err
		}
		if len(body.DeadLetters) != 2 {
			return fmt.Errorf("dead letters = %+v", body.DeadLetters)
		}
		return nil
	})
	// Dead letters are for an admin only.
	for token, want := range map[string]int{"": http.StatusUnauthorized, "read-token": http.StatusForbidden} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/deadletters", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("dead letters with token %q: %d, want %d", token, resp.StatusCode, want)
		}
	}
	if !strings.Contains(body.DeadLetters[0].Reason, "JSON") || !strings.Contains(body.DeadLetters[1].Reason, "phone") || body.DeadLetters[1].OriginalPosition != 1 {
		t.Errorf("dead letters = %+v", body.DeadLetters)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("aggregator did not stop")
	}
}

// TestStopWritesTheOpenBatch: on SIGTERM (ctx cancelled) the batch in hand,
// still open because its flush interval is long, is inserted and acknowledged
// before run returns.
func TestStopWritesTheOpenBatch(t *testing.T) {
	n := testkit.StartNATS(t)
	ch := testkit.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	js := n.EnsureStreams(t, stream.Config{})
	registry := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(registry, []byte("sources:\n  - source: /sources/hotline\n    token: t\n    types: [\"*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"KAOPING_SOURCES": registry, "KAOPING_NATS_URL": n.URL, "KAOPING_CLICKHOUSE_ADDR": ch.Addr, "KAOPING_CLICKHOUSE_DATABASE": db,
		"KAOPING_AGGREGATOR_ADDR": testkit.FreeAddr(t), "KAOPING_AGGREGATOR_FLUSH_INTERVAL": "1m",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"aggregator"}, func(k string) string { return env[k] }, io.Discard) }()
	pub, err := publish.New(js, "hotline", "/sources/hotline", nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := range 10 {
		e, err := pub.Event(fmt.Sprintf("open-%d", i), event.TypeComplaintResponded, at, event.ComplaintRef{ComplaintID: "HX"})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	if _, err := pub.PublishAll(ctx, evs); err != nil {
		t.Fatal(err)
	}
	// The batch is fetched and held open, nothing is stored yet.
	testkit.Eventually(t, 30*time.Second, func() error {
		c, err := js.Consumer(ctx, stream.EventsStream, stream.AggregatorConsumer)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumAckPending != 1 {
			return fmt.Errorf("ack pending %d", info.NumAckPending)
		}
		return nil
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("aggregator did not stop")
	}
	bg := context.Background()
	st, err := store.Open(bg, store.Options{Addr: ch.Addr, Database: db}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := st.CountEvents(bg); err != nil || got != 10 {
		t.Fatalf("events stored on stop = %d, %v; want 10", got, err)
	}
	if done, err := stream.Processed(bg, js); err != nil || done != 1 {
		t.Fatalf("acknowledged up to %d, %v; want the batch's message 1", done, err)
	}
}
