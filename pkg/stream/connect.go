package stream

import (
	"context"
	"fmt"
	"log/slog"
	neturl "net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/backoff"
)

// Connect connects to NATS and declares the streams, waiting and retrying
// (with a log line per failure) while NATS is unreachable, until ctx ends.
// Later disconnections are retried by the client forever. report, when not
// nil, hears every change of the connection's health: an error while NATS is
// away, nil once it is connected with the streams declared (a service's
// readiness follows it). jsOpts are passed to jetstream.New.
func Connect(ctx context.Context, o Options, name string, log *slog.Logger, report func(error), jsOpts ...jetstream.JetStreamOpt) (*nats.Conn, jetstream.JetStream, error) {
	if report == nil {
		report = func(error) {}
	}
	var declared atomic.Bool
	url := Redacted(o.URL)
	nc, err := nats.Connect(o.URL, append(ClientOptions(o.User, o.Password),
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil when the service closes the connection itself
				log.Warn("nats disconnected", "err", err)
				report(fmt.Errorf("nats disconnected: %w", err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
			if declared.Load() {
				report(nil)
			}
		}),
	)...)
	if err != nil {
		return nil, nil, fmt.Errorf("nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc, jsOpts...)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	err = backoff.Default.Retry(ctx, func(ctx context.Context) error {
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return Ensure(ectx, js, o.Config)
	}, func(err error, attempt int, wait time.Duration) {
		log.Warn("nats not ready, retrying", "url", url, "attempt", attempt, "err", err, "in", wait.String())
		report(fmt.Errorf("nats %s: %w", url, err))
	})
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("nats %s: %w", url, err)
	}
	declared.Store(true)
	report(nil)
	return nc, js, nil
}

// Redacted is a NATS URL list with the secrets in it replaced by "xxxxx": the
// password of a user:password@, or a token@ (a user name without a password
// is a token to NATS). Fit for logs and errors.
func Redacted(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := neturl.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = neturl.UserPassword(u.User.Username(), "xxxxx")
			} else {
				u.User = neturl.User("xxxxx")
			}
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
