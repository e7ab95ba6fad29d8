// Package dedupe is ingest's memory of the events it accepted inside the
// duplicate window, so that an event sent again is answered "duplicate"
// whichever request carried its first copy (SPEC §4 "Answers about
// duplicates"), although ingest publishes many events per NATS message and
// JetStream drops duplicates per message only.
//
// The memory is rebuilt from the stream itself (Follow): at start ingest reads
// back what ingest published inside the window, and it keeps following, so
// several ingest processes learn each other's events within milliseconds.
// Keys are a keyed 128-bit hash of (source, id): random per process, so no
// sender can craft a collision, and at 16 bytes a key a day of a province
// costs a few megabytes.
package dedupe

import (
	"hash/maphash"
	"sync"
	"time"
)

// Key identifies an event (source, id).
type Key [2]uint64

// Index holds the keys of the events accepted inside the window.
type Index struct {
	window time.Duration
	seeds  [2]maphash.Seed

	mu      sync.Mutex
	expires map[Key]int64 // unix ns after which the key is forgotten
	swept   int64
}

// New returns an empty index that remembers a key for window after the
// instant it was stored.
func New(window time.Duration) *Index {
	return &Index{window: window, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, expires: map[Key]int64{}}
}

// Key hashes (source, id); the length prefix keeps ("a/b","c") and ("a","/bc") apart.
func (x *Index) Key(source, id string) Key {
	var k Key
	for i, seed := range x.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		var n [8]byte
		l := uint64(len(source))
		for j := range n {
			n[j] = byte(l >> (8 * j))
		}
		_, _ = h.Write(n[:])
		_, _ = h.WriteString(source)
		_, _ = h.WriteString(id)
		k[i] = h.Sum64()
	}
	return k
}

// Seen reports whether the key was stored and has not expired at now.
func (x *Index) Seen(k Key, now time.Time) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	exp, ok := x.expires[k]
	return ok && exp > now.UnixNano()
}

// Add remembers keys stored at the instant at (the stream's timestamp).
func (x *Index) Add(at time.Time, keys ...Key) {
	exp := at.Add(x.window).UnixNano()
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, k := range keys {
		if exp > x.expires[k] {
			x.expires[k] = exp
		}
	}
	x.sweepLocked(time.Now())
}

// Len is the number of keys held, expired ones not yet swept included.
func (x *Index) Len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.expires)
}

// sweepLocked forgets expired keys, at most once per 1/16 of the window, so
// the memory follows the window and not the history.
func (x *Index) sweepLocked(now time.Time) {
	ns := now.UnixNano()
	if ns-x.swept < int64(x.window/16) {
		return
	}
	x.swept = ns
	for k, exp := range x.expires {
		if exp <= ns {
			delete(x.expires, k)
		}
	}
}
