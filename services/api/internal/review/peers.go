package review

import (
	"math/big"
	"slices"

	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/ranking"
)

// Spread is the median and the best of one column over the peers that have a
// value: the best is the highest (every indicator of the model, and the
// score, is better higher); the median of an even count is the mean of the
// middle two, rounded half up like the values (4 places, a score 2).
type Spread struct {
	Median, Best string
	N            int
}

// PeerStats are the spreads of the score and of every indicator over a peer
// group, and its top ten.
type PeerStats struct {
	Score      Spread
	Indicators map[string]Spread
	Top        []TopRow
}

// Peers computes the spreads of rows, the whole peer group of a level in
// rank order, and its first ten scored rows.
func Peers(rows []ranking.Row) PeerStats {
	st := PeerStats{Indicators: map[string]Spread{}}
	var scores []*big.Rat
	values := map[string][]*big.Rat{}
	for _, r := range rows {
		if r.Rank != nil {
			if x, ok := new(big.Rat).SetString(string(r.Score)); ok {
				scores = append(scores, x)
			}
			if len(st.Top) < 10 {
				st.Top = append(st.Top, TopRow{Rank: *r.Rank, ID: r.ID, Name: r.Name, Score: string(r.Score), Grade: *r.Grade})
			}
		}
		for _, name := range scoring.Indicators {
			if v := r.Indicators[name].Value; v != "" {
				if x, ok := new(big.Rat).SetString(v); ok {
					values[name] = append(values[name], x)
				}
			}
		}
	}
	st.Score = spread(scores, 2)
	for _, name := range scoring.Indicators {
		st.Indicators[name] = spread(values[name], 4)
	}
	return st
}

func spread(xs []*big.Rat, places int) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	slices.SortFunc(xs, func(a, b *big.Rat) int { return a.Cmp(b) })
	n := len(xs)
	median := new(big.Rat).Set(xs[n/2])
	if n%2 == 0 {
		median.Add(xs[n/2-1], xs[n/2])
		median.Quo(median, big.NewRat(2, 1))
	}
	return Spread{Median: scoring.FormatDecimal(median, places), Best: scoring.FormatDecimal(xs[n-1], places), N: n}
}
