package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/obs"
	"kaoping/pkg/stream"
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

// connectNATS returns a connection that keeps trying: the first connection is
// retried in the background like any reconnection, so ingest starts (not
// ready) while NATS is down instead of exiting. Readiness follows the
// connection once the streams are declared.
func connectNATS(ctx context.Context, url string, streams *Streams, probe *obs.Probe, log *slog.Logger) (*nats.Conn, error) {
	up := func(nc *nats.Conn) {
		log.Info("nats connected", "url", nc.ConnectedUrlRedacted())
		if _, declared := streams.JetStream(); declared && ctx.Err() == nil {
			probe.SetReady(true)
		}
	}
	return nats.Connect(url,
		nats.Name("kaoping-ingest"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.ConnectHandler(up),
		nats.ReconnectHandler(up),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			probe.SetReady(false)
			if err != nil { // nil when ingest closes the connection itself
				log.Warn("nats disconnected", "err", err)
			}
		}),
	)
}

// declareStreams declares the streams, retrying with backoff while NATS is
// unreachable, then opens the gate and marks ingest ready. It returns when it
// succeeded or ctx is done.
func declareStreams(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, cfg stream.Config, streams *Streams, probe *obs.Probe, log *slog.Logger) {
	const maxWait = 5 * time.Second
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := stream.Ensure(actx, js, cfg)
		cancel()
		if err == nil {
			streams.Set(js)
			if ctx.Err() == nil && nc.IsConnected() {
				probe.SetReady(true)
			}
			log.Info("streams declared; ready", "attempts", attempt)
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("declare streams; retrying", "attempt", attempt, "retry_in", wait.String(), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxWait)
	}
}
