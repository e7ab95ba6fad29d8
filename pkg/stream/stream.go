// Package stream is the one place that declares kaoping's JetStream layout: the
// events stream and its subjects, the dead-letter stream, the aggregator's
// durable consumer, the message id that makes duplicates drop, and the read
// barrier a scoring run waits on.
package stream

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Names of the streams, subjects and consumer.
const (
	// EventsStream holds every accepted event.
	EventsStream = "KAOPING_EVENTS"
	// EventsSubjectPrefix is followed by the event type: kaoping.events.<type>.
	EventsSubjectPrefix = "kaoping.events."
	// DeadLetterStream holds messages the aggregator could not store, with the reason.
	DeadLetterStream = "KAOPING_DEADLETTER"
	// DeadLetterSubjectPrefix is followed by the original stream sequence.
	DeadLetterSubjectPrefix = "kaoping.deadletter."
	// AggregatorConsumer is the durable pull consumer that writes events to ClickHouse.
	AggregatorConsumer = "aggregator"
)

// Headers set on dead letters.
const (
	HeaderReason          = "Kaoping-Reason"
	HeaderOriginalSubject = "Kaoping-Original-Subject"
	HeaderOriginalSeq     = "Kaoping-Original-Seq"
	// HeaderOriginalPos is the event's position inside a message that carries several.
	HeaderOriginalPos = "Kaoping-Original-Pos"
)

// Config sizes the streams. The zero value is completed by defaults suited to
// one machine. Every binary that declares the streams (natsd, ingest, the
// aggregator, the scorer, the simulator) reads the same settings through
// RegisterFlags, so no start-up resets what another declared.
type Config struct {
	// Replicas of each stream: 1 on one machine, 3 on a cluster.
	Replicas int
	// DuplicateWindow is how long the server remembers message ids to drop
	// duplicates. Duplicates outside it are stored again and dropped by the queries.
	DuplicateWindow time.Duration
}

func (c Config) withDefaults() Config {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 24 * time.Hour
	}
	return c
}

// RegisterFlags declares the stream settings on fs and returns their
// environment variables, for flagenv.Parse.
func (c *Config) RegisterFlags(fs *flag.FlagSet) map[string]string {
	fs.IntVar(&c.Replicas, "stream-replicas", 1, "replicas of the streams (1 on one machine, 3 on a NATS cluster)")
	fs.DurationVar(&c.DuplicateWindow, "duplicate-window", 24*time.Hour, "how long JetStream remembers message ids to drop a resent message")
	return map[string]string{
		"stream-replicas":  "KAOPING_STREAM_REPLICAS",
		"duplicate-window": "KAOPING_STREAM_DUPLICATE_WINDOW",
	}
}

// Check reports a setting that cannot work, naming it.
func (c Config) Check() error {
	if c.Replicas < 1 {
		return fmt.Errorf("stream replicas must be at least 1 (KAOPING_STREAM_REPLICAS), got %d", c.Replicas)
	}
	if c.DuplicateWindow <= 0 {
		return fmt.Errorf("duplicate window must be positive (KAOPING_STREAM_DUPLICATE_WINDOW), got %s", c.DuplicateWindow)
	}
	return nil
}

// Options are what a NATS client of kaoping needs: where the servers are and
// how the streams it declares are sized.
type Options struct {
	// URL is a NATS server URL, or a comma-separated list of a cluster's.
	URL string
	Config
}

// RegisterFlags declares the NATS URL and the stream settings on fs and
// returns their environment variables, for flagenv.Parse.
func (o *Options) RegisterFlags(fs *flag.FlagSet) map[string]string {
	fs.StringVar(&o.URL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated")
	env := o.Config.RegisterFlags(fs)
	env["nats-url"] = "KAOPING_NATS_URL"
	return env
}

// Check reports a setting that cannot work, naming it.
func (o Options) Check() error {
	if o.URL == "" {
		return fmt.Errorf("the NATS URL is empty (KAOPING_NATS_URL)")
	}
	return o.Config.Check()
}

// ConsumerConfig sizes the aggregator's durable consumer.
type ConsumerConfig struct {
	// AckWait is how long the aggregator may hold a message before redelivery.
	AckWait time.Duration
	// MaxAckPending bounds the messages the aggregator holds at once; it must be
	// at least the aggregator's batch size.
	MaxAckPending int
}

func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.AckWait == 0 {
		c.AckWait = time.Minute
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 50000
	}
	return c
}

// Subject is the subject an event of the given type is published on.
func Subject(eventType string) string { return EventsSubjectPrefix + eventType }

// MsgID is the JetStream message id of the event (source, id): the server drops
// a second message with the same id inside its duplicate window. The length
// prefix keeps ("a/b", "c") and ("a", "/bc") apart.
func MsgID(source, id string) string {
	return strconv.Itoa(len(source)) + ":" + source + id
}

// Ensure creates or updates the events and dead-letter streams.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	cfg = cfg.withDefaults()
	streams := []jetstream.StreamConfig{
		{
			Name:        EventsStream,
			Description: "kaoping events, one subject per event type",
			Subjects:    []string{EventsSubjectPrefix + ">"},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Replicas:    cfg.Replicas,
			Duplicates:  cfg.DuplicateWindow,
		},
		{
			Name:        DeadLetterStream,
			Description: "messages the aggregator could not store, with the reason in a header",
			Subjects:    []string{DeadLetterSubjectPrefix + ">"},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Replicas:    cfg.Replicas,
		},
	}
	for _, sc := range streams {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("ensure stream %s: %w", sc.Name, err)
		}
	}
	return nil
}

// EnsureAggregatorConsumer creates or updates the aggregator's durable pull
// consumer: explicit acks, every message from the start of the stream.
func EnsureAggregatorConsumer(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig) (jetstream.Consumer, error) {
	cfg = cfg.withDefaults()
	c, err := js.CreateOrUpdateConsumer(ctx, EventsStream, jetstream.ConsumerConfig{
		Durable:       AggregatorConsumer,
		Description:   "writes events to ClickHouse in batches",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxAckPending: cfg.MaxAckPending,
		MaxDeliver:    -1,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure consumer %s: %w", AggregatorConsumer, err)
	}
	return c, nil
}

// HighWater is the sequence of the last message in the events stream: every
// event acknowledged to a publisher so far has a sequence at or below it.
func HighWater(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	s, err := js.Stream(ctx, EventsStream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", EventsStream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s info: %w", EventsStream, err)
	}
	return info.State.LastSeq, nil
}

// Processed is the aggregator's ack floor: every message at or below it has been
// stored in ClickHouse or dead-lettered.
func Processed(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	c, err := js.Consumer(ctx, EventsStream, AggregatorConsumer)
	if err != nil {
		return 0, fmt.Errorf("consumer %s: %w", AggregatorConsumer, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("consumer %s info: %w", AggregatorConsumer, err)
	}
	return info.AckFloor.Stream, nil
}

// ErrBarrierTimeout means the aggregator did not reach the high-water mark in time.
var ErrBarrierTimeout = errors.New("aggregator did not store the events in time")

// WaitProcessed is the read barrier of a scoring run: it returns once the
// aggregator has processed every message up to highWater.
func WaitProcessed(ctx context.Context, js jetstream.JetStream, highWater uint64, timeout time.Duration) error {
	if highWater == 0 {
		return nil
	}
	deadline := time.Now().Add(timeout)
	wait := 5 * time.Millisecond
	for {
		done, err := Processed(ctx, js)
		if err == nil && done >= highWater {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("%w: %v", ErrBarrierTimeout, err)
			}
			return fmt.Errorf("%w: stored up to %d of %d", ErrBarrierTimeout, done, highWater)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if wait < 200*time.Millisecond {
			wait *= 2
		}
	}
}
