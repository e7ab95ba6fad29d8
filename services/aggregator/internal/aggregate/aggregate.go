// Package aggregate moves events from the JetStream stream into ClickHouse:
// one Fetch is one batch (closed by size or by time), every event is validated
// again (the SDK path skips ingest), valid ones are inserted in one native
// batch, invalid ones go to the dead-letter stream with their reason, and only
// then are the messages acknowledged. Nothing is acknowledged that is not
// stored somewhere, so a crash at any point loses nothing; a re-insert after a
// crash is a duplicate the queries drop.
package aggregate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/backoff"
	"kaoping/pkg/event"
	"kaoping/pkg/stream"
)

// Inserter stores records; *store.Store is one.
type Inserter interface {
	InsertEvents(ctx context.Context, records []event.Record) error
}

// Options size the batches.
type Options struct {
	// BatchSize is the most messages one batch holds.
	BatchSize int
	// FlushInterval is the longest a batch stays open waiting to fill.
	FlushInterval time.Duration
	// ShutdownTimeout bounds flushing the last batch after the context ends.
	ShutdownTimeout time.Duration
}

// Aggregator is the consumer loop.
type Aggregator struct {
	js        jetstream.JetStream
	consumer  jetstream.Consumer
	store     Inserter
	validator *event.Validator
	opts      Options
	log       *slog.Logger
	m         *metrics
}

type metrics struct {
	stored       prometheus.Counter
	deadLettered prometheus.Counter
	batches      prometheus.Histogram
	insertTime   prometheus.Histogram
	insertErrors prometheus.Counter
	lastSeq      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		stored: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_aggregator_events_stored_total",
			Help: "Events inserted into ClickHouse (a redelivered message counts again)."}),
		deadLettered: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_aggregator_dead_letters_total",
			Help: "Events sent to the dead-letter stream."}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kaoping_aggregator_batch_messages",
			Help: "Messages per batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		insertTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kaoping_aggregator_insert_duration_seconds",
			Help: "Time of one successful batch insert.", Buckets: prometheus.DefBuckets}),
		insertErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "kaoping_aggregator_insert_errors_total",
			Help: "Failed batch inserts (each is retried)."}),
		lastSeq: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kaoping_aggregator_last_stream_sequence",
			Help: "Stream sequence of the last message acknowledged."}),
	}
	reg.MustRegister(m.stored, m.deadLettered, m.batches, m.insertTime, m.insertErrors, m.lastSeq)
	return m
}

// New returns an aggregator reading from consumer.
func New(js jetstream.JetStream, consumer jetstream.Consumer, store Inserter, v *event.Validator, opts Options, reg prometheus.Registerer, log *slog.Logger) *Aggregator {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 10000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 500 * time.Millisecond
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	return &Aggregator{js: js, consumer: consumer, store: store, validator: v, opts: opts, log: log, m: newMetrics(reg)}
}

// Run fetches and stores batches until ctx ends. The batch in hand when ctx
// ends is still flushed and acknowledged (within ShutdownTimeout).
func (a *Aggregator) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		batch, err := a.consumer.Fetch(a.opts.BatchSize, jetstream.FetchMaxWait(a.opts.FlushInterval))
		if err != nil {
			a.log.Warn("fetch failed, retrying", "err", err)
			backoff.Sleep(ctx, time.Second)
			continue
		}
		var msgs []jetstream.Msg
		for msg := range batch.Messages() {
			msgs = append(msgs, msg)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			a.log.Warn("fetch ended with an error", "err", err, "messages", len(msgs))
		}
		if len(msgs) == 0 {
			continue
		}
		// The flush outlives ctx: a batch in hand is finished, not dropped.
		flushCtx, cancel := context.WithCancel(context.Background())
		stop := context.AfterFunc(ctx, func() {
			time.AfterFunc(a.opts.ShutdownTimeout, cancel)
		})
		err = a.flush(flushCtx, msgs)
		stop()
		cancel()
		if err != nil {
			// Not acknowledged: the messages come back after AckWait.
			a.log.Error("batch not stored; it will be redelivered", "err", err, "messages", len(msgs))
		}
	}
	return nil
}

// flush stores one batch: records to ClickHouse, invalid events to the dead
// letters, then acknowledges every message.
func (a *Aggregator) flush(ctx context.Context, msgs []jetstream.Msg) error {
	a.m.batches.Observe(float64(len(msgs)))
	var records []event.Record
	var dead []*nats.Msg
	for _, msg := range msgs {
		recs, letters := a.decode(msg)
		records = append(records, recs...)
		dead = append(dead, letters...)
	}
	if err := a.insert(ctx, records, msgs); err != nil {
		return err
	}
	for _, d := range dead {
		if err := retry(ctx, a.log, "dead-letter", func() error {
			_, err := a.js.PublishMsg(ctx, d)
			return err
		}); err != nil {
			return err
		}
		a.m.deadLettered.Inc()
	}
	var last uint64
	for _, msg := range msgs {
		if err := msg.Ack(); err != nil {
			a.log.Warn("ack failed; the message will be redelivered and dropped as a duplicate", "err", err)
			continue
		}
		if md, err := msg.Metadata(); err == nil && md.Sequence.Stream > last {
			last = md.Sequence.Stream
		}
	}
	a.m.lastSeq.Set(float64(last))
	return nil
}

// insert retries until ClickHouse takes the batch or ctx ends, telling
// JetStream the messages are still in progress so they are not redelivered
// meanwhile.
func (a *Aggregator) insert(ctx context.Context, records []event.Record, msgs []jetstream.Msg) error {
	if len(records) == 0 {
		return nil
	}
	return retry(ctx, a.log, "insert", func() error {
		start := time.Now()
		err := a.store.InsertEvents(ctx, records)
		if err != nil {
			a.m.insertErrors.Inc()
			for _, msg := range msgs {
				_ = msg.InProgress()
			}
			return err
		}
		a.m.insertTime.Observe(time.Since(start).Seconds())
		a.m.stored.Add(float64(len(records)))
		return nil
	})
}

// decode turns one message into records, and the events in it that fail
// validation into dead letters. A message holds one event, or a JSON array of
// events, each keeping its own position.
func (a *Aggregator) decode(msg jetstream.Msg) ([]event.Record, []*nats.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		return nil, []*nats.Msg{deadLetter(msg.Subject(), 0, 0, msg.Data(), "no stream metadata: "+err.Error())}
	}
	seq := md.Sequence.Stream
	body := bytes.TrimSpace(msg.Data())
	var parts []json.RawMessage
	if len(body) > 0 && body[0] == '[' {
		if err := json.Unmarshal(body, &parts); err != nil {
			return nil, []*nats.Msg{deadLetter(msg.Subject(), seq, 0, body, "message is not a JSON array of events: "+err.Error())}
		}
	} else {
		parts = []json.RawMessage{body}
	}
	var records []event.Record
	var dead []*nats.Msg
	for pos, raw := range parts {
		e, err := a.validator.Parse(raw)
		if err == nil {
			err = e.CheckIngestTime(md.Timestamp)
		}
		var r event.Record
		if err == nil {
			r, err = event.ToRecord(e, seq, uint32(pos), md.Timestamp)
		}
		if err != nil {
			dead = append(dead, deadLetter(msg.Subject(), seq, pos, raw, err.Error()))
			continue
		}
		records = append(records, r)
	}
	return records, dead
}

func deadLetter(subject string, seq uint64, pos int, body []byte, reason string) *nats.Msg {
	m := nats.NewMsg(stream.DeadLetterSubjectPrefix + strconv.FormatUint(seq, 10))
	m.Header.Set(stream.HeaderReason, reason)
	m.Header.Set(stream.HeaderOriginalSubject, subject)
	m.Header.Set(stream.HeaderOriginalSeq, strconv.FormatUint(seq, 10))
	m.Header.Set(stream.HeaderOriginalPos, strconv.Itoa(pos))
	// One dead letter per (sequence, position): a redelivered batch does not
	// dead-letter the same event twice inside the duplicate window.
	m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("dl:%d:%d", seq, pos))
	m.Data = body
	return m
}

// retry calls f until it succeeds or ctx ends, backing off up to 5 s.
func retry(ctx context.Context, log *slog.Logger, what string, f func() error) error {
	return backoff.Default.Retry(ctx, func(context.Context) error { return f() }, func(err error, attempt int, wait time.Duration) {
		log.Warn(what+" failed, retrying", "err", err, "attempt", attempt, "in", wait.String())
	})
}
