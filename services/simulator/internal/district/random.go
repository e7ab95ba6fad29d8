package district

import (
	"math"
	"math/rand/v2"
	"time"
)

// weighted picks an index with probability proportional to its weight.
func weighted(r *rand.Rand, weights []float64) int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	x := r.Float64() * sum
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// chooser picks indexes by fixed weights in O(log n).
type chooser struct{ cum []float64 }

func newChooser(weights []float64) chooser {
	c := chooser{cum: make([]float64, len(weights))}
	var sum float64
	for i, w := range weights {
		sum += w
		c.cum[i] = sum
	}
	return c
}

func (c chooser) pick(r *rand.Rand) int {
	x := r.Float64() * c.cum[len(c.cum)-1]
	lo, hi := 0, len(c.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if x < c.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// between is a duration drawn uniformly from [lo, hi), whole seconds.
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	d := lo + time.Duration(r.Float64()*float64(hi-lo))
	return d.Truncate(time.Second)
}

// poisson draws a Poisson-distributed count (Knuth; lambda is small here).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	limit := math.Exp(-lambda)
	k, p := 0, r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// hourWeights is how hotline calls spread over the hours of a day.
var hourWeights = []float64{
	0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.2, 3.2, 2.8,
	1.8, 2.2, 2.8, 2.9, 2.7, 2.2, 1.6, 1.5, 1.4, 1.1, 0.7, 0.4,
}

var hours = newChooser(hourWeights)

// timeInDay is a random instant of the local day starting at midnight day,
// following hourWeights, whole seconds.
func timeInDay(r *rand.Rand, day time.Time) time.Time {
	h := hours.pick(r)
	return day.Add(time.Duration(h)*time.Hour + between(r, 0, time.Hour))
}

// atClock is t's local day at hh:mm.
func atClock(t time.Time, hh, mm int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, hh, mm, 0, 0, t.Location())
}

// workingTime is a random instant between 08:30 and 17:30 of t's local day.
func workingTime(r *rand.Rand, t time.Time) time.Time {
	return atClock(t, 8, 30).Add(between(r, 0, 9*time.Hour))
}
