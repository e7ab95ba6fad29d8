package scoring

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestReviewRules checks the review score (SPEC §5): the latest rating per
// review_id, the period by label, the mean of the rater-group means.
func TestReviewRules(t *testing.T) {
	checkRules(t, []rule{
		{
			name: "review score: mean of the rater-group means, each group weighing equally; latest per review_id",
			build: func(s *scenario) {
				s.review("R1", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 90)
				s.review("R2", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 80)
				s.review("R3", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "public", 70.5)
				s.review("R3", "2026-09-21T09:00:00+08:00", "unit", "s1", "2026Q3", "public", 60)  // replaces R3
				s.review("R4", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q2", "peers", 10)   // other period
				s.review("R5", "2026-12-20T09:00:00+08:00", "unit", "s1", "2026Q3", "peers", 100)  // given late, label counts
				s.review("R6", "2026-09-20T09:00:00+08:00", "unit", "s1.c1", "2026Q3", "peers", 0) // another subject
			},
			// leaders 85, public 60, peers 100 → 81.666… → num 81.67
			want: map[string]map[string]string{"s1": {ReviewScore: "81.67/100", "score": "81.67"}},
		},
		{
			name: "a later review event moving its review_id to another period takes it out",
			build: func(s *scenario) {
				s.review("R1", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 90)
				s.review("R1", "2026-09-21T09:00:00+08:00", "unit", "s1", "2026Q2", "leaders", 90)
			},
			want: map[string]map[string]string{"s1": {ReviewScore: "0/0", "score": "-"}},
		},
	})
}

// TestSmallMeanIsTheRationalMean: the integer mean of group means is the
// rational one, reduced, and writes the same review score figures.
func TestSmallMeanIsTheRationalMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	fast := 0
	const trials = 20000
	for trial := range trials {
		groups := map[string]*raterGroup{}
		for g := range 1 + rng.IntN(5) {
			rg := &raterGroup{sum: new(big.Rat)}
			for range 1 + rng.IntN(12) {
				// Scores 0–100 with up to three decimals, as raters give them.
				places := rng.IntN(4)
				scale := int64(1)
				for range places {
					scale *= 10
				}
				rg.sum.Add(rg.sum, big.NewRat(rng.Int64N(100*scale+1), scale))
				rg.n++
			}
			groups[string(rune('a'+g))] = rg
		}
		num, den, ok := smallMean(groups)
		if !ok {
			continue // denominators past the bounds: the rational path
		}
		fast++
		want := meanOfGroupMeans(groups)
		if want.Num().Int64() != num || want.Denom().Int64() != den {
			t.Fatalf("trial %d: %d/%d, want %s", trial, num, den, want)
		}
		x := new(big.Rat).Quo(want, big.NewRat(100, 1))
		g := gcd(num, 100)
		if got, w := formatQuotient(num, den, 2), FormatDecimal(want, 2); got != w {
			t.Fatalf("trial %d: mean written %q, want %q", trial, got, w)
		}
		if got, w := formatQuotient(num/g, den*(100/g), 4), FormatDecimal(x, 4); got != w {
			t.Fatalf("trial %d: value written %q, want %q", trial, got, w)
		}
		if got, w := fmt.Sprintf("%d/%d", num/g, den*(100/g)), x.String(); got != w {
			t.Fatalf("trial %d: exact %q, want %q", trial, got, w)
		}
	}
	if fast < trials*9/10 {
		t.Fatalf("the integer path took %d of %d means", fast, trials)
	}
	// Sums past the integer path's bounds, or below zero, take the rational one.
	huge := map[string]*raterGroup{"a": {sum: new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 70), big.NewInt(3)), n: 2}}
	if _, _, ok := smallMean(huge); ok {
		t.Fatal("a sum of 2⁷⁰/3 took the integer path")
	}
	if _, _, ok := smallMean(map[string]*raterGroup{"a": {sum: big.NewRat(-1, 2), n: 1}}); ok {
		t.Fatal("a negative sum took the integer path")
	}
}
