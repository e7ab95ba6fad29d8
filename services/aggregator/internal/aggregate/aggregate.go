// Package aggregate moves events from the JetStream stream into ClickHouse.
// A receiver fetches messages and decodes them (batches, binary and
// structured events; SPEC §4) into a batch of records, closed by size or by
// time; an inserter stores each batch in one native insert, sends the events
// that fail their checks to the dead letters, and only then acknowledges the
// messages. The two overlap: one batch is decoded while the one before is
// inserted. Nothing is acknowledged that is not stored somewhere, so a crash
// at any point loses nothing; a re-insert after a crash is a duplicate the
// queries drop. Messages held while ClickHouse is slow or away are kept alive
// with in-progress acks, so the AckWait can be short and a restart after
// kill -9 catches up within seconds.
package aggregate

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/backoff"
	"kaoping/pkg/event"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
)

// Inserter stores records; *store.Store is one.
type Inserter interface {
	InsertEvents(ctx context.Context, records ...[]event.Record) error
	Ping(ctx context.Context) error
}

// Options size the batches and bound the attempts.
type Options struct {
	// BatchSize is the most events one insert holds.
	BatchSize int
	// BatchBytes is the most message bytes one batch holds.
	BatchBytes int
	// FlushInterval is the longest a batch stays open waiting to fill.
	FlushInterval time.Duration
	// ShutdownTimeout bounds flushing the batches in hand after the context ends.
	ShutdownTimeout time.Duration
	// AckWait is the consumer's: held messages get an in-progress ack well within it.
	AckWait time.Duration
	// MaxDeliver is how often a message may be delivered before it is taken
	// for poison (it crashed or stalled the aggregator each time) and goes to
	// the dead letters unread, so it cannot block the events behind it.
	MaxDeliver int
	// StallAfter is how long pending messages may wait without a batch being
	// stored before the consumer check of /readyz fails.
	StallAfter time.Duration
	// Inserters is how many batches are inserted at once.
	Inserters int
}

// Defaults are what an Options field left zero takes, and the defaults of
// the aggregator's settings: one place for both.
var Defaults = Options{
	BatchSize:       30000,
	FlushInterval:   250 * time.Millisecond,
	ShutdownTimeout: 30 * time.Second,
	AckWait:         5 * time.Second,
	MaxDeliver:      5,
	StallAfter:      30 * time.Second,
	Inserters:       2,
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = Defaults.BatchSize
	}
	if o.BatchBytes <= 0 {
		// A batch's events in memory: about 350 bytes of JSON each, so a batch
		// closes by size near BatchSize events whatever the message kinds.
		o.BatchBytes = o.BatchSize * 400
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = Defaults.FlushInterval
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = Defaults.ShutdownTimeout
	}
	if o.AckWait <= 0 {
		o.AckWait = Defaults.AckWait
	}
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = Defaults.MaxDeliver
	}
	if o.StallAfter <= 0 {
		o.StallAfter = Defaults.StallAfter
	}
	if o.Inserters <= 0 {
		o.Inserters = Defaults.Inserters
	}
	return o
}

// Health is told how the dependencies and the consumer fare; *obs.Probe is one.
type Health interface {
	Set(check string, err error)
}

// Aggregator is the consumer loop.
type Aggregator struct {
	js       jetstream.JetStream
	consumer jetstream.Consumer
	store    Inserter
	decoder  decoder
	opts     Options
	log      *slog.Logger
	m        *metrics
	health   Health
	held     *keeper

	mu        sync.Mutex
	lastFlush time.Time
}

// New returns an aggregator reading from consumer.
func New(js jetstream.JetStream, consumer jetstream.Consumer, store Inserter, v *event.Validator, registry *sources.Registry,
	opts Options, reg prometheus.Registerer, health Health, log *slog.Logger) *Aggregator {
	opts = opts.withDefaults()
	return &Aggregator{js: js, consumer: consumer, store: store, decoder: decoder{validator: v, registry: registry},
		opts: opts, log: log, m: newMetrics(reg), health: health, held: newKeeper(), lastFlush: time.Now()}
}

// batch is the messages of one insert and what they decoded to.
type batch struct {
	msgs    []jetstream.Msg
	decoded []decoded
	events  int
	bytes   int
}

// Run fetches, decodes and stores batches until ctx ends. The batches in
// hand when ctx ends are still stored and acknowledged (within ShutdownTimeout).
func (a *Aggregator) Run(ctx context.Context) error {
	// The flushes outlive ctx: batches in hand are finished, not dropped.
	flushCtx, cancelFlush := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelFlush()
	stopTimer := context.AfterFunc(ctx, func() { time.AfterFunc(a.opts.ShutdownTimeout, cancelFlush) })
	defer stopTimer()

	keepCtx, stopKeeping := context.WithCancel(flushCtx)
	defer stopKeeping()
	go a.held.keepAlive(keepCtx, a.opts.AckWait/4)
	go a.watch(keepCtx)

	// One batch is decoded while others are inserted; two inserts at once keep
	// two of ClickHouse's threads busy (one insert runs on one).
	batches := make(chan *batch)
	var wg sync.WaitGroup
	for range a.opts.Inserters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				a.flush(flushCtx, b)
			}
		}()
	}
	a.receive(ctx, batches)
	close(batches)
	wg.Wait()
	return nil
}

// receive fetches messages into batches and hands each over when it is
// full, when FlushInterval has passed since its first message, or when the
// stream has gone quiet (a pull of idleAfter brought nothing) and no other
// batch short of full was handed over in the last FlushInterval. The last
// rule ends a burst's last batch tens of milliseconds after its last message
// rather than a whole interval; its bound keeps a trickle of events from
// becoming one insert each (ClickHouse pays for every part it writes), so
// batches short of full are at most one per FlushInterval, as without it.
func (a *Aggregator) receive(ctx context.Context, out chan<- *batch) {
	b := &batch{}
	var deadline, lastShort time.Time
	for ctx.Err() == nil {
		fetched, cancel, err := a.pull(ctx, b, deadline)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("fetch failed, retrying", "err", err)
				backoff.Sleep(ctx, time.Second)
			}
			continue
		}
		got := 0
		for msg := range fetched.Messages() {
			got++
			a.held.add(msg)
			if deadline.IsZero() {
				deadline = time.Now().Add(a.opts.FlushInterval)
			}
			d := a.decodeOrPoison(msg)
			b.msgs, b.decoded = append(b.msgs, msg), append(b.decoded, d)
			b.events += len(d.records) + len(d.dead)
			b.bytes += len(msg.Data())
		}
		if err := fetched.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrBatchCompleted) &&
			!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			a.log.Warn("fetch ended with an error", "err", err)
		}
		cancel()
		if len(b.msgs) == 0 {
			continue
		}
		now := time.Now()
		full := b.events >= a.opts.BatchSize || b.bytes >= a.opts.BatchBytes
		quiet := got == 0 && now.Sub(lastShort) >= a.opts.FlushInterval
		if full || quiet || !now.Before(deadline) {
			if !full {
				lastShort = now
			}
			out <- b
			b, deadline = &batch{}, time.Time{}
		}
	}
	if len(b.msgs) > 0 {
		out <- b
	}
}

// idleAfter is how long a pull into an open batch waits for more: a tenth of
// the flush interval (25 ms by default), longer than the gaps inside a burst.
func (a *Aggregator) idleAfter() time.Duration {
	return max(a.opts.FlushInterval/10, 5*time.Millisecond)
}

// pull asks for the next messages of batch b. Into an empty batch it waits
// for one message, at most FlushInterval and no longer than ctx (a stop is not
// held up); into an open one it takes what comes within idleAfter (no later
// than the batch is due), so a quiet stream is noticed that soon after its
// last message. Either way the server ends the pull before the client gives up on
// it: a pull the client leaves while the server still sends it messages
// leaves them unacknowledged until the AckWait brings them back (pulls whose
// context ended 2 ms after the server's expiry made make bench's HTTP path
// wait 3–4 s for its last messages). The short pulls are therefore timed by
// the server alone (FetchMaxWait: the client waits a second longer), and the
// first one's context leaves the server a tenth of its time.
//
// The first pull asks for one message and sets no byte limit: one message
// is at most the server's max_payload. A pull that sets both (the others)
// and is completed by its count is ended by the server with a "409 Batch
// Completed", which on a replicated consumer can overtake the last message
// while its delivery is replicated, and the client, ended by the status,
// drops that message until the AckWait brings it back: a pull of one with a
// byte limit lost every message that way on a NATS cluster. So the others
// ask for the events the batch still takes (a message holds one or more),
// which ends them by count at most once a batch, as before; and never for
// less than the largest message, since a pull whose byte limit a message
// exceeds would never deliver it. (FetchBytes alone asks for a million
// messages, and the client made and cleared a 16 MB channel for every pull,
// 14% of the aggregator's CPU in make bench.)
func (a *Aggregator) pull(ctx context.Context, b *batch, deadline time.Time) (jetstream.MessageBatch, context.CancelFunc, error) {
	if len(b.msgs) == 0 {
		fctx, cancel := context.WithTimeout(ctx, a.opts.FlushInterval)
		fetched, err := a.consumer.Fetch(1, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
		}
		return fetched, cancel, err
	}
	wait := min(a.idleAfter(), max(time.Until(deadline), time.Millisecond))
	fetched, err := a.consumer.Fetch(max(a.opts.BatchSize-b.events, 1),
		jetstream.FetchMaxBytes(max(a.opts.BatchBytes-b.bytes, int(a.js.Conn().MaxPayload())+4096)), jetstream.FetchMaxWait(wait))
	return fetched, func() {}, err
}

// decodeOrPoison decodes a message, unless it has been delivered MaxDeliver
// times already: then it crashed or stalled the aggregator each time, and it
// goes to the dead letters unread. The message itself stays in the events
// stream (its events may be sound, and acknowledged to their senders: an
// aggregator killed while holding it each time makes a poison too), so a
// replay of the dead letter sends it again whole, and a rebuild stores it.
func (a *Aggregator) decodeOrPoison(msg jetstream.Msg) decoded {
	md, err := msg.Metadata()
	if err == nil && md.NumDelivered > 1 {
		a.m.redeliveries.Inc()
	}
	if err == nil && md.NumDelivered > uint64(a.opts.MaxDeliver) {
		return keptWhole(msg, md.Sequence.Stream, "delivered "+itoa(md.NumDelivered)+" times without being stored: taken for poison; the message stays in the events stream")
	}
	return a.decoder.decode(msg)
}

// flush stores one batch: records to ClickHouse, refused events to the dead
// letters, then acknowledges every message and removes those refused whole.
func (a *Aggregator) flush(ctx context.Context, b *batch) {
	defer a.held.remove(b.msgs...)
	a.m.batchMessages.Observe(float64(len(b.msgs)))
	a.m.batchEvents.Observe(float64(b.events))
	if err := a.insert(ctx, b, allOf(b)); err != nil {
		// Not acknowledged: the messages come back after AckWait.
		a.log.Error("batch not stored; it will be redelivered", "err", excerpt(err.Error()), "messages", len(b.msgs))
		return
	}
	var last uint64
	for i, msg := range b.msgs {
		for _, dl := range b.decoded[i].dead {
			if err := a.retry(ctx, "dead-letter", func(ctx context.Context) error {
				_, err := a.js.PublishMsg(ctx, dl)
				return err
			}); err != nil {
				a.log.Error("dead letter not stored; the message will be redelivered", "err", err)
				return
			}
			a.m.deadLetters.Inc()
			a.log.Warn("event dead-lettered", "subject", msg.Subject(), "reason", excerpt(dl.Header.Get(stream.HeaderReason)))
		}
		if err := msg.DoubleAck(ctx); err != nil {
			a.log.Warn("ack failed; the message will be redelivered and dropped as a duplicate", "err", err)
			continue
		}
		md, err := msg.Metadata()
		if err != nil {
			continue
		}
		last = max(last, md.Sequence.Stream)
		a.m.lag.Set(float64(md.NumPending))
		if b.decoded[i].refused && !b.decoded[i].kept {
			a.remove(ctx, md.Sequence.Stream)
		}
	}
	a.m.lastSeq.Set(float64(last))
	a.mu.Lock()
	a.lastFlush = time.Now()
	a.mu.Unlock()
	a.health.Set("consumer", nil)
}

// remove deletes a message none of whose events was stored: its dead letters
// hold what it carried, and a rebuild must not meet it again.
func (a *Aggregator) remove(ctx context.Context, seq uint64) {
	if err := stream.DeleteEvent(ctx, a.js, seq); err != nil {
		a.log.Warn("refused message not removed from the stream", "seq", seq, "err", err)
	}
}

// retry calls f until it succeeds or ctx ends, with the one backoff policy.
func (a *Aggregator) retry(ctx context.Context, what string, f func(ctx context.Context) error) error {
	return backoff.Default.Retry(ctx, f, func(err error, attempt int, wait time.Duration) {
		a.log.Warn(what+" failed, retrying", "err", err, "attempt", attempt, "in", wait.String())
	})
}

// watch fails the consumer check while messages wait and no batch has been
// stored for StallAfter: the aggregator cannot make progress.
func (a *Aggregator) watch(ctx context.Context) {
	t := time.NewTicker(max(a.opts.StallAfter/6, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		icx, cancel := context.WithTimeout(ctx, 5*time.Second)
		info, err := a.consumer.Info(icx)
		cancel()
		if err != nil {
			continue // NATS away: the nats check says so
		}
		waiting := info.NumPending + uint64(info.NumAckPending)
		a.m.lag.Set(float64(info.NumPending))
		a.mu.Lock()
		since := time.Since(a.lastFlush)
		a.mu.Unlock()
		if waiting > 0 && since > a.opts.StallAfter {
			a.health.Set("consumer", errors.New("no batch stored for "+since.Round(time.Second).String()+" while "+itoa(waiting)+" messages wait"))
		}
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
