// Package stream is the one place that declares kaoping's JetStream layout
// (SPEC §4 "Publishing straight to NATS"): the events stream and its subjects
// per source, the dead-letter stream, the aggregator's durable consumer, the
// message ids that make resent messages drop, and the read barrier a scoring
// run waits on.
package stream

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Names of the streams, subjects and consumer.
const (
	// EventsStream holds every accepted event.
	EventsStream = "KAOPING_EVENTS"
	// EventsSubjectPrefix is followed by a source's name, and optionally more
	// tokens: a source publishes straight to NATS on kaoping.events.<name>[.…].
	EventsSubjectPrefix = "kaoping.events."
	// IngestSubjectPrefix is followed by a source's name: ingest publishes what
	// it accepted from that source on kaoping.ingest.<name>, and only ingest
	// may (NATS permissions in deploy/), so those events are not checked again.
	IngestSubjectPrefix = "kaoping.ingest."
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
	// HeaderBodySize and HeaderBodySHA256 describe the offending body when the
	// dead letter keeps only its first 64 KiB.
	HeaderBodySize   = "Kaoping-Body-Size"
	HeaderBodySHA256 = "Kaoping-Body-Sha256"
	// HeaderOriginalType is the offending event's type, when it had one: a
	// replay publishes it again on its original subject.
	HeaderOriginalType = "Kaoping-Original-Type"
	// HeaderOriginalKept marks the dead letter of a message taken for
	// poison (delivered MaxDeliver times, never read): the original stays in
	// the events stream, and a replay sends it again whole from there.
	HeaderOriginalKept = "Kaoping-Original-Kept"
)

// HeaderIngestInstance marks the messages one ingest process published, so
// that process need not read them back to learn their ids.
const HeaderIngestInstance = "Kaoping-Ingest-Instance"

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
	// DeadLetterMaxAge is how long a dead letter is kept (they may hold
	// personal data a source should not have sent).
	DeadLetterMaxAge time.Duration
}

func (c Config) withDefaults() Config {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 24 * time.Hour
	}
	if c.DeadLetterMaxAge == 0 {
		c.DeadLetterMaxAge = 30 * 24 * time.Hour
	}
	return c
}

// RegisterFlags declares the stream settings on fs and returns their
// environment variables, for flagenv.Parse.
func (c *Config) RegisterFlags(fs *flag.FlagSet) map[string]string {
	fs.IntVar(&c.Replicas, "stream-replicas", 1, "replicas of the streams (1 on one machine, 3 on a NATS cluster)")
	fs.DurationVar(&c.DuplicateWindow, "duplicate-window", 24*time.Hour, "how long JetStream remembers message ids to drop a resent message")
	fs.DurationVar(&c.DeadLetterMaxAge, "dead-letter-max-age", 30*24*time.Hour, "how long a dead letter is kept before it expires")
	return map[string]string{
		"stream-replicas":     "KAOPING_STREAM_REPLICAS",
		"duplicate-window":    "KAOPING_STREAM_DUPLICATE_WINDOW",
		"dead-letter-max-age": "KAOPING_DEADLETTER_MAX_AGE",
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
	if c.DeadLetterMaxAge <= 0 {
		return fmt.Errorf("dead-letter max age must be positive (KAOPING_DEADLETTER_MAX_AGE), got %s", c.DeadLetterMaxAge)
	}
	return nil
}

// Options are what a NATS client of kaoping needs: where the servers are and
// how the streams it declares are sized.
type Options struct {
	// URL is a NATS server URL, or a comma-separated list of a cluster's.
	URL string
	// User and Password are the client's NATS credentials (deploy/nats: each
	// service has its user); an empty User connects without any, as to the
	// local stack's NATS. With a user, replies come to its own inbox prefix
	// (InboxPrefix).
	User, Password string
	Config
}

// RegisterFlags declares the NATS URL and the stream settings on fs and
// returns their environment variables, for flagenv.Parse.
func (o *Options) RegisterFlags(fs *flag.FlagSet) map[string]string {
	fs.StringVar(&o.URL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated")
	fs.StringVar(&o.User, "nats-user", "", "NATS user of this service (deploy/nats/users.conf); empty: none")
	fs.StringVar(&o.Password, "nats-password", "", "password of the NATS user")
	env := o.Config.RegisterFlags(fs)
	env["nats-url"] = "KAOPING_NATS_URL"
	env["nats-user"] = "KAOPING_NATS_USER"
	env["nats-password"] = "KAOPING_NATS_PASSWORD"
	return env
}

// Check reports a setting that cannot work, naming it.
func (o Options) Check() error {
	if o.URL == "" {
		return fmt.Errorf("the NATS URL is empty (KAOPING_NATS_URL)")
	}
	if o.Password != "" && o.User == "" {
		return fmt.Errorf("a NATS password without a user (KAOPING_NATS_PASSWORD without KAOPING_NATS_USER)")
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

// SourceSubject is the subject a source publishes on straight to NATS.
func SourceSubject(name string) string { return EventsSubjectPrefix + name }

// IngestSubject is the subject ingest publishes a source's accepted events on.
func IngestSubject(name string) string { return IngestSubjectPrefix + name }

// DeleteEvent removes message seq from the events stream; one already gone
// is no error.
func DeleteEvent(ctx context.Context, js jetstream.JetStream, seq uint64) error {
	s, err := js.Stream(ctx, EventsStream)
	if err == nil {
		err = s.DeleteMsg(ctx, seq)
	}
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	return err
}

// Origin is where a message of the events stream comes from.
type Origin struct {
	// Name is the source's name, the token after the prefix.
	Name string
	// ViaIngest is true for kaoping.ingest.<name>: ingest checked the events.
	ViaIngest bool
}

// OriginOf reads a message's subject; ok is false for a subject that names
// no source.
func OriginOf(subject string) (o Origin, ok bool) {
	rest, viaIngest := strings.CutPrefix(subject, IngestSubjectPrefix)
	if !viaIngest {
		if rest, ok = strings.CutPrefix(subject, EventsSubjectPrefix); !ok {
			return Origin{}, false
		}
	}
	name, _, _ := strings.Cut(rest, ".")
	return Origin{Name: name, ViaIngest: viaIngest}, name != ""
}

// MsgID is the JetStream message id of a message a source sends: key (an
// event's id, or the digest of a batch) scoped to the source's name, so that
// one source's ids never drop another's message. The length prefix keeps
// ("a:b", "c") and ("a", "b:c") apart.
func MsgID(name, key string) string {
	return strconv.Itoa(len(name)) + ":" + name + ":" + key
}

// Ensure creates or updates the events and dead-letter streams.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	cfg = cfg.withDefaults()
	streams := []jetstream.StreamConfig{
		{
			Name:        EventsStream,
			Description: "kaoping events: kaoping.events.<source> from the sources, kaoping.ingest.<source> from ingest",
			Subjects:    []string{EventsSubjectPrefix + ">", IngestSubjectPrefix + ">"},
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
			MaxAge:      cfg.DeadLetterMaxAge,
			// One dead letter per (sequence, position): a redelivered message does not
			// dead-letter the same event twice.
			Duplicates: 10 * time.Minute,
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
		// A poll is one consumer-info request: cheap enough to ask often, and
		// a longer pause (this went to 320 ms) is paid by every run at its end.
		wait = min(2*wait, 40*time.Millisecond)
	}
}
