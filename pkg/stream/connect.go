package stream

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Connect connects to NATS and declares the streams, waiting and retrying
// (with a log line per failure) while NATS is unreachable, until ctx ends.
// Later disconnections are retried by the client forever.
func Connect(ctx context.Context, url, name string, cfg Config, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	wait := 200 * time.Millisecond
	for {
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := Ensure(ectx, js, cfg)
		cancel()
		if err == nil {
			return nc, js, nil
		}
		if ctx.Err() != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("nats %s: %w (last error: %v)", url, ctx.Err(), err)
		}
		log.Warn("nats not ready, retrying", "url", url, "err", err, "in", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}
