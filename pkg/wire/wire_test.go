package wire

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/event"
)

func TestKindsAreToldByHeaders(t *testing.T) {
	ev := `{"specversion":"1.0","id":"a","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-01T09:00:00Z","data":{"complaint_id":"C"}}`
	for _, tt := range []struct {
		name   string
		header nats.Header
		body   string
		want   Kind
		items  int
	}{
		{"no headers: one structured event", nil, ev, Structured, 1},
		{"one structured event between spaces", nil, " \n\t" + ev + "\r\n ", Structured, 1},
		{"batch with spaces", nats.Header{"Content-Type": {MediaBatch}}, " [ " + ev + " ,\n" + ev + "] ", BatchOf, 2},
		{"structured content type", nats.Header{"Content-Type": {MediaStructured}}, ev, Structured, 1},
		{"batch, names compared case-insensitively", nats.Header{"content-type": {"Application/CloudEvents-Batch+JSON; charset=utf-8"}}, "[" + ev + "," + ev + "]", BatchOf, 2},
		{"binary mode", nats.Header{"Ce-Specversion": {"1.0"}, "ce-id": {"b"}}, `{"complaint_id":"C"}`, Binary, 1},
		{"binary mode, lower-case", nats.Header{"ce-specversion": {"1.0"}}, `{}`, Binary, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.header); got != tt.want {
				t.Fatalf("kind %v, want %v", got, tt.want)
			}
			items, err := Split(tt.header, []byte(tt.body))
			if err != nil || len(items) != tt.items {
				t.Fatalf("items %d, %v", len(items), err)
			}
			// Where each structured event lies in the body: the aggregator
			// reads it as a substring of the body at At.
			for i, it := range items {
				if it.Attrs == nil && (tt.body[it.At:it.At+len(it.Structured)] != ev || string(it.Structured) != ev) {
					t.Errorf("item %d at %d: %q, want the event", i, it.At, tt.body[it.At:it.At+len(it.Structured)])
				}
			}
		})
	}
	items, _ := Split(nats.Header{"ce-specversion": {"1.0"}, "CE-ID": {"x"}, "Content-Type": {"application/json"}}, []byte(`{}`))
	if items[0].Attrs["id"] != "x" || items[0].Attrs["datacontenttype"] != "application/json" || items[0].ID() != "x" {
		t.Errorf("binary attrs = %v", items[0].Attrs)
	}
	if _, err := Split(nats.Header{"Content-Type": {MediaBatch}}, []byte(`{"not":"an array"}`)); err == nil || !strings.Contains(err.Error(), "JSON array") {
		t.Errorf("a batch that is no array: %v", err)
	}
}

func TestBatchIsStableAndReadBack(t *testing.T) {
	raws := [][]byte{[]byte(`{"id":"a"}`), []byte(`{"id":"b"}`)}
	body, d1 := Batch([]json.RawMessage{raws[0], raws[1]})
	_, d2 := Batch([]json.RawMessage{raws[0], raws[1]})
	_, d3 := Batch([]json.RawMessage{raws[1], raws[0]})
	if string(body) != `[{"id":"a"},{"id":"b"}]` || d1 != d2 || d1 == d3 {
		t.Fatalf("body %s, digests %s %s %s", body, d1, d2, d3)
	}
	items, err := Split(nats.Header{"Content-Type": {MediaBatch}}, body)
	if err != nil || len(items) != 2 || items[1].ID() != "b" {
		t.Fatalf("read back %v, %v", items, err)
	}
}

// TestRecordsDigestNamesTheEvents: a message in the record form is named by
// its events' (source, id) in order, so the same events give the same id
// whatever else their bodies hold, and other events, or the same in another
// order, another one.
func TestRecordsDigestNamesTheEvents(t *testing.T) {
	recs := func(pairs ...string) []*event.Record {
		var out []*event.Record
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, &event.Record{Source: pairs[i], ID: pairs[i+1], Raw: `{"n":` + fmt.Sprint(i) + `}`})
		}
		return out
	}
	a := RecordsDigest(recs("/s/h", "1", "/s/h", "2"))
	same := recs("/s/h", "1", "/s/h", "2")
	same[0].Raw, same[0].Unit = `{"other":"body"}`, "u1"
	if got := RecordsDigest(same); got != a {
		t.Errorf("the same events with other bodies: %s, want %s", got, a)
	}
	for name, other := range map[string][]*event.Record{
		"another id":     recs("/s/h", "1", "/s/h", "3"),
		"another source": recs("/s/h", "1", "/s/x", "2"),
		"another order":  recs("/s/h", "2", "/s/h", "1"),
		"one event less": recs("/s/h", "1"),
		"bytes moved":    recs("/s/h1", "", "/s/h", "2"),
	} {
		if RecordsDigest(other) == a {
			t.Errorf("%s: the same digest %s", name, a)
		}
	}
	if !strings.HasPrefix(a, "r:") || len(a) != 2+32 {
		t.Errorf("digest %q: want r: and 32 hex digits", a)
	}
}
