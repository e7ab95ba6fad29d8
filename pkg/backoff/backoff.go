// Package backoff is the one way kaoping waits between attempts: every retry
// loop (connecting to NATS or ClickHouse, declaring streams, inserting a batch,
// publishing a dead letter) doubles its wait from Min up to Max.
package backoff

import (
	"context"
	"time"
)

// Policy is how long to wait before the first retry and at most.
type Policy struct {
	Min, Max time.Duration
}

// Default suits a dependency that is restarting: 100 ms, doubling, at most 5 s.
var Default = Policy{Min: 100 * time.Millisecond, Max: 5 * time.Second}

// Retry calls f until it returns nil or ctx ends. After each failure it calls
// onFailure (to log or count it, with the wait that follows) unless that is
// nil, and waits. It returns nil, or ctx's error wrapped with f's last error.
func (p Policy) Retry(ctx context.Context, f func(ctx context.Context) error, onFailure func(err error, attempt int, wait time.Duration)) error {
	wait := p.Min
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return &Error{Cause: ctx.Err(), Last: err}
		}
		if onFailure != nil {
			onFailure(err, attempt, wait)
		}
		if !Sleep(ctx, wait) {
			return &Error{Cause: ctx.Err(), Last: err}
		}
		wait = min(2*wait, p.Max)
	}
}

// Error is a retry that ended with its context: the cause (the context's
// error) and the last failure.
type Error struct {
	Cause, Last error
}

func (e *Error) Error() string { return e.Cause.Error() + " (last error: " + e.Last.Error() + ")" }

// Unwrap makes errors.Is(err, context.Canceled) work on the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Sleep waits d or until ctx ends, and reports whether the whole wait passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
