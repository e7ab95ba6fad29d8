// Package publish is the SDK a source system imports to send kaoping events
// straight to NATS JetStream. Every event is validated before it leaves, and is
// published with its message id set from source + id, so the server drops a
// duplicate inside its window; the aggregator and the queries drop the rest.
package publish

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/stream"
)

// Publisher publishes events for one source.
type Publisher struct {
	js        jetstream.JetStream
	validator *event.Validator
	source    string
}

// Result is the stream's answer for one event.
type Result struct {
	// Sequence is the event's place in the stream.
	Sequence uint64
	// Duplicate is true when the server already had the event (same source and
	// id inside its duplicate window) and stored nothing.
	Duplicate bool
}

// New returns a publisher of events of source. The validator is shared and may
// be nil, in which case one is compiled.
func New(js jetstream.JetStream, source string, v *event.Validator) (*Publisher, error) {
	if v == nil {
		var err error
		if v, err = event.NewValidator(); err != nil {
			return nil, err
		}
	}
	return &Publisher{js: js, validator: v, source: source}, nil
}

// Event builds and validates an event of this publisher's source.
func (p *Publisher) Event(id, eventType string, at time.Time, data any) (event.Event, error) {
	return event.New(p.validator, p.source, id, eventType, at, data)
}

// Publish sends one event and waits until JetStream stored it.
func (p *Publisher) Publish(ctx context.Context, e event.Event) (Result, error) {
	if e.Source != p.source {
		return Result{}, fmt.Errorf("event %s: source %q is not this publisher's %q", e.ID, e.Source, p.source)
	}
	ack, err := p.js.PublishMsg(ctx, Message(e))
	if err != nil {
		return Result{}, fmt.Errorf("publish %s: %w", e.ID, err)
	}
	return Result{Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// PublishAll sends events without waiting for each answer in turn, then waits for
// all of them; results are in the order of events. It stops at the first error,
// and an event without a result was not stored.
func (p *Publisher) PublishAll(ctx context.Context, events []event.Event) ([]Result, error) {
	return PublishAll(ctx, p.js, events)
}

// PublishAll sends already validated events of any source (ingest uses it after
// checking each event's source against the token) and waits for all answers.
func PublishAll(ctx context.Context, js jetstream.JetStream, events []event.Event) ([]Result, error) {
	futures := make([]jetstream.PubAckFuture, len(events))
	for i, e := range events {
		f, err := js.PublishMsgAsync(Message(e))
		if err != nil {
			return nil, fmt.Errorf("publish %s: %w", e.ID, err)
		}
		futures[i] = f
	}
	results := make([]Result, len(events))
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			results[i] = Result{Sequence: ack.Sequence, Duplicate: ack.Duplicate}
		case err := <-f.Err():
			return results[:i], fmt.Errorf("publish %s: %w", events[i].ID, err)
		case <-ctx.Done():
			return results[:i], ctx.Err()
		}
	}
	return results, nil
}

// Message is the NATS message that carries one event: its structured JSON on
// the type's subject, with the message id that makes duplicates drop.
func Message(e event.Event) *nats.Msg {
	m := nats.NewMsg(stream.Subject(e.Type))
	m.Header.Set(jetstream.MsgIDHeader, stream.MsgID(e.Source, e.ID))
	m.Header.Set("Content-Type", "application/cloudevents+json")
	m.Data = e.Raw
	return m
}
