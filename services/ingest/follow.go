package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/stream"
	"kaoping/pkg/wire"
	"kaoping/services/ingest/internal/dedupe"
)

// follow fills the index with the events ingest published inside the
// duplicate window (kaoping.ingest.>, read from the stream itself), then keeps
// following, so that a restarted ingest, or another ingest process, answers
// "duplicate" for an event one of them accepted. Messages this process
// published itself (the instance header) are skipped: it indexed them when
// they were acknowledged. caughtUp is called once the messages that were in
// the stream at start are read. follow returns when ctx ends.
func follow(ctx context.Context, js jetstream.JetStream, index *dedupe.Index, instance string, window time.Duration, log *slog.Logger, caughtUp func()) error {
	start := time.Now().Add(-window)
	cons, err := js.OrderedConsumer(ctx, stream.EventsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{stream.IngestSubjectPrefix + ">"},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &start,
	})
	if err != nil {
		return fmt.Errorf("follow %s: %w", stream.IngestSubjectPrefix+">", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("follow %s: %w", stream.IngestSubjectPrefix+">", err)
	}
	read := 0
	if info.NumPending == 0 {
		caughtUp()
		caughtUp = nil
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("follow %s: %w", stream.IngestSubjectPrefix+">", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("follow %s: %w", stream.IngestSubjectPrefix+">", err)
		}
		md, err := msg.Metadata()
		if err != nil {
			continue
		}
		if msg.Headers().Get(stream.HeaderIngestInstance) != instance {
			index.Add(md.Timestamp, keysOf(index, msg)...)
		}
		read++
		if caughtUp != nil && md.NumPending == 0 {
			log.Info("duplicate memory read back from the stream", "messages", read, "keys", index.Len())
			caughtUp()
			caughtUp = nil
		}
	}
}

// keysOf lists the (source, id) keys of the events a message carries.
func keysOf(index *dedupe.Index, msg jetstream.Msg) []dedupe.Key {
	if wire.IsRecords(msg.Headers()) {
		records, err := event.ReadRecords(string(msg.Data()), nil)
		if err != nil {
			return nil
		}
		keys := make([]dedupe.Key, len(records))
		for i, r := range records {
			keys[i] = index.Key(r.Source, r.ID)
		}
		return keys
	}
	items, err := wire.Split(msg.Headers(), msg.Data())
	if err != nil {
		return nil
	}
	keys := make([]dedupe.Key, 0, len(items))
	for _, it := range items {
		var e struct {
			Source string `json:"source"`
			ID     string `json:"id"`
		}
		if it.Attrs != nil {
			e.Source, e.ID = it.Attrs["source"], it.Attrs["id"]
		} else if json.Unmarshal(it.Structured, &e) != nil {
			continue
		}
		keys = append(keys, index.Key(e.Source, e.ID))
	}
	return keys
}
