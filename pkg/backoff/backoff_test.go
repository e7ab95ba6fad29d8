package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRetryDoublesUpToMaxAndStopsOnSuccess(t *testing.T) {
	p := Policy{Min: time.Millisecond, Max: 4 * time.Millisecond}
	var waits []time.Duration
	calls := 0
	err := p.Retry(context.Background(), func(context.Context) error {
		calls++
		if calls < 5 {
			return errors.New("down")
		}
		return nil
	}, func(_ error, _ int, wait time.Duration) { waits = append(waits, wait) })
	if err != nil || calls != 5 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	want := []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

func TestRetryEndsWithItsContextAndKeepsTheLastError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := Policy{Min: time.Millisecond, Max: time.Millisecond}.Retry(ctx, func(context.Context) error { return errors.New("connection refused") }, nil)
	if !errors.Is(err, context.DeadlineExceeded) || err.Error() != "context deadline exceeded (last error: connection refused)" {
		t.Fatalf("err = %v", err)
	}
}
