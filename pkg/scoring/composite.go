package scoring

import (
	"math/big"
)

// composite turns a subject's tally into indicators, penalty and score (SPEC §5
// "Composite"): base = 100 × Σ wᵢ·xᵢ / Σ wᵢ over the applicable indicators,
// penalty = min(cap, Σ points), score = max(0, base − penalty), exact until
// the one rounding to hundredths.
func (m *Model) composite(t *tally) Result {
	d := t.detail
	d.Indicators = map[string]Fraction{
		ResponseRate:     t.resp.fraction(),
		ResolutionRate:   t.res.fraction(),
		SatisfactionRate: t.sat.fraction(),
		ClosureRate:      t.clo.fraction(),
	}
	exact := map[string]*big.Rat{}
	for name, c := range map[string]ratio{ResponseRate: t.resp, ResolutionRate: t.res, SatisfactionRate: t.sat, ClosureRate: t.clo} {
		if c.den > 0 {
			exact[name] = big.NewRat(c.num, c.den)
		}
	}
	d.Indicators[ReviewScore] = Fraction{Num: "0", Den: "0"}
	if mean := meanOfGroupMeans(t.reviews); mean != nil {
		exact[ReviewScore] = new(big.Rat).Quo(mean, big.NewRat(100, 1))
		d.Indicators[ReviewScore] = Fraction{Num: FormatDecimal(mean, 2), Den: "100", Value: FormatDecimal(exact[ReviewScore], 4)}
	}

	d.PenaltyPoints = t.penaltyPoints
	d.Penalty = min(t.penaltyPoints, m.PenaltyCap)
	d.sortLists()
	r := Result{Detail: d}

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
	r.Scored, r.ScoreCenti = true, centi(score)
	return r
}

// fraction writes the counted cases as an indicator: not applicable when no
// case counted.
func (c ratio) fraction() Fraction {
	f := Fraction{Num: big.NewInt(c.num).String(), Den: big.NewInt(c.den).String()}
	if c.den > 0 {
		f.Value = FormatDecimal(big.NewRat(c.num, c.den), 4)
	}
	return f
}
