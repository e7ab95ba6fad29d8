package e2e

import (
	"bytes"
	"context"
	"path"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit/province"
)

// publishProvince sends the province through JetStream as batch messages
// (SPEC §4: a JSON array of structured events, each keeping its own source
// and id) of 50 events, a window of messages in flight, and returns the last
// stream sequence and the number of events. The aggregator fetches 10,000
// messages at a time: 500,000 events a batch.
func publishProvince(t *testing.T, js jetstream.JetStream, cfg province.Config) (uint64, int) {
	const perMessage = 50
	// One open batch per source: a source publishes on its own subject,
	// kaoping.events.<name> (the local registry names the province's sources).
	type open struct {
		buf   bytes.Buffer
		count int
	}
	batches := map[string]*open{}
	var futures []jetstream.PubAckFuture
	var last uint64
	wait := func() {
		for _, f := range futures {
			select {
			case ack := <-f.Ok():
				last = max(last, ack.Sequence)
			case err := <-f.Err():
				t.Fatalf("publish: %v", err)
			}
		}
		futures = futures[:0]
	}
	send := func(source string, b *open) {
		if b.count == 0 {
			return
		}
		b.buf.WriteByte(']')
		m := nats.NewMsg(stream.SourceSubject(path.Base(source)))
		m.Header.Set("Content-Type", "application/cloudevents-batch+json")
		m.Data = append([]byte(nil), b.buf.Bytes()...)
		f, err := js.PublishMsgAsync(m)
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
		futures = append(futures, f)
		if len(futures) == 200 {
			wait()
		}
		b.buf.Reset()
		b.count = 0
	}
	total := 0
	if _, err := province.Generate(cfg, func(r event.Record) error {
		b := batches[r.Source]
		if b == nil {
			b = &open{}
			batches[r.Source] = b
		}
		if b.count == 0 {
			b.buf.WriteByte('[')
		} else {
			b.buf.WriteByte(',')
		}
		b.buf.WriteString(r.Raw)
		b.count++
		total++
		if b.count == perMessage {
			send(r.Source, b)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for source, b := range batches {
		send(source, b)
	}
	wait()
	return last, total
}

// insertProvince stores the province straight into ClickHouse with its own
// stream sequences, then moves the stream past them and sends one event
// through the real path, so the scorer's read barrier covers them all.
func insertProvince(t *testing.T, addr, db string, js jetstream.JetStream, cfg province.Config) (uint64, int) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addr: addr, Database: db, MaxExecutionTime: time.Hour}, discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var batch []event.Record
	var seq uint64
	now := time.Now().UnixNano()
	flush := func() {
		if err := st.InsertEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	var sample event.Record
	if _, err := province.Generate(cfg, func(r event.Record) error {
		seq++
		r.StreamSeq, r.IngestNs = seq, now
		batch = append(batch, r)
		if seq == 1 {
			sample = r
		}
		if len(batch) == 100_000 {
			flush()
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	flush()
	s, err := js.Stream(ctx, stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSequence(seq+1)); err != nil {
		t.Fatal(err)
	}
	// The province's first upsert again: a duplicate, through the aggregator.
	ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject(path.Base(sample.Source)), Data: []byte(sample.Raw)})
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence, int(seq) + 1
}
