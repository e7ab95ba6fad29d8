package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/sources"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
)

// RebuildStats says what a rebuild read and stored.
type RebuildStats struct {
	Messages, Events int
	UpTo             uint64
	Took             time.Duration
}

// Rebuild recreates the events table from the stream's first message (SPEC
// §8): every message up to the stream's last sequence at the start is decoded
// as the live aggregator decodes it (events refused then are skipped again,
// without a second dead letter), stored in a new table in batches of
// batchSize, and the new table is swapped in. The live aggregator may go on
// meanwhile; what it stores after the start is carried over. Running it again
// gives the same table.
func Rebuild(ctx context.Context, js jetstream.JetStream, st *store.Store, v *event.Validator, registry *sources.Registry, batchSize int, log *slog.Logger) (RebuildStats, error) {
	start := time.Now()
	upTo, err := stream.HighWater(ctx, js)
	if err != nil {
		return RebuildStats{}, err
	}
	rb, err := st.BeginRebuild(ctx)
	if err != nil {
		return RebuildStats{}, err
	}
	stats := RebuildStats{UpTo: upTo}
	if upTo > 0 {
		if stats, err = readInto(ctx, js, rb, decoder{validator: v, registry: registry}, upTo, batchSize, log); err != nil {
			return stats, err
		}
	}
	settled := func(ctx context.Context) error {
		hw, err := stream.HighWater(ctx, js)
		if err != nil {
			return err
		}
		return stream.WaitProcessed(ctx, js, hw, 5*time.Minute)
	}
	if err := rb.Finish(ctx, upTo, settled); err != nil {
		return stats, err
	}
	stats.Took = time.Since(start)
	return stats, nil
}

// readInto reads the stream up to upTo with an ordered consumer and inserts
// what it decodes.
func readInto(ctx context.Context, js jetstream.JetStream, rb *store.Rebuild, d decoder, upTo uint64, batchSize int, log *slog.Logger) (RebuildStats, error) {
	stats := RebuildStats{UpTo: upTo}
	cons, err := js.OrderedConsumer(ctx, stream.EventsStream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return stats, fmt.Errorf("read the stream: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return stats, fmt.Errorf("read the stream: %w", err)
	}
	defer it.Stop()
	var records []event.Record
	flush := func() error {
		if err := rb.Insert(ctx, records); err != nil {
			return err
		}
		stats.Events += len(records)
		records = records[:0]
		return nil
	}
	last := time.Now()
	for {
		msg, err := it.Next(jetstream.NextMaxWait(2 * time.Second))
		if errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			break // the messages left up to upTo were removed (refused whole)
		}
		if err != nil {
			return stats, fmt.Errorf("read the stream at %d messages: %w", stats.Messages, err)
		}
		md, err := msg.Metadata()
		if err != nil || md.Sequence.Stream > upTo {
			break
		}
		stats.Messages++
		records = append(records, d.decode(msg).records...)
		if len(records) >= batchSize {
			if err := flush(); err != nil {
				return stats, err
			}
		}
		if time.Since(last) > 5*time.Second {
			log.Info("rebuilding", "stream_sequence", md.Sequence.Stream, "of", upTo, "events", stats.Events)
			last = time.Now()
		}
		if md.Sequence.Stream == upTo || md.NumPending == 0 {
			break
		}
	}
	return stats, flush()
}
