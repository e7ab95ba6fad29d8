package scoring

import (
	"math/big"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// Review is the standing rating of one review_id: its latest event.
type Review struct {
	ID          string
	SubjectKind string
	Subject     string
	// Period is the label of the period rated, whenever the rating was given.
	Period     string
	RaterGroup string
	Score      *big.Rat
}

// ReviewOf builds one review from the events of its review_id, deduplicated
// and in any order: the latest rating stands, so a correction replaces the
// score and may move the rating to another subject or period. It is nil when
// there is no rating or the latest score is not a number.
func ReviewOf(events []event.Record) *Review {
	var latest *event.Record
	inCaseOrder(events, func(r *event.Record) {
		if r.Type == event.TypeReviewRated {
			latest = r
		}
	})
	if latest == nil {
		return nil
	}
	score, ok := new(big.Rat).SetString(latest.Score)
	if !ok {
		return nil // the validator admits only JSON numbers; a row that is not one is not a rating
	}
	return &Review{ID: latest.CaseID, SubjectKind: latest.SubjectKind, Subject: latest.Subject,
		Period: latest.ReviewPeriod, RaterGroup: latest.RaterGroup, Score: score}
}

// In reports whether the review belongs to p: by its period label.
func (r *Review) In(p period.Period) bool { return r.Period == p.Label }

// raterGroup is what the review score needs of one rater group: the sum and
// the number of its scores, so a subject holds two numbers per group however
// many raters it had.
type raterGroup struct {
	sum *big.Rat
	n   int64
}

// Review folds one rating into the review score of the subject it names, and
// of no other: a street's score does not include its communities' reviews. A
// rating of a subject outside the period's tree counts nowhere.
func (e *Evaluator) Review(r *Review) {
	if r == nil || !r.In(e.period) {
		return
	}
	e.counts.Reviews++
	var t *tally
	switch r.SubjectKind {
	case SubjectUnit:
		t = e.units[r.Subject]
	case SubjectCadre:
		t = e.cadres[r.Subject]
	}
	if t == nil {
		return
	}
	if t.reviews == nil {
		t.reviews = map[string]*raterGroup{}
	}
	g := t.reviews[r.RaterGroup]
	if g == nil {
		g = &raterGroup{sum: new(big.Rat)}
		t.reviews[r.RaterGroup] = g
	}
	g.sum.Add(g.sum, r.Score)
	g.n++
}

// meanOfGroupMeans is the mean of the rater groups' mean scores: each group
// that rated weighs equally. nil when nobody rated. Exact, so the order the
// ratings were folded in does not matter.
func meanOfGroupMeans(groups map[string]*raterGroup) *big.Rat {
	if len(groups) == 0 {
		return nil
	}
	total := new(big.Rat)
	for _, g := range groups {
		total.Add(total, new(big.Rat).Quo(g.sum, big.NewRat(g.n, 1)))
	}
	return total.Quo(total, big.NewRat(int64(len(groups)), 1))
}

// smallMean is meanOfGroupMeans as a reduced fraction num/den of int64s,
// when every sum is non-negative and every step fits with room to spare (ok
// false otherwise: the rational path then gives the same exact value). A
// province has some hundred thousand subjects with reviews, and rationals
// cost them about a microsecond each, four times over.
func smallMean(groups map[string]*raterGroup) (num, den int64, ok bool) {
	num, den = 0, 1
	for _, g := range groups {
		if !g.sum.Num().IsInt64() || !g.sum.Denom().IsInt64() || g.sum.Sign() < 0 {
			return 0, 0, false
		}
		// num/den + a/(b·n)
		a, b := g.sum.Num().Int64(), g.sum.Denom().Int64()
		q, ok1 := mulSmall(b, g.n)
		x, ok2 := mulSmall(num, q)
		y, ok3 := mulSmall(a, den)
		d, ok4 := mulSmall(den, q)
		if !ok1 || !ok2 || !ok3 || !ok4 || x+y > limitSmall {
			return 0, 0, false
		}
		num, den = reduce(x+y, d)
	}
	d, ok := mulSmall(den, int64(len(groups)))
	if !ok {
		return 0, 0, false
	}
	num, den = reduce(num, d)
	return num, den, true
}

// limitSmall bounds smallMean's numbers, far enough below 2⁶³ that a sum of
// two of them, or one times 100, cannot overflow (formatQuotient checks its
// own bounds).
const limitSmall = 1 << 50

// mulSmall is a×b for 0 ≤ a, b, when the product stays within limitSmall.
func mulSmall(a, b int64) (int64, bool) {
	if a < 0 || b < 0 || a > limitSmall || b > limitSmall {
		return 0, false
	}
	if a != 0 && b > limitSmall/a {
		return 0, false
	}
	return a * b, true
}

// reduce divides num/den by their greatest common divisor (den > 0).
func reduce(num, den int64) (int64, int64) {
	g := gcd(num, den)
	return num / g, den / g
}

// gcd of a ≥ 0 and b > 0.
func gcd(a, b int64) int64 {
	for a != 0 {
		a, b = b%a, a
	}
	return b
}
