package scoring

import (
	"math/big"
	"strconv"
)

// scratch is what the composite computes with, kept from subject to subject
// (a province has 325,000): the model's weights as integers over one common
// denominator, and big integers that are reset, not allocated, per subject.
type scratch struct {
	// weights[i] is Indicators[i]'s weight × the lcm of the weights'
	// denominators; total is their sum. ok is false until they are set.
	weights   [5]big.Int
	total     big.Int
	ok        bool
	num, den  big.Int
	p, q, tmp big.Int
	// ratiosOnly leaves Detail.Indicators out (Evaluator.RatiosOnly).
	ratiosOnly bool
}

// setWeights writes the model's decimal weights as integers over a common
// denominator, which cancels in the composite's quotient.
func (s *scratch) setWeights(m *Model) {
	lcm := big.NewInt(1)
	for _, name := range Indicators {
		if w := m.Weights[name]; w != nil {
			d := w.Denom()
			g := new(big.Int).GCD(nil, nil, lcm, d)
			lcm.Mul(lcm, new(big.Int).Quo(d, g))
		}
	}
	s.total.SetInt64(0)
	for i, name := range Indicators {
		s.weights[i].SetInt64(0) // an indicator the model does not compute
		if w := m.Weights[name]; w != nil {
			s.weights[i].Mul(w.Num(), new(big.Int).Quo(lcm, w.Denom()))
		}
		s.total.Add(&s.total, &s.weights[i])
	}
	s.ok = true
}

// composite turns a subject's tally into indicators, penalty and score (SPEC §5
// "Composite"): base = 100 × Σ wᵢ·xᵢ / Σ wᵢ over the applicable indicators,
// penalty = min(cap, Σ points), score = max(0, base − penalty), exact until
// the one rounding to the model's score_decimals. The sums are kept as one
// integer numerator over one integer denominator, never normalised: the
// roundings divide once. An indicator the model does not compute is shown as
// not applicable; one whose denominator is below the model's min_cases is
// shown, marked insufficient, and left out of both sums like one not
// applicable.
func (m *Model) composite(t *tally, s *scratch) Result {
	if !s.ok {
		s.setWeights(m)
	}
	var d Detail
	if t.lists != nil {
		d.Misses, d.PenaltyItems, d.ToleratedItems, d.ReopenedIssues = t.lists.Misses, t.lists.PenaltyItems, t.lists.ToleratedItems, t.lists.ReopenedIssues
	}
	d.Pending = t.pending
	if !s.ratiosOnly {
		d.Indicators = make(map[string]Fraction, len(Indicators))
	}
	s.num.SetInt64(0)
	s.den.SetInt64(1)
	s.total.SetInt64(0)
	// add adds weight × p/q to num/den: num = num·q + weight·p·den, den = den·q.
	add := func(i int, p, q *big.Int) {
		s.num.Mul(&s.num, q)
		s.tmp.Mul(&s.weights[i], p)
		s.tmp.Mul(&s.tmp, &s.den)
		s.num.Add(&s.num, &s.tmp)
		s.den.Mul(&s.den, q)
		s.total.Add(&s.total, &s.weights[i])
	}
	var rs Ratios
	if m.SatScale > 1 {
		rs.SatScale = m.SatScale
	}
	for i, c := range [...]ratio{t.resp, t.res, t.sat, t.clo} {
		if m.Weights[Indicators[i]] == nil {
			c = ratio{} // not computed: shown as not applicable
		}
		insufficient := c.den > 0 && c.den < m.MinCases[i]
		rs.Num[i], rs.Den[i] = c.num, c.den
		if insufficient {
			rs.Insufficient |= 1 << i
		}
		scale := rs.scale(i)
		if !s.ratiosOnly {
			d.Indicators[Indicators[i]] = fractionOf(c.num, c.den, scale, insufficient)
		}
		if c.den > 0 && !insufficient { // not applicable: out of both sums, not a 0
			s.p.SetInt64(100 * c.num) // 100 × num/(den·scale), the 100 of the base
			s.q.SetInt64(c.den * scale)
			add(i, &s.p, &s.q)
		}
	}
	if !s.ratiosOnly {
		d.Indicators[ReviewScore] = Fraction{Num: "0", Den: "0"}
	}
	if len(t.reviews) > 0 && m.Weights[ReviewScore] != nil {
		if num, den, ok := smallMean(t.reviews); ok {
			// x = mean/100, reduced: num and den share no factor, so
			// dividing num by its common factor with 100 leaves none.
			g := gcd(num, 100)
			xn, xd := num/g, den*(100/g)
			rs.ReviewNum, rs.ReviewValue = formatQuotient(num, den, 2), formatQuotient(xn, xd, 4)
			rs.ReviewExact = strconv.FormatInt(xn, 10) + "/" + strconv.FormatInt(xd, 10)
			s.p.SetInt64(num)
			s.q.SetInt64(den)
			add(4, &s.p, &s.q) // 100 × mean/100
		} else {
			mean := meanOfGroupMeans(t.reviews)
			x := new(big.Rat).Quo(mean, big.NewRat(100, 1))
			rs.ReviewNum, rs.ReviewValue, rs.ReviewExact = FormatDecimal(mean, 2), FormatDecimal(x, 4), x.String()
			add(4, mean.Num(), mean.Denom()) // 100 × mean/100
		}
		if !s.ratiosOnly {
			d.Indicators[ReviewScore] = Fraction{Num: rs.ReviewNum, Den: "100", Value: rs.ReviewValue}
		}
	}

	d.PenaltyPoints = t.penaltyPoints
	d.Penalty = min(t.penaltyPoints, m.PenaltyCap)
	d.sortLists()
	r := Result{Detail: d, Ratios: rs, Cases: t.resp.den + int64(t.pending.Responses)}
	if s.total.Sign() == 0 {
		return r // no applicable indicator: no score, whatever the errors
	}
	s.den.Mul(&s.den, &s.total) // base = num/den
	r.Detail.Base = s.rounded(&s.num, &s.den, 4)
	s.tmp.SetInt64(d.Penalty)
	s.tmp.Mul(&s.tmp, &s.den)
	s.num.Sub(&s.num, &s.tmp) // score = base − penalty, at least 0
	if s.num.Sign() < 0 {
		s.num.SetInt64(0)
	}
	scale := int64(1)
	for range m.ScoreDecimals {
		scale *= 10
	}
	s.roundHalfUp(&s.p, &s.num, &s.den, scale)
	r.Scored, r.ScoreCenti = true, s.p.Int64()*(100/scale)
	return r
}

// roundHalfUp sets z to floor(num/den × scale + 1/2), for num ≥ 0 and den > 0.
func (s *scratch) roundHalfUp(z, num, den *big.Int, scale int64) {
	s.q.SetInt64(2 * scale)
	z.Mul(num, &s.q)
	z.Add(z, den)
	s.q.Lsh(den, 1)
	z.Quo(z, &s.q)
}

// rounded writes num/den ≥ 0 as FormatDecimal does: rounded half up to
// decimals, without trailing zeros.
func (s *scratch) rounded(num, den *big.Int, decimals int) string {
	scale := int64(1)
	for range decimals {
		scale *= 10
	}
	var z big.Int
	s.roundHalfUp(&z, num, den, scale)
	if !z.IsInt64() {
		return FormatDecimal(new(big.Rat).SetFrac(num, den), decimals)
	}
	return formatScaled(z.Int64(), scale)
}

// fraction writes the counted cases as an indicator: not applicable when no
// case counted.
func (c ratio) fraction() Fraction { return fractionOf(c.num, c.den, 1, false) }

// fractionOf writes num/scale cases of den as an indicator: num as an exact
// decimal (scale is a power of ten), the value num/(den·scale) to 4 decimals.
func fractionOf(num, den, scale int64, insufficient bool) Fraction {
	f := Fraction{Num: strconv.FormatInt(num, 10), Den: strconv.FormatInt(den, 10), Insufficient: insufficient}
	if scale > 1 {
		f.Num = formatScaled(num, scale)
	}
	if den > 0 {
		f.Value = formatQuotient(num, den*scale, 4)
	}
	return f
}

// formatQuotient is FormatDecimal(num/den, decimals) for num ≥ 0, in
// integers: a count of cases or a mean of review scores fits with room to
// spare, and a province's subjects need not allocate a rational each.
func formatQuotient(num, den int64, decimals int) string {
	scale := int64(1)
	for range decimals {
		scale *= 10
	}
	if num < 0 || den <= 0 || max(num, den) > (1<<62)/(2*scale) {
		return FormatDecimal(big.NewRat(num, den), decimals)
	}
	return formatScaled((2*num*scale+den)/(2*den), scale) // floor(num/den × scale + 1/2)
}

// formatScaled writes q/scale (q ≥ 0, scale a power of ten) without trailing zeros.
func formatScaled(q, scale int64) string {
	whole, frac := q/scale, q%scale
	if frac == 0 {
		return strconv.FormatInt(whole, 10)
	}
	digits := strconv.FormatInt(frac+scale, 10)[1:] // zero-padded to the decimals
	for digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	return strconv.FormatInt(whole, 10) + "." + digits
}
