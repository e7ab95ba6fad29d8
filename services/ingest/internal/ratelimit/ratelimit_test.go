package ratelimit

import (
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time               { return c.t }
func (c *clock) advance(d time.Duration)      { c.t = c.t.Add(d) }
func newClock() *clock                        { return &clock{t: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)} }
func take(l *Limiter, src string, n int) bool { _, ok := l.Take(src, n); return ok }

func TestBucket(t *testing.T) {
	c := newClock()
	l := New(Limits{Rate: 100, Burst: 200}, c.now)
	if !take(l, "a", 150) || !take(l, "a", 50) {
		t.Fatal("the burst is refused")
	}
	// Empty but not in debt: one more request is let in and drives it below zero.
	if !take(l, "a", 300) {
		t.Fatal("a request at zero is refused")
	}
	wait, ok := l.Take("a", 1)
	if ok || wait != 3*time.Second {
		t.Fatalf("in debt of 300 at 100/s: ok %v, wait %s, want 3s", ok, wait)
	}
	if w, must := l.Wait("a"); !must || w != 3*time.Second {
		t.Fatalf("Wait = %s, %v", w, must)
	}
	// Another source is not touched.
	if !take(l, "b", 200) {
		t.Fatal("another source is limited by the first")
	}
	c.advance(2 * time.Second)
	if take(l, "a", 1) {
		t.Fatal("let in while still 100 in debt")
	}
	c.advance(time.Second)
	if _, must := l.Wait("a"); must {
		t.Fatal("must still wait once the debt is paid")
	}
	if !take(l, "a", 1) {
		t.Fatal("refused once the debt is paid")
	}
	// Refill stops at the burst.
	c.advance(time.Hour)
	if !take(l, "a", 200) || !take(l, "a", 1) || take(l, "a", 1) {
		t.Fatal("the bucket refilled past its burst")
	}
}

func TestNoLimit(t *testing.T) {
	l := New(Limits{}, nil)
	for range 1000 {
		if !take(l, "a", 1<<30) {
			t.Fatal("refused without a limit")
		}
	}
	var none *Limiter
	if !take(none, "a", 1) {
		t.Fatal("a nil limiter refuses")
	}
}

// Over a long run a source gets Burst + Rate·t events plus one request.
func TestLongRunRate(t *testing.T) {
	c := newClock()
	l := New(Limits{Rate: 1000}, c.now)
	let := 0
	for range 10000 { // 10 s in steps of 1 ms, requests of 7 events
		if take(l, "a", 7) {
			let += 7
		}
		c.advance(time.Millisecond)
	}
	if let > 1000+10000+7 || let < 10000 {
		t.Fatalf("let in %d events in 10 s at 1000/s with a burst of 1000", let)
	}
}

func TestRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 10 * time.Second: 10} {
		if got := RetryAfter(d); got != want {
			t.Errorf("RetryAfter(%s) = %d, want %d", d, got, want)
		}
	}
}
