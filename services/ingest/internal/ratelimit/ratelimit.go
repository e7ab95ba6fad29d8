// Package ratelimit bounds how many events per second each source may send
// through ingest, so that one source cannot take the capacity the others need.
//
// Each source has a token bucket of Burst events that refills at Rate events
// per second. A request is let in while its source's bucket is not in debt,
// and takes as many tokens as it carries events, possibly driving the bucket
// below zero: a request larger than the burst is never refused for its size
// alone, and its source then waits until the debt is paid. Over any interval
// of t seconds a source is let in at most Burst + Rate·t events plus one
// request.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Limits are the settings of every source's bucket.
type Limits struct {
	// Rate is events per second per source; 0 means no limit.
	Rate float64
	// Burst is how many events a source may send at once after a quiet
	// spell; 0 means Rate (one second's worth).
	Burst float64
}

// Limiter holds one bucket per source. It is safe for concurrent use.
type Limiter struct {
	limits Limits
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter with the given limits; now is its clock (nil:
// time.Now).
func New(l Limits, now func() time.Time) *Limiter {
	if l.Burst <= 0 {
		l.Burst = l.Rate
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{limits: l, now: now, buckets: map[string]*bucket{}}
}

// Wait reports whether source must wait before it sends, and for how long:
// while its bucket is in debt, until the debt is paid. Ingest asks before it
// reads a request's body, so a source in debt costs it nothing.
func (l *Limiter) Wait(source string) (time.Duration, bool) {
	if l == nil || l.limits.Rate <= 0 {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(source)
	if b.tokens >= 0 {
		return 0, false
	}
	return time.Duration(-b.tokens / l.limits.Rate * float64(time.Second)), true
}

// Take lets n events of source in unless its bucket is in debt, in which case
// it takes nothing and says how long to wait.
func (l *Limiter) Take(source string, n int) (time.Duration, bool) {
	if l == nil || l.limits.Rate <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(source)
	if b.tokens < 0 {
		return time.Duration(-b.tokens / l.limits.Rate * float64(time.Second)), false
	}
	b.tokens -= float64(n)
	return 0, true
}

// refill returns source's bucket with the tokens earned since it was last
// looked at; l.mu is held.
func (l *Limiter) refill(source string) *bucket {
	now := l.now()
	b := l.buckets[source]
	if b == nil {
		b = &bucket{tokens: l.limits.Burst, last: now}
		l.buckets[source] = b
		return b
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(l.limits.Burst, b.tokens+dt*l.limits.Rate)
		b.last = now
	}
	return b
}

// RetryAfter is the value of a Retry-After header for a wait: whole seconds,
// at least 1.
func RetryAfter(wait time.Duration) int {
	s := int(math.Ceil(wait.Seconds()))
	return max(s, 1)
}
