package intake

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/sources"
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
		{1, "c-1", "forbidden"}, {2, "c-1", "data"}, {3, "c-1", "phone"}, {4, "c-1", "after ingestion"}, {5, "c-1", "complaint_id"},
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
	// A batch of one, with the headers ingest sets.
	exact := int64(len(e.Raw) + 2 + wire.Overhead)
	rules := Rules{Grant: src, Now: time.Date(2026, 7, 4, 0, 0, 0, 0, time.UTC)}
	for max, wantOK := range map[int64]bool{0: true, exact: true, exact - 1: false} {
		rules.MaxMessageBytes = max
		events, rejected := Check(v, rules, []Submission{{Structured: []byte(raw)}})
		if (len(events) == 1) != wantOK {
			t.Errorf("limit %d for a %d-byte message: events %d, rejected %+v", max, exact, len(events), rejected)
		}
		if !wantOK && (len(rejected) != 1 || !strings.Contains(rejected[0].Error, "bytes")) {
			t.Errorf("limit %d: rejected %+v", max, rejected)
		}
	}
}

// devGrant is the grant of the local stack's development token: /sources/dev, every type.
func devGrant(t testing.TB) sources.Grant {
	t.Helper()
	reg, err := sources.Parse([]byte("sources:\n  - source: /sources/dev\n    token: kaoping-dev-token\n    types: [\"*\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := reg.Lookup("kaoping-dev-token")
	return g
}
