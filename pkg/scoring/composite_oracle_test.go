package scoring

// compositeRat is the composite as first written, in big.Rat throughout: the
// oracle the integer composite is held to.

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"
)

// composite turns a subject's tally into indicators, penalty and score (SPEC §5
// "Composite"): base = 100 × Σ wᵢ·xᵢ / Σ wᵢ over the applicable indicators,
// penalty = min(cap, Σ points), score = max(0, base − penalty), exact until
// the one rounding to hundredths.
func (m *Model) compositeRat(t *tally) Result {
	var d Detail
	if t.lists != nil {
		d.Misses, d.PenaltyItems, d.ToleratedItems, d.ReopenedIssues = t.lists.Misses, t.lists.PenaltyItems, t.lists.ToleratedItems, t.lists.ReopenedIssues
	}
	d.Pending = t.pending
	d.Indicators = map[string]Fraction{}
	exact := map[string]*big.Rat{}
	for i, c := range []ratio{t.resp, t.res, t.sat, t.clo} {
		name := Indicators[i]
		if !m.Computes(name) {
			c = ratio{}
		}
		scale := int64(1)
		if name == SatisfactionRate {
			scale = m.SatScale
		}
		f := Fraction{Num: FormatDecimal(big.NewRat(c.num, scale), 4), Den: fmt.Sprint(c.den)}
		if c.den > 0 {
			x := big.NewRat(c.num, c.den*scale)
			f.Value = FormatDecimal(x, 4)
			if c.den < m.MinCases[i] {
				f.Insufficient = true
			} else {
				exact[name] = x
			}
		}
		d.Indicators[name] = f
	}
	d.Indicators[ReviewScore] = Fraction{Num: "0", Den: "0"}
	if mean := meanOfGroupMeans(t.reviews); mean != nil && m.Computes(ReviewScore) {
		exact[ReviewScore] = new(big.Rat).Quo(mean, big.NewRat(100, 1))
		d.Indicators[ReviewScore] = Fraction{Num: FormatDecimal(mean, 2), Den: "100", Value: FormatDecimal(exact[ReviewScore], 4)}
	}

	d.PenaltyPoints = t.penaltyPoints
	d.Penalty = min(t.penaltyPoints, m.PenaltyCap)
	d.sortLists()
	r := Result{Detail: d, Cases: t.resp.den + int64(t.pending.Responses)}

	sum, weights := new(big.Rat), new(big.Rat)
	for _, name := range Indicators {
		x, ok := exact[name]
		if !ok {
			continue // not applicable: out of both sums, not a 0
		}
		w := m.Weights[name]
		sum.Add(sum, new(big.Rat).Mul(w, x))
		weights.Add(weights, w)
	}
	if weights.Sign() == 0 {
		return r // no applicable indicator: no score, whatever the errors
	}
	base := new(big.Rat).Quo(new(big.Rat).Mul(sum, big.NewRat(100, 1)), weights)
	r.Detail.Base = FormatDecimal(base, 4)
	score := new(big.Rat).Sub(base, big.NewRat(d.Penalty, 1))
	if score.Sign() < 0 {
		score.SetInt64(0)
	}
	rounded := roundHalfUp(score, m.ScoreDecimals)
	r.Scored, r.ScoreCenti = true, new(big.Int).Quo(new(big.Int).Mul(rounded.Num(), big.NewInt(100)), rounded.Denom()).Int64()
	return r
}

// TestCompositeIsTheRationalOne: over many tallies, with and without reviews,
// penalties past the base and indicators left out, the integer composite
// gives the rational one's detail and score exactly.
func TestCompositeIsTheRationalOne(t *testing.T) {
	ms, err := EmbeddedModels()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Run(m.Version, func(t *testing.T) { compositeIsTheRationalOne(t, m) })
	}
}

func compositeIsTheRationalOne(t *testing.T, m *Model) {
	rng := rand.New(rand.NewPCG(8, 9))
	var s scratch
	for i := range 20000 {
		tl := &tally{penaltyPoints: int64(rng.IntN(30))}
		for _, r := range []*ratio{&tl.resp, &tl.res, &tl.sat, &tl.clo} {
			if rng.IntN(4) > 0 {
				r.den = rng.Int64N(int64(1 + []int{3, 50, 100000}[i%3]))
				r.num = rng.Int64N(r.den + 1)
				if r == &tl.sat {
					r.num = rng.Int64N(r.den*m.SatScale + 1) // credits in units of 1/SatScale
				}
			}
		}
		if rng.IntN(2) == 0 {
			tl.reviews = map[string]*raterGroup{}
			for _, g := range []string{"leaders", "peers", "public"}[:1+rng.IntN(3)] {
				n := 1 + rng.Int64N(9)
				tl.reviews[g] = &raterGroup{sum: big.NewRat(rng.Int64N(100*n*1000+1), 1000), n: n}
			}
		}
		got, want := m.composite(tl, &s), m.compositeRat(tl)
		if !reflect.DeepEqual(got.Ratios.Indicators(), got.Detail.Indicators) {
			t.Fatalf("tally %+v: ratios %+v show %v, want %v", tl, got.Ratios, got.Ratios.Indicators(), got.Detail.Indicators)
		}
		got.Ratios = Ratios{}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("tally %+v:\n got  %+v\n want %+v", tl, got, want)
		}
	}
}
