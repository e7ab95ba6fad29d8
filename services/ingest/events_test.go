package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/event"
	"kaoping/pkg/obs"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/wire"
	"kaoping/services/ingest/internal/dedupe"
	"kaoping/services/ingest/internal/intake"
	"kaoping/services/ingest/internal/ratelimit"
)

const testRegistry = `
sources:
  - source: /sources/hotline
    token: hotline-token
    types: [kaoping.complaint.assigned, kaoping.complaint.responded]
  - source: /sources/dev
    token: dev-token
    types: ["*"]
`

// testNow is the ingestion time of the handler tests.
var testNow = time.Date(2026, 7, 3, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))

// ce builds a structured event of /sources/hotline at 09:12 local time.
func ce(id, eventType, data string) string {
	return ceFull("/sources/hotline", id, eventType, "2026-07-03T09:12:00+08:00", data)
}

func ceFull(source, id, eventType, at, data string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":%q,"type":%q,"time":%q,"datacontenttype":"application/json","data":%s}`,
		id, source, eventType, at, data)
}

const (
	assignedData  = `{"complaint_id":"HX2026070300123","unit":"jx.nanhu.st07","category":"property","response_due":"2026-07-03T11:12:00+08:00","resolve_due":"2026-07-10T09:12:00+08:00"}`
	respondedData = `{"complaint_id":"HX2026070300123"}`
)

var (
	assigned  = ce("c-1-assigned", event.TypeComplaintAssigned, assignedData)
	responded = ce("c-1-responded", event.TypeComplaintResponded, respondedData)
)

type fixture struct {
	nats      *testkit.NATS
	js        jetstream.JetStream
	metrics   *prometheus.Registry
	handler   http.Handler
	validator *event.Validator
}

type fixtureOpts struct {
	maxBody        int64
	publishTimeout time.Duration
	noStreams      bool // the streams are not declared yet
	limits         ratelimit.Limits
	now            func() time.Time // the limiter's clock; nil: time.Now
	logs           io.Writer        // where the handler logs (at debug level); nil: nowhere
}

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	registry, err := sources.Parse([]byte(testRegistry))
	if err != nil {
		t.Fatal(err)
	}
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if o.maxBody == 0 {
		o.maxBody = 1 << 20
	}
	if o.publishTimeout == 0 {
		o.publishTimeout = 10 * time.Second
	}
	streams := &Streams{}
	if !o.noStreams {
		streams.Set(js)
	}
	reg := obs.NewRegistry()
	logTo := io.Writer(io.Discard)
	if o.logs != nil {
		logTo = o.logs
	}
	log := slog.New(slog.NewJSONHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := obs.NewServer(obs.HTTPConfig{}, reg, obs.NewProbe(reg, "ingest"), log)
	srv.Handle(NewServer(Deps{
		Log: log, Metrics: reg, Validator: v, Sources: registry, Streams: streams,
		Index: dedupe.New(time.Hour), Instance: "test",
		MaxBodyBytes: o.maxBody, PublishTimeout: o.publishTimeout,
		Limiter: ratelimit.New(o.limits, o.now),
		Now:     func() time.Time { return testNow },
	}))
	return &fixture{nats: n, js: js, metrics: reg, handler: srv.Handler(), validator: v}
}

// stored returns the events in the events stream, in stream order. Each
// message is a batch on kaoping.ingest.<name> of the events' source, with a
// message id scoped to that name.
func (f *fixture) stored(t *testing.T) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := f.js.Stream(ctx, stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{"/sources/hotline": "hotline", "/sources/dev": "dev"}
	var out []string
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		msg, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get message %d: %v", seq, err)
		}
		if !wire.IsRecords(msg.Header) {
			t.Errorf("message %d is not in the record form: %v", seq, msg.Header)
		}
		records, err := event.ReadRecords(string(msg.Data), nil)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		for _, r := range records {
			if want := stream.IngestSubject(names[r.Source]); msg.Subject != want {
				t.Errorf("message %d on subject %q, want %q", seq, msg.Subject, want)
			}
			// The columns are those the validator reads from the event's JSON.
			_, want, err := f.validator.Decode([]byte(r.Raw))
			if err != nil {
				t.Fatalf("message %d holds an event that does not validate: %v", seq, err)
			}
			if r != want {
				t.Errorf("message %d: record\n%+v\nwant the columns of its JSON\n%+v", seq, r, want)
			}
			out = append(out, r.Raw)
		}
		if id := msg.Header.Get(jetstream.MsgIDHeader); !strings.HasPrefix(id, stream.MsgID(strings.TrimPrefix(msg.Subject, stream.IngestSubjectPrefix), "")) {
			t.Errorf("message %d has id %q, not scoped to its source", seq, id)
		}
	}
	return out
}

// step is one request and what it must be answered.
type step struct {
	header map[string]string
	body   string
	status int
	// want is the 200 answer; the errors of its rejections are substrings of
	// the real ones.
	want *answer
	// wantErr is a substring of the JSON error of any other status.
	wantErr string
}

func hdr(token, contentType string, more ...string) map[string]string {
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	for i := 0; i+1 < len(more); i += 2 {
		h[more[i]] = more[i+1]
	}
	return h
}

const (
	structured = "application/cloudevents+json"
	batch      = "application/cloudevents-batch+json"
)

func ok(accepted, duplicates int, rejected ...intake.Rejection) *answer {
	return &answer{Accepted: accepted, Duplicates: duplicates, Rejected: rejected}
}

func TestPostEvents(t *testing.T) {
	binaryHeaders := func(token string) map[string]string {
		return hdr(token, "application/json; charset=utf-8",
			"ce-specversion", "1.0", "ce-id", "c-1-bin", "ce-source", "/sources/hotline",
			"ce-type", event.TypeComplaintResponded, "ce-time", "2026-07-03T09:12:00%2B08:00")
	}
	tests := []struct {
		name  string
		opts  fixtureOpts
		steps []step
		// wantStored are the events in the stream afterwards, compared as JSON
		// values; nil skips the check.
		wantStored []string
	}{
		{
			name:       "single structured event is accepted and stored whole",
			steps:      []step{{header: hdr("hotline-token", structured), body: assigned, status: 200, want: ok(1, 0)}},
			wantStored: []string{assigned},
		},
		{
			name: "content-type parameters are tolerated",
			steps: []step{{header: hdr("hotline-token", "Application/CloudEvents+JSON; charset=utf-8"), body: assigned,
				status: 200, want: ok(1, 0)}},
			wantStored: []string{assigned},
		},
		{
			name: "batch of valid, invalid and forbidden events",
			steps: []step{{header: hdr("hotline-token", batch), body: "[" + strings.Join([]string{
				assigned,
				ce("c-2-responded", event.TypeComplaintResponded, `{"complaint_id":"HX2","phone":"13800000000"}`),
				ceFull("/sources/other", "c-3", event.TypeComplaintResponded, "2026-07-03T09:12:00+08:00", respondedData),
				ce("c-4-resolved", event.TypeComplaintResolved, `{"complaint_id":"HX1","resolved":true}`),
				`{"specversion":"1.0","source":"/sources/hotline","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00+08:00","data":{"complaint_id":"HX1"}}`,
				`42`,
				responded,
			}, ",") + "]", status: 200, want: ok(2, 0,
				rej(1, "c-2-responded", "phone"),
				rej(2, "c-3", "forbidden"),
				rej(3, "c-4-resolved", "forbidden"),
				rej(4, "", "id"),
				rej(5, "", "object"),
			)}},
			wantStored: []string{assigned, responded},
		},
		{
			name: "forbidden is exactly the reason",
			steps: []step{{header: hdr("hotline-token", structured),
				body:   ceFull("/sources/dev", "d-1", event.TypeComplaintResponded, "2026-07-03T09:12:00+08:00", respondedData),
				status: 200, want: ok(0, 0, rejExact(0, "d-1", "forbidden"))}},
			wantStored: []string{},
		},
		{
			name: "the same event sent twice is a duplicate the second time",
			steps: []step{
				{header: hdr("hotline-token", structured), body: assigned, status: 200, want: ok(1, 0)},
				{header: hdr("hotline-token", structured), body: assigned, status: 200, want: ok(0, 1)},
			},
			wantStored: []string{assigned},
		},
		{
			name: "a later copy with another body is a duplicate and the first stays",
			steps: []step{
				{header: hdr("hotline-token", structured), body: assigned, status: 200, want: ok(1, 0)},
				{header: hdr("hotline-token", structured), body: ce("c-1-assigned", event.TypeComplaintAssigned,
					strings.Replace(assignedData, "property", "noise", 1)), status: 200, want: ok(0, 1)},
			},
			wantStored: []string{assigned},
		},
		{
			name: "a duplicate inside one batch counts once",
			steps: []step{{header: hdr("hotline-token", batch), body: "[" + assigned + "," + responded + "," + assigned + "]",
				status: 200, want: ok(2, 1)}},
			wantStored: []string{assigned, responded},
		},
		{
			name:  "binary mode is accepted",
			steps: []step{{header: binaryHeaders("hotline-token"), body: respondedData, status: 200, want: ok(1, 0)}},
			wantStored: []string{ceFull("/sources/hotline", "c-1-bin", event.TypeComplaintResponded,
				"2026-07-03T09:12:00+08:00", respondedData)},
		},
		{
			name: "binary mode with an invalid event is rejected with its id",
			steps: []step{{header: binaryHeaders("hotline-token"), body: `{"complaint_id":"HX1","name":"Zhang San"}`,
				status: 200, want: ok(0, 0, rej(0, "c-1-bin", "name"))}},
			wantStored: []string{},
		},
		{
			name: "plain application/json: an object is one event, an array a batch",
			steps: []step{
				{header: hdr("hotline-token", "application/json"), body: assigned, status: 200, want: ok(1, 0)},
				{header: hdr("hotline-token", "application/json"), body: "[" + responded + "]", status: 200, want: ok(1, 0)},
			},
			wantStored: []string{assigned, responded},
		},
		{
			name:  "an empty batch is answered with zeros",
			steps: []step{{header: hdr("hotline-token", batch), body: " [ ] ", status: 200, want: ok(0, 0)}},
		},
		{
			name:  "missing token",
			steps: []step{{header: hdr("", structured), body: assigned, status: 401, wantErr: "token"}},
		},
		{
			name: "not a bearer token",
			steps: []step{{header: hdr("", structured, "Authorization", "Basic aG90bGluZTp4"), body: assigned,
				status: 401, wantErr: "token"}},
		},
		{
			name:       "unknown token",
			steps:      []step{{header: hdr("nope", structured), body: assigned, status: 401, wantErr: "unknown token"}},
			wantStored: []string{},
		},
		{
			name: "a body that is not JSON",
			steps: []step{
				{header: hdr("hotline-token", structured), body: `{"specversion":`, status: 400, wantErr: "not JSON"},
				{header: hdr("hotline-token", batch), body: `not json`, status: 400, wantErr: "not JSON"},
				{header: hdr("hotline-token", structured), body: ``, status: 400, wantErr: "not JSON"},
				{header: binaryHeaders("hotline-token"), body: `complaint HX1`, status: 400, wantErr: "not JSON"},
				// Well shaped, but an element is not JSON: found while the
				// events are checked, and the valid one before it is not
				// stored either.
				{header: hdr("hotline-token", batch), body: "[" + assigned + `,{"id":tru}]`, status: 400, wantErr: "not JSON"},
				{header: hdr("hotline-token", batch), body: "[" + assigned + ",{\"id\":\"\x01\"}]", status: 400, wantErr: "not JSON"},
			},
			wantStored: []string{},
		},
		{
			name:  "a batch that is not an array",
			steps: []step{{header: hdr("hotline-token", batch), body: assigned, status: 400, wantErr: "array"}},
		},
		{
			name: "an unsupported media type",
			steps: []step{{header: hdr("hotline-token", "text/plain"), body: assigned, status: 415,
				wantErr: "Content-Type"}},
		},
		{
			name: "a body past the limit",
			opts: fixtureOpts{maxBody: 256},
			steps: []step{
				{header: hdr("hotline-token", batch), body: "[" + assigned + "," + responded + "]", status: 413, wantErr: "256 bytes"},
				{header: hdr("hotline-token", structured), body: responded, status: 200, want: ok(1, 0)},
			},
			wantStored: []string{responded},
		},
		{
			name: "an event larger than a NATS message is rejected alone",
			opts: fixtureOpts{maxBody: 4 << 20},
			steps: []step{{header: hdr("hotline-token", batch), body: "[" +
				strings.Replace(responded, `"data":`, `"dataschema":"`+strings.Repeat("x", 1<<20)+`","data":`, 1) + "," + assigned + "]",
				status: 200, want: ok(1, 0, rej(0, "c-1-responded", "bytes a message may carry"))}},
			wantStored: []string{assigned},
		},
		{
			name: "an unknown data field is rejected by name",
			steps: []step{{header: hdr("hotline-token", structured),
				body:   ce("c-9", event.TypeComplaintResponded, `{"complaint_id":"HX1","citizen_phone":"13800000000"}`),
				status: 200, want: ok(0, 0, rej(0, "c-9", "citizen_phone"))}},
			wantStored: []string{},
		},
		{
			name: "a time without an offset is rejected",
			steps: []step{{header: hdr("hotline-token", structured),
				body:   ceFull("/sources/hotline", "c-10", event.TypeComplaintResponded, "2026-07-03T09:12:00", respondedData),
				status: 200, want: ok(0, 0, rej(0, "c-10", "time"))}},
			wantStored: []string{},
		},
		{
			name: "an event dated more than 5 minutes after ingestion is rejected",
			steps: []step{{header: hdr("hotline-token", batch), body: "[" +
				ceFull("/sources/hotline", "c-11", event.TypeComplaintResponded, "2026-07-03T12:05:00.000000001+08:00", respondedData) + "," +
				ceFull("/sources/hotline", "c-12", event.TypeComplaintResponded, "2026-07-03T04:05:00Z", respondedData) + "]",
				status: 200, want: ok(1, 0, rej(0, "c-11", "after ingestion"))}},
			wantStored: []string{ceFull("/sources/hotline", "c-12", event.TypeComplaintResponded, "2026-07-03T04:05:00Z", respondedData)},
		},
		{
			name: "before the streams are declared nothing is accepted",
			opts: fixtureOpts{noStreams: true},
			steps: []step{
				{header: hdr("hotline-token", structured), body: assigned, status: 503, wantErr: "not ready"},
				// Nothing to publish: the answer needs no stream.
				{header: hdr("hotline-token", batch), body: `[]`, status: 200, want: ok(0, 0)},
			},
			wantStored: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			for i, s := range tt.steps {
				f.check(t, i, s)
			}
			if tt.wantStored != nil {
				assertSameEvents(t, f.stored(t), tt.wantStored)
			}
		})
	}
}

// rej wants a rejection whose error contains errSubstring.
func rej(index int, id, errSubstring string) intake.Rejection {
	return intake.Rejection{Index: index, ID: id, Error: errSubstring}
}

// rejExact wants the error to be exactly the reason.
func rejExact(index int, id, reason string) intake.Rejection {
	return intake.Rejection{Index: index, ID: id, Error: "=" + reason}
}

func (f *fixture) check(t testing.TB, i int, s step) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/events", strings.NewReader(s.body))
	for k, v := range s.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != s.status {
		t.Fatalf("step %d: status %d, want %d; body %s", i, rec.Code, s.status, body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("step %d: Content-Type %q, want JSON", i, ct)
	}
	if s.want == nil {
		var e struct{ Error string }
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("step %d: want a JSON error, got %s", i, body)
		}
		if !strings.Contains(e.Error, s.wantErr) {
			t.Errorf("step %d: error %q does not say %q", i, e.Error, s.wantErr)
		}
		return
	}
	if !strings.Contains(body, `"rejected":[`) {
		t.Errorf("step %d: rejected is not an array: %s", i, body)
	}
	var got answer
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("step %d: %v in %s", i, err, body)
	}
	if got.RejectedTotal != len(got.Rejected) {
		t.Errorf("step %d: rejected_total %d for %d rejections listed", i, got.RejectedTotal, len(got.Rejected))
	}
	if got.Accepted != s.want.Accepted || got.Duplicates != s.want.Duplicates || len(got.Rejected) != len(s.want.Rejected) {
		t.Fatalf("step %d: got %s, want accepted %d, duplicates %d, %d rejected",
			i, body, s.want.Accepted, s.want.Duplicates, len(s.want.Rejected))
	}
	for j, w := range s.want.Rejected {
		g := got.Rejected[j]
		matches := strings.Contains(g.Error, w.Error)
		if exact, ok := strings.CutPrefix(w.Error, "="); ok {
			matches = g.Error == exact
		}
		if g.Index != w.Index || g.ID != w.ID || !matches {
			t.Errorf("step %d: rejected[%d] = %+v, want index %d, id %q, error %q", i, j, g, w.Index, w.ID, w.Error)
		}
	}
}

func assertSameEvents(t testing.TB, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("stream holds %d events, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		var g, w any
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(want[i]), &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("stored event %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestPostEventsNATSDown(t *testing.T) {
	f := newFixture(t, fixtureOpts{publishTimeout: 500 * time.Millisecond})
	f.nats.Server.Shutdown()
	f.nats.Server.WaitForShutdown()
	f.check(t, 0, step{header: hdr("hotline-token", structured), body: assigned, status: 503, wantErr: "not stored"})
	if n := counterValue(t, f.metrics, "kaoping_ingest_events_total", "accepted"); n != 0 {
		t.Errorf("accepted counter = %v after a failed publish, want 0", n)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.check(t, 0, step{header: hdr("hotline-token", batch),
		body:   "[" + assigned + "," + assigned + "," + ce("x", event.TypeIssueClosed, `{"issue_id":"I1"}`) + "]",
		status: 200, want: ok(1, 1, rej(2, "x", "forbidden"))})
	for result, want := range map[string]float64{"accepted": 1, "duplicate": 1, "rejected": 1} {
		if got := counterValue(t, f.metrics, "kaoping_ingest_events_total", result); got != want {
			t.Errorf("events_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`kaoping_ingest_events_total{result="accepted"} 1`,
		`kaoping_ingest_request_duration_seconds_count{code="200"} 1`,
		`kaoping_ingest_ready 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{result=%q}", name, result)
	return 0
}
