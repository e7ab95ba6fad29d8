package scoring

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestFormatQuotientIsFormatDecimal: the integer path writes every quotient
// of case counts exactly as the rational one does, halves included.
func TestFormatQuotientIsFormatDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	check := func(num, den int64) {
		for _, d := range []int{0, 2, 4} {
			if got, want := formatQuotient(num, den, d), FormatDecimal(big.NewRat(num, den), d); got != want {
				t.Fatalf("%d/%d to %d decimals = %q, want %q", num, den, d, got, want)
			}
		}
	}
	for _, p := range [][2]int64{{0, 1}, {1, 1}, {1, 3}, {2, 3}, {1, 8}, {1, 16}, {5, 20000}, {15, 20000}, {3, 7}, {999999, 1000000}} {
		check(p[0], p[1])
	}
	for range 20000 {
		den := 1 + rng.Int64N(5000000)
		check(rng.Int64N(den+1), den)
	}
}
