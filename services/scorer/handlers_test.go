package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/audit"
	"kaoping/pkg/auth"
	"kaoping/pkg/event"
	"kaoping/pkg/obs"
	"kaoping/pkg/publish"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/wire"
	"kaoping/services/scorer/internal/runner"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const token = "admin-token"

// Tokens of the other roles (access_test.go).
const (
	readerToken = "reader-token"
	viewerToken = "viewer-token"
)

// fixture is the scorer's handler on an embedded NATS and a fresh database of
// the shared test ClickHouse. store plays the aggregator's part by hand.
type fixture struct {
	t     *testing.T
	h     http.Handler
	js    jetstream.JetStream
	store *store.Store
	db    string
}

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, 0, 30*time.Second) }

// newFixtureWith bounds the runs in flight to maxRuns (0: no bound) and lets
// POST /v1/runs wait runWait.
func newFixtureWith(t *testing.T, maxRuns int, runWait time.Duration) *fixture {
	t.Helper()
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ch := testkit.SharedClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := ch.NewDatabase(t)
	st, err := store.Open(ctx, store.Options{Addr: ch.Addr, Database: db, MaxExecutionTime: time.Minute}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens, err := auth.ParseTokens(token + "=admin:admin," + readerToken + "=analyst:reader," + viewerToken + "=leader:viewer:d")
	if err != nil {
		t.Fatal(err)
	}
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	r := runner.New(js, st, m, 10*time.Second, obs.NewRegistry(), log)
	models, err := loadModels("")
	if err != nil {
		t.Fatal(err)
	}
	r.SetModels(models)
	r.SetMaxRuns(maxRuns)
	t.Cleanup(func() { r.Wait(10 * time.Second) })
	trail := audit.New(st, "scorer", 50*time.Millisecond, nil, log)
	actx, stop := context.WithCancel(context.Background())
	written := make(chan struct{})
	go func() { defer close(written); _ = trail.Run(actx) }()
	t.Cleanup(func() { stop(); <-written })
	return &fixture{t: t, h: NewServer(r, st, trail, tokens, runWait, log), js: js, store: st, db: db}
}

// deliver publishes events through the SDK and stores them as the aggregator
// does: fetched from its consumer, inserted, acknowledged.
func (f *fixture) deliver(events ...event.Event) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := publish.PublishBatches(ctx, f.js, stream.SourceSubject("dev"), "dev", events, nil); err != nil {
		f.t.Fatal(err)
	}
	c, err := stream.EnsureAggregatorConsumer(ctx, f.js, stream.ConsumerConfig{})
	if err != nil {
		f.t.Fatal(err)
	}
	batch, err := c.Fetch(len(events), jetstream.FetchMaxWait(time.Second))
	if err != nil {
		f.t.Fatal(err)
	}
	v, err := event.NewValidator()
	if err != nil {
		f.t.Fatal(err)
	}
	var msgs []jetstream.Msg
	var records []event.Record
	for msg := range batch.Messages() {
		md, _ := msg.Metadata()
		items, err := wire.Split(msg.Headers(), msg.Data())
		if err != nil {
			f.t.Fatal(err)
		}
		for pos, it := range items {
			e, err := v.Parse(it.Structured)
			if err != nil {
				f.t.Fatal(err)
			}
			r, err := event.ToRecord(e, md.Sequence.Stream, uint32(pos), md.Timestamp)
			if err != nil {
				f.t.Fatal(err)
			}
			records = append(records, r)
		}
		msgs = append(msgs, msg)
	}
	if len(records) != len(events) {
		f.t.Fatalf("fetched %d of %d events", len(records), len(events))
	}
	if err := f.store.InsertEvents(ctx, records); err != nil {
		f.t.Fatal(err)
	}
	for _, m := range msgs {
		if err := m.DoubleAck(ctx); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) do(method, path, body string) (int, map[string]any) {
	f.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		f.t.Fatalf("%s %s: not JSON: %s", method, path, rec.Body.String())
	}
	return rec.Code, out
}

func mustEvent(t *testing.T, id, typ, at string, data any) event.Event {
	t.Helper()
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	e, err := event.New(v, "/sources/dev", id, typ, tm, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRunsScoreWhatWasStoredBeforeTheRequest(t *testing.T) {
	f := newFixture(t)
	f.deliver(
		mustEvent(t, "u-d", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", event.UnitUpserted{Unit: "d", Name: "南湖区", Level: "district"}),
		mustEvent(t, "u-s1", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", event.UnitUpserted{Unit: "s1", Name: "建设街道", Level: "street", Parent: "d"}),
		mustEvent(t, "a-1", event.TypeComplaintAssigned, "2026-04-01T09:00:00+08:00", event.ComplaintAssigned{ComplaintID: "C1", Unit: "s1", Category: "x",
			ResponseDue: "2026-04-01T11:00:00+08:00", ResolveDue: "2026-04-08T09:00:00+08:00"}),
		mustEvent(t, "r-1", event.TypeComplaintResponded, "2026-04-01T10:00:00+08:00", event.ComplaintRef{ComplaintID: "C1"}),
	)
	code, run := f.do("POST", "/v1/runs", `{"period":"2026Q2"}`)
	if code != 201 || run["status"] != "done" || run["period"] != "2026Q2" || run["model"] != "kp-2026.1" || run["high_water"] != float64(1) {
		t.Fatalf("POST /v1/runs = %d %v", code, run)
	}
	counts, _ := run["counts"].(map[string]any)
	if counts["complaints"] != float64(1) || counts["units"] != float64(2) || counts["scored_units"] != float64(2) {
		t.Errorf("counts = %v", counts)
	}
	id, _ := run["id"].(string)
	results, err := f.store.Results(context.Background(), id, "unit", "s1")
	if err != nil || len(results) != 1 || !results[0].Scored {
		t.Fatalf("results of s1 = %+v, %v", results, err)
	}
	// response 1/1, resolution 0/1 (deadline passed without one): 100 × 10/35 = 28.57
	if results[0].ScoreCenti != 2857 {
		t.Errorf("score of s1 = %d hundredths, want 2857", results[0].ScoreCenti)
	}

	code, got := f.do("GET", "/v1/runs/"+id, "")
	if code != 200 || got["id"] != id || got["status"] != "done" {
		t.Errorf("GET /v1/runs/{id} = %d %v", code, got)
	}
	code, list := f.do("GET", "/v1/runs?period=2026Q2", "")
	if runs, _ := list["runs"].([]any); code != 200 || len(runs) != 1 {
		t.Errorf("GET /v1/runs = %d %v", code, list)
	}
}

func TestFinalizeFreezesTheNewestDoneRun(t *testing.T) {
	f := newFixture(t)
	// 2027Q1 is still to come: it becomes final only when it is finalised.
	code, body := f.do("POST", "/v1/periods/2027Q1/finalize", "")
	if code != 409 || !strings.Contains(fmt.Sprint(body["error"]), "no done run") {
		t.Errorf("finalize without a run = %d %v", code, body)
	}
	code, run := f.do("POST", "/v1/runs", `{"period":"2027Q1"}`)
	if code != 201 || run["kind"] != "ordinary" {
		t.Fatalf("run = %d %v", code, run)
	}
	code, body = f.do("POST", "/v1/periods/2027Q1/finalize", "")
	if code != 200 || body["final"] != true || body["run_id"] != run["id"] {
		t.Errorf("finalize = %d %v", code, body)
	}
	code, again := f.do("POST", "/v1/runs", `{"period":"2027Q1"}`)
	if code != 201 || again["kind"] != "correction" {
		t.Errorf("a run after finalising = %d %v, want a correction", code, again)
	}
	code, body = f.do("POST", "/v1/periods/2027Q1/finalize", "")
	if code != 200 || body["run_id"] != run["id"] {
		t.Errorf("finalising again = %d %v, want the first final run kept", code, body)
	}
}

func TestRunRequestsAreCheckedAndErrorsAreJSON(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/v1/runs", `{"period":"2026q3"}`, 400, "canonical"},
		{"POST", "/v1/runs", `{"period":"2200Q1"}`, 400, "1970 to 2199"},
		{"GET", "/v1/runs?period=1969", "", 400, "1970 to 2199"},
		{"POST", "/v1/runs", `{"period":"2026Q3","extra":1}`, 400, "body must be"},
		{"POST", "/v1/runs", `not json`, 400, "body must be"},
		{"GET", "/v1/runs?period=Q3", "", 400, "canonical"},
		{"GET", "/v1/runs/nope", "", 404, "no run nope"},
		{"GET", "/v1/runs/nope/diff", "", 404, "no run nope"},
		{"POST", "/v1/periods/2026-13/finalize", "", 400, "canonical"},
		{"DELETE", "/v1/runs", "", 405, "not allowed"},
		{"GET", "/v1/nothing", "", 404, "no such endpoint"},
	} {
		code, body := f.do(tt.method, tt.path, tt.body)
		if code != tt.code || !strings.Contains(fmt.Sprint(body["error"]), tt.want) {
			t.Errorf("%s %s %s = %d %v, want %d naming %q", tt.method, tt.path, tt.body, code, body, tt.code, tt.want)
		}
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/runs", nil))
	if rec.Code != 401 {
		t.Errorf("without a token = %d", rec.Code)
	}
}

// TestTheDiffOfARunNotDoneIsAConflict.
func TestTheDiffOfARunNotDoneIsAConflict(t *testing.T) {
	f := newFixture(t)
	if err := f.store.SaveRun(context.Background(), store.Run{ID: "r-busy", Period: "2026Q3", Model: "kp-2026.1", Status: store.StatusRunning, AsOfNs: 1}); err != nil {
		t.Fatal(err)
	}
	code, body := f.do("GET", "/v1/runs/r-busy/diff", "")
	if code != 409 || !strings.Contains(fmt.Sprint(body["error"]), "not done") {
		t.Errorf("diff of a running run = %d %v", code, body)
	}
}
