package event

import (
	"math/rand/v2"
	"testing"
)

// TestPlainPrefix: the word-at-a-time test finds the same first byte that
// is not plain as a look at each byte, on words built around every byte
// value at every place, and on random words.
func TestPlainPrefix(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }
	naive := func(w []byte) int {
		for i, c := range w {
			if !plain(c) {
				return i
			}
		}
		return len(w)
	}
	check := func(w []byte) {
		t.Helper()
		if got, want := plainPrefix(load64(string(w), 0)), naive(w); got != want {
			t.Fatalf("plainPrefix(%q) = %d, want %d", w, got, want)
		}
	}
	for c := range 256 {
		for at := range 8 {
			for _, fill := range []byte{'a', 0x00, 0x1f, 0x20, '!', '#', '[', ']', 0x7f, 0x80, 0xff} {
				w := []byte("abcdefgh")
				for j := at + 1; j < 8; j++ {
					w[j] = fill // what follows must not change the answer
				}
				w[at] = byte(c)
				check(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		w := make([]byte, 8)
		for j := range w {
			w[j] = byte(r.Uint32())
			if r.IntN(4) > 0 { // mostly plain, as strings are
				w[j] = byte(0x20 + r.IntN(0x60))
			}
		}
		check(w)
	}
}
