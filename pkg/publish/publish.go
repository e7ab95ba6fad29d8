// Package publish is the SDK a source system imports to send kaoping events
// straight to NATS JetStream (SPEC §4 "Publishing straight to NATS"). Every
// event is validated before it leaves; events go out in batch messages on
// kaoping.events.<name>, as large as the server takes, published with
// asynchronous acks. Each batch carries a message id scoped to the source, so
// the server drops a batch resent inside its duplicate window; the queries
// drop every other copy (the first stored wins).
//
// A source connects as its own NATS user (deploy/nats), which may publish on
// its subjects and read nothing else: connect with
// nats.Connect(url, stream.ClientOptions(name, password)...). Since it cannot
// read the stream, it cannot check whose message a duplicate ack names; its
// message ids are therefore keyed with a secret of the publisher (WithIDKey;
// by default one drawn at New), so that no other publisher can name one of its
// batches in advance and have it dropped as a duplicate.
package publish

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/stream"
	"kaoping/pkg/wire"
)

// Publisher publishes events of one source.
type Publisher struct {
	js        jetstream.JetStream
	validator *event.Validator
	name      string
	source    string
	idKey     []byte
}

// Option changes a Publisher.
type Option func(*Publisher)

// WithIDKey keys the message ids of the publisher's batches with key. Every
// process of one source that shares the key names the same batch with the
// same id, so the server drops it when another process sends it again inside
// the duplicate window (a restart that resends). Without it each Publisher
// draws its own key: the server drops its own resends only, and a copy sent by
// another process is stored and dropped by the queries (the first copy wins).
// Keep the key as secret as the source's NATS password: who knows it can
// take the source's message ids first.
func WithIDKey(key []byte) Option {
	return func(p *Publisher) { p.idKey = append([]byte(nil), key...) }
}

// Result is the stream's answer for one event.
type Result struct {
	// Sequence is the stream sequence of the message that carries the event,
	// and Position its place in that message.
	Sequence uint64
	Position int
	// Duplicate is true when the server already had the message (the same
	// batch from this source inside its duplicate window) and stored nothing.
	Duplicate bool
}

// New returns a publisher of events of the source whose registry name is
// name and whose CloudEvents source is source. The validator is shared and
// may be nil, in which case one is compiled.
func New(js jetstream.JetStream, name, source string, v *event.Validator, opts ...Option) (*Publisher, error) {
	if o, ok := stream.OriginOf(stream.SourceSubject(name)); !ok || o.Name != name {
		return nil, fmt.Errorf("source name %q is not a subject token", name)
	}
	if v == nil {
		var err error
		if v, err = event.NewValidator(); err != nil {
			return nil, err
		}
	}
	p := &Publisher{js: js, validator: v, name: name, source: source, idKey: make([]byte, 32)}
	if _, err := rand.Read(p.idKey); err != nil {
		return nil, fmt.Errorf("message id key: %w", err)
	}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

// Event builds and validates an event of this publisher's source.
func (p *Publisher) Event(id, eventType string, at time.Time, data any) (event.Event, error) {
	return event.New(p.validator, p.source, id, eventType, at, data)
}

// Publish sends one event in a message of its own and waits until JetStream
// stored it.
func (p *Publisher) Publish(ctx context.Context, e event.Event) (Result, error) {
	res, err := p.PublishAll(ctx, []event.Event{e})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// PublishAll sends events in batch messages without waiting for each answer
// in turn, then waits for all of them; results are in the order of events.
// It stops at the first error; an event without a result was not stored.
func (p *Publisher) PublishAll(ctx context.Context, events []event.Event) ([]Result, error) {
	for _, e := range events {
		if e.Source != p.source {
			return nil, fmt.Errorf("event %s: source %q is not this publisher's %q", e.ID, e.Source, p.source)
		}
	}
	// The ids are keyed: a duplicate ack names one of this key's messages,
	// with no need to read the stream to check it.
	return publishBatches(ctx, p.js, stream.SourceSubject(p.name), p.name, events, nil, p.idKey, false)
}

// PublishBatches packs already validated events into batch messages on
// subject, each under the server's max_payload, publishes them with
// asynchronous acks and waits for all. header, when not nil, is added to
// every message. Ingest uses it with its own subject after checking each
// event against the token. Results are in the order of events, up to the
// first failure. The message ids are digests anyone can compute, so a
// duplicate ack is checked by reading the message it names (see Send): the
// caller must be allowed to read the stream, as ingest is.
func PublishBatches(ctx context.Context, js jetstream.JetStream, subject, name string, events []event.Event, header nats.Header) ([]Result, error) {
	return publishBatches(ctx, js, subject, name, events, header, nil, true)
}

func publishBatches(ctx context.Context, js jetstream.JetStream, subject, name string, events []event.Event, header nats.Header, idKey []byte, verify bool) ([]Result, error) {
	maxBytes := int(js.Conn().MaxPayload()) - wire.Overhead - len(subject)
	batches, err := batches(subject, name, events, maxBytes, idKey)
	if err != nil {
		return nil, err
	}
	return sendBatches(ctx, js, batches, len(events), header, verify)
}

// sendBatches adds header to every batch's message, publishes them and
// returns a result per event, up to the first failure.
func sendBatches(ctx context.Context, js jetstream.JetStream, batches []Batch, events int, header nats.Header, verify bool) ([]Result, error) {
	msgs := make([]*nats.Msg, len(batches))
	for i, b := range batches {
		msgs[i] = b.Msg
		for k, v := range header {
			b.Msg.Header[k] = v
		}
	}
	acks, err := send(ctx, js, msgs, verify)
	results := make([]Result, 0, events)
	for i, ack := range acks {
		for pos := range batches[i].Events {
			results = append(results, Result{Sequence: ack.Sequence, Position: pos, Duplicate: ack.Duplicate})
		}
	}
	return results, err
}

// PublishRecords is PublishBatches in the record form (event.AppendRecord):
// what ingest publishes on its own subjects, where the aggregator stores the
// columns ingest read without parsing or checking the events again. Every
// event must come from the validator (Parse, Decode, FromBinary), which read
// its columns.
func PublishRecords(ctx context.Context, js jetstream.JetStream, subject, name string, events []event.Event, header nats.Header) ([]Result, error) {
	batches, err := RecordBatches(subject, name, events, RecordBodyLimit(js.Conn().MaxPayload(), subject))
	if err != nil {
		return nil, err
	}
	return sendBatches(ctx, js, batches, len(events), header, true)
}

// RecordBodyLimit is the most body a message in the record form on subject
// may have under the server's maxPayload: the headers and framing
// (wire.Overhead) and the subject take the rest. Ingest holds each event to
// it (RecordFits) and packs its messages under it, so an event that passes
// the one is carried by the other.
func RecordBodyLimit(maxPayload int64, subject string) int {
	return int(maxPayload) - wire.Overhead - len(subject)
}

// RecordFits is the size of a body in the record form carrying alone a
// record of recordSize bytes (event.RecordSize), and whether it is within limit.
func RecordFits(recordSize, limit int) (int, bool) {
	size := event.RecordsHeadSize(1) + recordSize
	return size, size <= limit
}

// RecordBatches packs events, in order, into messages in the record form of
// at most maxBytes of body, named by their events (wire.RecordsDigest). An event
// that alone is larger is an error: no message could carry it.
func RecordBatches(subject, name string, events []event.Event, maxBytes int) ([]Batch, error) {
	records, sizes := make([]*event.Record, len(events)), make([]int, len(events))
	for i := range events {
		if records[i] = event.RecordOf(&events[i]); records[i] == nil {
			return nil, fmt.Errorf("event %s: no columns read by the validator", events[i].ID)
		}
		sizes[i] = event.RecordSize(records[i])
		if size, ok := RecordFits(sizes[i], maxBytes); !ok {
			return nil, fmt.Errorf("event %s: %d bytes as a record, more than the %d a message may carry", events[i].ID, size, maxBytes)
		}
	}
	var out []Batch
	for from := 0; from < len(records); {
		to, size := from, 0
		for to < len(records) && event.RecordsHeadSize(to+1-from)+size+sizes[to] <= maxBytes {
			size += sizes[to]
			to++
		}
		body := event.AppendRecordsHead(make([]byte, 0, event.RecordsHeadSize(to-from)+size), to-from)
		for _, r := range records[from:to] {
			body = event.AppendRecord(body, r)
		}
		m := nats.NewMsg(subject)
		m.Header.Set("Content-Type", wire.MediaRecords)
		m.Header.Set(jetstream.MsgIDHeader, stream.MsgID(name, wire.RecordsDigest(records[from:to])))
		m.Data = body
		out = append(out, Batch{Msg: m, Events: to - from})
		from = to
	}
	return out, nil
}

// Batch is one message and how many of the events it carries.
type Batch struct {
	Msg    *nats.Msg
	Events int
}

// Batches packs events, in order, into batch messages of at most maxBytes
// of body. An event that alone is larger is an error: no message could carry it.
func Batches(subject, name string, events []event.Event, maxBytes int) ([]Batch, error) {
	return batches(subject, name, events, maxBytes, nil)
}

// batches is Batches with message ids keyed by idKey (nil: not keyed).
func batches(subject, name string, events []event.Event, maxBytes int, idKey []byte) ([]Batch, error) {
	var out []Batch
	var raws []json.RawMessage
	size := 2
	flush := func() {
		if len(raws) == 0 {
			return
		}
		body, digest := wire.KeyedBatch(raws, idKey)
		m := nats.NewMsg(subject)
		m.Header.Set("Content-Type", wire.MediaBatch)
		m.Header.Set(jetstream.MsgIDHeader, stream.MsgID(name, digest))
		m.Data = body
		out = append(out, Batch{Msg: m, Events: len(raws)})
		raws, size = nil, 2
	}
	for _, e := range events {
		n := len(e.Raw) + 1
		if n+2 > maxBytes {
			return nil, fmt.Errorf("event %s: %d bytes, more than the %d a message may carry", e.ID, len(e.Raw), maxBytes)
		}
		if size+n > maxBytes {
			flush()
		}
		raws = append(raws, e.Raw)
		size += n
	}
	flush()
	return out, nil
}

// Send publishes msgs with asynchronous acks and waits for them; acks are in
// the order of msgs, up to the first failure. A duplicate ack is checked: the
// server drops a message whose id it saw inside its window, and names the
// message it kept; if that one is not on the same subject (a source that
// reused another's message id), the message is sent again under a fresh id,
// so no publisher can make another's events disappear. Checking reads the
// stream: the caller must be allowed to (ingest is, a source is not).
func Send(ctx context.Context, js jetstream.JetStream, msgs []*nats.Msg) ([]*jetstream.PubAck, error) {
	return send(ctx, js, msgs, true)
}

// send is Send; verify false trusts duplicate acks (keyed message ids).
func send(ctx context.Context, js jetstream.JetStream, msgs []*nats.Msg, verify bool) ([]*jetstream.PubAck, error) {
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		f, err := js.PublishMsgAsync(m)
		if err != nil {
			return nil, fmt.Errorf("publish to %s: %w", m.Subject, err)
		}
		futures[i] = f
	}
	acks := make([]*jetstream.PubAck, 0, len(msgs))
	for i, f := range futures {
		var ack *jetstream.PubAck
		select {
		case ack = <-f.Ok():
		case err := <-f.Err():
			return acks, fmt.Errorf("publish to %s: %w", msgs[i].Subject, err)
		case <-ctx.Done():
			return acks, ctx.Err()
		}
		if ack.Duplicate && verify {
			var err error
			if ack, err = checkDuplicate(ctx, js, msgs[i], ack); err != nil {
				return acks, err
			}
		}
		acks = append(acks, ack)
	}
	return acks, nil
}

// checkDuplicate returns the duplicate ack when the message the server kept
// is on msg's subject, else publishes msg again under a fresh id.
func checkDuplicate(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, ack *jetstream.PubAck) (*jetstream.PubAck, error) {
	s, err := js.Stream(ctx, ack.Stream)
	if err != nil {
		return nil, fmt.Errorf("check duplicate of %s: %w", msg.Subject, err)
	}
	kept, err := s.GetMsg(ctx, ack.Sequence)
	switch {
	case err == nil && kept.Subject == msg.Subject:
		return ack, nil
	case err != nil && !errors.Is(err, jetstream.ErrMsgNotFound):
		return nil, fmt.Errorf("check duplicate of %s at %d: %w", msg.Subject, ack.Sequence, err)
	}
	// The kept message is another source's, or gone (refused whole and
	// removed): this one is stored under a fresh id.
	again := nats.NewMsg(msg.Subject)
	for k, v := range msg.Header {
		again.Header[k] = v
	}
	again.Header.Set(jetstream.MsgIDHeader, msg.Header.Get(jetstream.MsgIDHeader)+":"+nats.NewInbox()[len(nats.InboxPrefix):])
	again.Data = msg.Data
	fresh, err := js.PublishMsg(ctx, again)
	if err != nil {
		return nil, fmt.Errorf("publish to %s again: %w", msg.Subject, err)
	}
	return fresh, nil
}
