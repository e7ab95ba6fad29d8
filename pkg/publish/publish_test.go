package publish

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/stream"
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
