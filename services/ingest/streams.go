package main

import (
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"
)

// Streams holds the JetStream handle ingest publishes to. It is empty until
// the streams are declared; until then events are answered 503.
type Streams struct {
	js atomic.Pointer[jetstreamBox]
}

type jetstreamBox struct{ js jetstream.JetStream }

// Set makes js the handle to publish to.
func (s *Streams) Set(js jetstream.JetStream) { s.js.Store(&jetstreamBox{js}) }

// JetStream returns the handle, if the streams are declared.
func (s *Streams) JetStream() (jetstream.JetStream, bool) {
	b := s.js.Load()
	if b == nil {
		return nil, false
	}
	return b.js, true
}
