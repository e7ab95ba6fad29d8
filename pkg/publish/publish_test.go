package publish

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/stream"
	"kaoping/pkg/wire"
)

// TestMessageIDsAreKeyed: a Publisher's batch ids are keyed with its secret,
// so another publisher (another key) cannot name them in advance; the same
// key names the same batch alike, and ingest's ids (no key) are the plain
// digest they always were.
func TestMessageIDsAreKeyed(t *testing.T) {
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	e, err := event.New(v, "/sources/hotline", "c-1", event.TypeComplaintResponded, time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC),
		event.ComplaintRef{ComplaintID: "HX1"})
	if err != nil {
		t.Fatal(err)
	}
	id := func(p *Publisher) string {
		b, err := batches(stream.SourceSubject("hotline"), "hotline", []event.Event{e}, 1<<20, p.idKey)
		if err != nil {
			t.Fatal(err)
		}
		return b[0].Msg.Header.Get(jetstream.MsgIDHeader)
	}
	a, _ := New(nil, "hotline", "/sources/hotline", v)
	b, _ := New(nil, "hotline", "/sources/hotline", v)
	k1, _ := New(nil, "hotline", "/sources/hotline", v, WithIDKey([]byte("shared")))
	k2, _ := New(nil, "hotline", "/sources/hotline", v, WithIDKey([]byte("shared")))
	plain, err := Batches(stream.SourceSubject("hotline"), "hotline", []event.Event{e}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	plainID := plain[0].Msg.Header.Get(jetstream.MsgIDHeader)
	switch {
	case id(a) == id(b):
		t.Errorf("two publishers with keys of their own name a batch alike: %s", id(a))
	case id(k1) != id(k2):
		t.Errorf("one shared key names a batch twice: %s, %s", id(k1), id(k2))
	case id(a) == plainID || id(k1) == plainID:
		t.Errorf("a keyed id is the plain digest %s", plainID)
	}
	for _, got := range []string{id(a), id(k1), plainID} {
		if !strings.HasPrefix(got, stream.MsgID("hotline", "b:")) || len(got) != len(stream.MsgID("hotline", "b:"))+32 {
			t.Errorf("message id %q", got)
		}
	}
}

// TestRecordBatchesPackUnderTheLimit: events in the record form fill
// messages up to the byte limit and not past it, in order, each message
// named by its body (the same events, the same id), and an event no message
// could carry is an error.
func TestRecordBatchesPackUnderTheLimit(t *testing.T) {
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	var events []event.Event
	for i := range 40 {
		e, err := event.New(v, "/sources/hotline", fmt.Sprintf("c-%d", i), event.TypeComplaintResponded, time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC),
			event.ComplaintRef{ComplaintID: fmt.Sprintf("HX%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	const limit = 2000
	pack := func() []Batch {
		b, err := RecordBatches(stream.IngestSubject("hotline"), "hotline", events, limit)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	batches, again := pack(), pack()
	if len(batches) < 3 {
		t.Fatalf("%d messages for 40 events under %d bytes", len(batches), limit)
	}
	var ids []string
	for i, b := range batches {
		if len(b.Msg.Data) > limit || b.Msg.Header.Get("Content-Type") != wire.MediaRecords {
			t.Errorf("message %d: %d bytes, %v", i, len(b.Msg.Data), b.Msg.Header)
		}
		if i+1 < len(batches) && len(b.Msg.Data)+event.RecordSize(event.RecordOf(&events[len(ids)+b.Events])) <= limit-1 {
			t.Errorf("message %d closed with room for the next event", i)
		}
		if id := b.Msg.Header.Get(jetstream.MsgIDHeader); id != again[i].Msg.Header.Get(jetstream.MsgIDHeader) || !strings.HasPrefix(id, stream.MsgID("hotline", "r:")) {
			t.Errorf("message %d id %q, packed again %q", i, id, again[i].Msg.Header.Get(jetstream.MsgIDHeader))
		}
		records, err := event.ReadRecords(string(b.Msg.Data), nil)
		if err != nil || len(records) != b.Events {
			t.Fatalf("message %d: %d records of %d, %v", i, len(records), b.Events, err)
		}
		for _, r := range records {
			ids = append(ids, r.ID)
		}
	}
	for i, id := range ids {
		if id != events[i].ID {
			t.Fatalf("event %d is %s, want %s", i, id, events[i].ID)
		}
	}
	if len(ids) != len(events) {
		t.Fatalf("%d events packed of %d", len(ids), len(events))
	}
	if _, err := RecordBatches(stream.IngestSubject("hotline"), "hotline", events[:1], 100); err == nil {
		t.Error("an event larger than the limit was packed")
	}
}
