package testkit

import (
	"testing"
	"time"
)

// Eventually polls f until it returns nil, failing the test with f's last
// error once timeout has passed. Tests wait on conditions this way, never by
// sleeping a fixed time.
func Eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := 5 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", timeout, err)
		}
		time.Sleep(wait)
		wait = min(2*wait, 100*time.Millisecond)
	}
}
