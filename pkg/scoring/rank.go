package scoring

import (
	"cmp"
	"slices"
)

// Entry is one peer to rank: its id, whether it has a score, the score
// rounded to hundredths, and its caseload band (Model.BandOf; "" when the
// model has none).
type Entry struct {
	ID         string
	Scored     bool
	ScoreCenti int64
	Band       string
}

// Ranked is an entry with its place. Rank is 0 and Grade "" for an unscored one.
type Ranked struct {
	Entry
	Rank  int
	Grade string
}

// Rank orders peers by score descending, ties by id (byte order), unscored last
// by id; equal scores share a rank and the next rank skips (1, 2, 2, 4). Grades
// follow the model's bands, except that at most ⌊N/divisor⌋ peers (N counting
// the unscored too) get the top band: walking the tie groups in rank order, a
// group in the top band gets it only while it fits in the quota whole; from the
// first group that does not fit, everyone in the top band gets the next grade.
// A model with peer bands ranks each band's peers among themselves (ranks
// and quota within the band) and lists the bands smallest first; a peer of
// no band of the model comes last, ranked with the others of no band.
func (m *Model) Rank(entries []Entry) []Ranked {
	if len(m.Bands) == 0 {
		return m.rankGroup(entries)
	}
	out := make([]Ranked, 0, len(entries))
	known := map[string]bool{}
	for _, b := range m.Bands {
		known[b.Name] = true
		var group []Entry
		for _, e := range entries {
			if e.Band == b.Name {
				group = append(group, e)
			}
		}
		out = append(out, m.rankGroup(group)...)
	}
	var rest []Entry
	for _, e := range entries {
		if !known[e.Band] {
			rest = append(rest, e)
		}
	}
	return append(out, m.rankGroup(rest)...)
}

func (m *Model) rankGroup(entries []Entry) []Ranked {
	out := make([]Ranked, len(entries))
	for i, e := range entries {
		out[i] = Ranked{Entry: e}
	}
	// Peers' ids are unique, so the order is total and an unstable sort gives
	// what a stable one would, without sort.SliceStable's swaps through
	// reflection (0.4 s for a province's 300,000 cadres).
	slices.SortFunc(out, func(a, b Ranked) int {
		if a.Scored != b.Scored {
			if a.Scored {
				return -1
			}
			return 1
		}
		if a.Scored && a.ScoreCenti != b.ScoreCenti {
			return cmp.Compare(b.ScoreCenti, a.ScoreCenti)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	quota := len(entries) / m.ExcellentQuotaDivisor
	quotaBroken := false
	for i := 0; i < len(out) && out[i].Scored; {
		j := i
		for j < len(out) && out[j].Scored && out[j].ScoreCenti == out[i].ScoreCenti {
			j++
		}
		band := m.band(out[i].ScoreCenti)
		grade := m.Grades[band].Grade
		if band == 0 && len(m.Grades) > 1 {
			if !quotaBroken && j-i <= quota {
				quota -= j - i
			} else {
				quotaBroken = true
				grade = m.Grades[1].Grade
			}
		}
		for k := i; k < j; k++ {
			out[k].Rank = i + 1
			out[k].Grade = grade
		}
		i = j
	}
	return out
}

// band is the index of the best grade whose lower bound the score reaches.
func (m *Model) band(scoreCenti int64) int {
	for i, g := range m.Grades {
		if scoreCenti >= g.MinCenti {
			return i
		}
	}
	return len(m.Grades) - 1
}
