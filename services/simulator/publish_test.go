package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/wire"
	"kaoping/services/simulator/internal/district"
)

// generateLike generates what `simulator publish` generates for these settings.
func generateLike(t testing.TB, label string, seed uint64, complaints int) *district.District {
	t.Helper()
	now := time.Now()
	p, err := resolvePeriod(label, now)
	if err != nil {
		t.Fatal(err)
	}
	d, err := district.Generate(district.Config{Seed: seed, Period: p, Now: now, Complaints: complaints})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// streamEvents counts the events the stream's messages carry.
func streamEvents(t testing.TB, js jetstream.JetStream) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		items, err := wire.Split(m.Header, m.Data)
		if err != nil {
			t.Fatal(err)
		}
		n += uint64(len(items))
	}
	return n
}

func TestPublishStoresEventsOnceAndRepublishesAsDuplicates(t *testing.T) {
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	label := lastCompleteQuarter(time.Now())
	args := []string{"simulator", "publish", "--period", label, "--complaints", "3000", "--seed", "5"}
	getenv := env(map[string]string{"KAOPING_NATS_URL": n.URL})
	want := generateLike(t, label, 5, 3000)
	total := len(want.Drafts)

	var out bytes.Buffer
	if err := run(t.Context(), args, getenv, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if got := streamEvents(t, js); got != uint64(total) {
		t.Fatalf("stream holds %d events, want %d", got, total)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("%d accepted, 0 duplicates", total)) {
		t.Errorf("first publish should accept all %d events:\n%s", total, out.String())
	}
	for _, c := range want.Counts() {
		line := fmt.Sprintf("%-30s %9d %9d %10d", c.Type, c.Count, c.Count, 0)
		if !strings.Contains(out.String(), line) {
			t.Errorf("no line %q in:\n%s", line, out.String())
		}
	}

	// The first message is a batch of the org source, starting with the
	// province's upsert, with a message id scoped to the source.
	s, err := js.Stream(t.Context(), stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if id := m.Header.Get(jetstream.MsgIDHeader); !strings.HasPrefix(id, stream.MsgID("org", "b:")) {
		t.Errorf("first message id %q", id)
	}
	if m.Subject != stream.SourceSubject("org") {
		t.Errorf("first message on %s", m.Subject)
	}
	if items, err := wire.Split(m.Header, m.Data); err != nil || len(items) < 2 || items[0].ID() != "u-zj-v1" {
		t.Errorf("first message holds %d events (%v), the first %q", len(items), err, items[0].ID())
	}

	out.Reset()
	if err := run(t.Context(), args, getenv, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("0 accepted, %d duplicates", total)) {
		t.Errorf("second publish should find all %d events duplicates:\n%s", total, out.String())
	}
	if got := streamEvents(t, js); got != uint64(total) {
		t.Fatalf("after the second publish the stream holds %d events, want %d", got, total)
	}
}

func TestPublishFailsWithoutNATS(t *testing.T) {
	args := []string{"simulator", "publish", "--complaints", "10", "--nats-url", "nats://127.0.0.1:1"}
	err := run(t.Context(), args, env(nil), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "connect to NATS") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkPublish measures the whole SDK path of a default quarter (build,
// validate, publish, wait for acks) on an embedded NATS server.
func BenchmarkPublish(b *testing.B) {
	n := testkit.StartNATS(b)
	_, js := n.Connect(b)
	d := generateLike(b, lastCompleteQuarter(time.Now()), 1, district.DefaultComplaints)
	ctx := context.Background()
	var events int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		_ = js.DeleteStream(ctx, stream.EventsStream)
		if err := stream.Ensure(ctx, js, stream.Config{}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := publishEvents(ctx, js, d.Drafts, 2000)
		if err != nil {
			b.Fatal(err)
		}
		events += rep.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPublishPrebuilt measures publishing alone, events already validated.
func BenchmarkPublishPrebuilt(b *testing.B) {
	n := testkit.StartNATS(b)
	_, js := n.Connect(b)
	d := generateLike(b, lastCompleteQuarter(time.Now()), 1, district.DefaultComplaints)
	v, err := event.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	built := make([]event.Event, len(d.Drafts))
	for i, dr := range d.Drafts {
		if built[i], err = dr.Build(v); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	var events int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		_ = js.DeleteStream(ctx, stream.EventsStream)
		if err := stream.Ensure(ctx, js, stream.Config{}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for lo := 0; lo < len(built); lo += 2000 {
			if _, err := publish.PublishBatches(ctx, js, stream.SourceSubject("dev"), "dev", built[lo:min(lo+2000, len(built))], nil); err != nil {
				b.Fatal(err)
			}
		}
		events += len(built)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
