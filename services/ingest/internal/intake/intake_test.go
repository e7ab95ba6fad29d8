package intake

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
	"kaoping/pkg/wire"
)

const responded = `{"specversion":"1.0","id":"c-1","source":"/sources/hotline","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00+08:00","data":{"complaint_id":"HX1"}}`

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		header  http.Header
		body    string
		want    int // submissions
		binary  bool
		wantErr error
	}{
		{"structured", header("Content-Type", MediaStructured), responded, 1, false, nil},
		{"structured with charset", header("Content-Type", MediaStructured+"; charset=UTF-8"), responded, 1, false, nil},
		{"structured ignores ce headers", header("Content-Type", MediaStructured, "ce-specversion", "1.0"), responded, 1, false, nil},
		{"structured array is one submission", header("Content-Type", MediaStructured), "[" + responded + "]", 1, false, nil},
		{"batch", header("Content-Type", MediaBatch), "[" + responded + "," + responded + "]", 2, false, nil},
		{"empty batch", header("Content-Type", MediaBatch), "[]", 0, false, nil},
		{"batch of null", header("Content-Type", MediaBatch), "null", 0, false, ErrNotBatch},
		{"batch object", header("Content-Type", MediaBatch), responded, 0, false, ErrNotBatch},
		{"binary", header("Content-Type", MediaJSON, "ce-specversion", "1.0", "ce-id", "b-1"), `{"complaint_id":"HX1"}`, 1, true, nil},
		{"binary without content type", header("ce-specversion", "1.0"), `{}`, 1, true, nil},
		{"json object", header("Content-Type", MediaJSON), responded, 1, false, nil},
		{"json array", header("Content-Type", MediaJSON), "\n [" + responded + "]", 1, false, nil},
		{"no content type", header(), responded, 1, false, nil},
		{"not json", header("Content-Type", MediaStructured), "{", 0, false, ErrNotJSON},
		{"empty body", header("Content-Type", MediaStructured), "", 0, false, ErrNotJSON},
		{"not utf-8", header("Content-Type", MediaStructured), "{\"id\":\"\xff\"}", 0, false, ErrNotJSON},
		{"form", header("Content-Type", "application/x-www-form-urlencoded"), responded, 0, false, ErrMediaType},
		{"broken media type", header("Content-Type", "/;;"), responded, 0, false, ErrMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs, err := Decode(tt.header, []byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if len(subs) != tt.want {
				t.Fatalf("%d submissions, want %d", len(subs), tt.want)
			}
			for _, s := range subs {
				if (s.Attrs != nil) != tt.binary {
					t.Errorf("binary = %v, want %v", s.Attrs != nil, tt.binary)
				}
			}
		})
	}
}

func TestBinaryAttributes(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("ce-specversion", "1.0")
	h.Set("CE-ID", "a b%22c")
	h.Set("ce-source", "%2Fsources%2Fhotline")
	h.Set("ce-subject", "50%off")
	h.Set("ce-time", "2026-07-03T09:12:00+08:00")
	subs, err := Decode(h, []byte(`{"complaint_id":"HX1"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"specversion": "1.0", "id": "a b\"c", "source": "/sources/hotline", "subject": "50%off",
		"time": "2026-07-03T09:12:00+08:00", "datacontenttype": "application/json",
	}
	got := subs[0].Attrs
	if len(got) != len(want) {
		t.Errorf("attrs = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("attrs[%s] = %q, want %q", k, got[k], v)
		}
	}
	if subs[0].ID() != "a b\"c" {
		t.Errorf("ID = %q", subs[0].ID())
	}
}

func TestSubmissionID(t *testing.T) {
	for raw, want := range map[string]string{
		`{"id":"x-1"}`: "x-1",
		`{"id":7}`:     "",
		`{}`:           "",
		`[1]`:          "",
		`"id"`:         "",
	} {
		if got := (Submission{Structured: []byte(raw)}).ID(); got != want {
			t.Errorf("ID of %s = %q, want %q", raw, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := sources.Parse([]byte("sources:\n  - source: /sources/hotline\n    token: t\n    types: [kaoping.complaint.responded]\n"))
	if err != nil {
		t.Fatal(err)
	}
	src, _ := reg.Lookup("t")
	now := time.Date(2026, 7, 3, 1, 10, 0, 0, time.UTC)
	with := func(old, new string) Submission {
		return Submission{Structured: []byte(strings.Replace(responded, old, new, 1))}
	}
	subs := []Submission{
		with("", ""),
		with(`"source":"/sources/hotline"`, `"source":"/sources/dev"`),
		with(`"kaoping.complaint.responded"`, `"kaoping.issue.closed"`),
		with(`"HX1"}`, `"HX1","phone":"1"}`),
		with("09:12:00+08:00", "09:15:00.5+08:00"), // 5m0.5s after now
		with(`"complaint_id":"HX1"`, `"complaint_id":""`),
		{Attrs: map[string]string{"specversion": "1.0", "id": "b-1", "source": "/sources/hotline",
			"type": "kaoping.complaint.responded", "time": "2026-07-03T01:12:00Z"}, Data: []byte(`{"complaint_id":"HX1"}`)},
	}
	events, rejected := Check(v, Rules{Grant: src, Now: now}, subs)
	if len(events) != 2 || events[0].ID != "c-1" || events[1].ID != "b-1" {
		t.Errorf("events = %+v", events)
	}
	want := []Rejection{
		// issue 14: a type the token may not send is forbidden before its
		// data is looked at (it was "data", the validator's reason, before).
		{1, "c-1", "forbidden"}, {2, "c-1", "forbidden"}, {3, "c-1", "phone"}, {4, "c-1", "after ingestion"}, {5, "c-1", "complaint_id"},
	}
	if len(rejected) != len(want) {
		t.Fatalf("rejected = %+v", rejected)
	}
	for i, w := range want {
		g := rejected[i]
		if g.Index != w.Index || g.ID != w.ID || !strings.Contains(g.Error, w.Error) {
			t.Errorf("rejected[%d] = %+v, want %+v", i, g, w)
		}
	}
	if rejected[0].Error != Forbidden {
		t.Errorf("forbidden reason = %q", rejected[0].Error)
	}
	if _, rejected := Check(v, Rules{Grant: src, Now: now}, nil); rejected == nil {
		t.Error("rejected is nil for no submissions; it must encode as []")
	}
}

func TestCheckMessageSize(t *testing.T) {
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	src := devGrant(t)
	raw := strings.Replace(responded, "/sources/hotline", "/sources/dev", 1)
	e, err := v.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	// A message of one record on ingest's subject, with the headers ingest sets.
	subject := stream.IngestSubject(src.Source.Name)
	exact := int64(event.RecordsHeadSize(1) + event.RecordSize(event.RecordOf(&e)) + wire.Overhead + len(subject))
	rules := Rules{Grant: src, Now: time.Date(2026, 7, 4, 0, 0, 0, 0, time.UTC)}
	for max, wantOK := range map[int64]bool{0: true, exact: true, exact - 1: false} {
		rules.MaxMessageBytes = max
		events, rejected := Check(v, rules, []Submission{{Structured: []byte(raw)}})
		if (len(events) == 1) != wantOK {
			t.Errorf("limit %d for a %d-byte message: events %d, rejected %+v", max, exact, len(events), rejected)
		}
		// What is accepted is published: the messages are packed to the same limit.
		if len(events) == 1 && max > 0 {
			if _, err := publish.RecordBatches(subject, src.Source.Name, events, publish.RecordBodyLimit(max, subject)); err != nil {
				t.Errorf("limit %d: accepted, but no message carries it: %v", max, err)
			}
		}
		if !wantOK && (len(rejected) != 1 || !strings.Contains(rejected[0].Error, "bytes")) {
			t.Errorf("limit %d: rejected %+v", max, rejected)
		}
	}
}

// devGrant is the grant of the local stack's development token: /sources/dev, every type.
func devGrant(t testing.TB) sources.Grant {
	t.Helper()
	return grantOf(t, "sources:\n  - source: /sources/dev\n    token: kaoping-dev-token\n    types: [\"*\"]\n", "kaoping-dev-token")
}

// grantOf is the grant of token in the registry yaml.
func grantOf(t testing.TB, yaml, token string) sources.Grant {
	t.Helper()
	reg, err := sources.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := reg.Lookup(token)
	if !ok {
		t.Fatalf("no token %q in %s", token, yaml)
	}
	return g
}

// TestForbiddenBeforeValidation: an event of another source, or of a type the
// token may not send, is forbidden also when it is invalid: the token learns
// nothing about events it could not send.
func TestForbiddenBeforeValidation(t *testing.T) {
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	src := grantOf(t, "sources:\n  - source: /sources/hotline\n    token: t\n    types: [kaoping.complaint.responded]\n", "t")
	now := time.Date(2026, 7, 3, 1, 10, 0, 0, time.UTC)
	with := func(pairs ...string) Submission {
		s := responded
		for i := 0; i+1 < len(pairs); i += 2 {
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return Submission{Structured: []byte(s)}
	}
	tests := []struct {
		name string
		sub  Submission
		want string
	}{
		{"another source, data invalid", with(`"/sources/hotline"`, `"/sources/dev"`, `"HX1"}`, `"HX1","phone":"1"}`), "=" + Forbidden},
		{"another source, escaped, time invalid", with(`"/sources/hotline"`, `"\/sources\/dev"`, "+08:00", ""), "=" + Forbidden},
		{"another source, no id", with(`"id":"c-1",`, "", `"/sources/hotline"`, `"/sources/dev"`), "=" + Forbidden},
		{"another source, not JSON after it", Submission{Structured: []byte(`{"source":"/sources/dev","data":`)}, "=" + Forbidden},
		{"a type it may not send, data invalid", with(`"kaoping.complaint.responded"`, `"kaoping.complaint.rated"`), "=" + Forbidden},
		{"an unknown type", with(`"kaoping.complaint.responded"`, `"kaoping.complaint.liked"`), "=" + Forbidden},
		{"binary, another source, data invalid", Submission{Attrs: map[string]string{"specversion": "1.0", "id": "b-1",
			"source": "/sources/dev", "type": "kaoping.complaint.responded", "time": "x"}, Data: []byte(`{"x":1}`)}, "=" + Forbidden},
		{"own source and type, data invalid", with(`"HX1"}`, `"HX1","phone":"1"}`), "phone"},
		{"own source, source given twice", with(`"source":"/sources/hotline"`, `"source":"/sources/hotline","source":"/sources/dev"`), "more than once"},
		{"no source at all", with(`"source":"/sources/hotline",`, ""), "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, rejected := Check(v, Rules{Grant: src, Now: now}, []Submission{tt.sub})
			if len(events) != 0 || len(rejected) != 1 {
				t.Fatalf("events %+v, rejected %+v", events, rejected)
			}
			got := rejected[0].Error
			if exact, ok := strings.CutPrefix(tt.want, "="); ok && got != exact || !ok && !strings.Contains(got, tt.want) {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBoundedOutcome: however many bad events a body carries, an outcome
// lists MaxRejections of them and counts the rest; ids are echoed at most 256
// code points long.
func TestBoundedOutcome(t *testing.T) {
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	body := "[" + strings.Repeat("{},", 99999) + `{"id":"` + strings.Repeat("长", 300) + `"},` + responded + "]"
	req, err := DecodeRequest(header("Content-Type", MediaBatch), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if req.Len() != 100001 {
		t.Fatalf("Len = %d", req.Len())
	}
	src := grantOf(t, "sources:\n  - source: /sources/hotline\n    token: t\n    types: [\"*\"]\n", "t")
	out := CheckRequest(v, Rules{Grant: src, Now: time.Date(2026, 7, 4, 0, 0, 0, 0, time.UTC), MaxRejections: 10}, req)
	if len(out.Events) != 1 || out.RejectedTotal != 100000 || len(out.Rejected) != 10 {
		t.Fatalf("%d events, %d of %d rejections listed", len(out.Events), len(out.Rejected), out.RejectedTotal)
	}
	for i, r := range out.Rejected {
		if r.Index != i || r.ID != "" || !strings.Contains(r.Error, "specversion") {
			t.Errorf("rejection %d: %+v", i, r)
		}
	}
	long := Submission{Structured: []byte(`{"id":"` + strings.Repeat("长", 300) + `"}`)}
	if id := long.ID(); id != strings.Repeat("长", 256)+"…" {
		t.Errorf("a 300-character id is echoed as %d characters", len([]rune(id)))
	}
}
