package scoring

import (
	"fmt"
	"math/big"
	"sort"
)

// Label is a mark beyond the rank that a model declares (labels in the model
// file): 先进, 进步, 整改, with the reason it was given.
type Label struct {
	Label  string `json:"label"`
	Reason string `json:"reason"`
}

// Standing is a subject's place in one ranking: what labels are computed from.
type Standing struct {
	ID         string
	Scored     bool
	ScoreCenti int64
	Rank       int
	Grade      string
}

// Labels gives the subjects of one peer group (the peers of a level, or of a
// band of it, as Rank placed them) the model's labels, rule by rule in the
// order of the file; a subject gets a label once, with the reason of the
// first rule that gave it. prev holds the standings of the previous period of
// the same kind (prevLabel) by id; a subject missing from it has no history.
// Only scored subjects get labels.
//
//   - top_share s: the subjects fewer than ⌊n·s⌋ scored peers are ranked
//     above (n: the group's scored peers), so a tie at the border is in whole;
//   - bottom_share s: those fewer than ⌊n·s⌋ scored peers are ranked below;
//   - most_improved by rank|score, count k: the subjects with a gain (rank
//     number down, or score up, since prev), the k largest, ties at the
//     border included;
//   - poor_twice: the subjects of grade g (default the last) now and in prev.
func (m *Model) Labels(group []Standing, prev map[string]Standing, prevLabel string) map[string][]Label {
	out := map[string][]Label{}
	give := func(id, label, reason string) {
		for _, l := range out[id] {
			if l.Label == label {
				return
			}
		}
		out[id] = append(out[id], Label{Label: label, Reason: reason})
	}
	var scored []Standing
	for _, s := range group {
		if s.Scored {
			scored = append(scored, s)
		}
	}
	n := int64(len(scored))
	for _, rule := range m.LabelRules {
		switch rule.Rule {
		case RuleTopShare, RuleBottomShare:
			k := new(big.Int).Quo(new(big.Int).Mul(big.NewInt(n), rule.Share.Num()), rule.Share.Denom()).Int64()
			pct := FormatDecimal(new(big.Rat).Mul(rule.Share, big.NewRat(100, 1)), 2)
			for _, s := range scored {
				var beyond int64 // scored peers strictly better (top) or worse (bottom)
				for _, o := range scored {
					if rule.Rule == RuleTopShare && o.ScoreCenti > s.ScoreCenti || rule.Rule == RuleBottomShare && o.ScoreCenti < s.ScoreCenti {
						beyond++
					}
				}
				if beyond >= k {
					continue
				}
				if rule.Rule == RuleTopShare {
					give(s.ID, rule.Label, fmt.Sprintf("第%d名，共%d名，居前%s%%", s.Rank, n, pct))
				} else {
					give(s.ID, rule.Label, fmt.Sprintf("第%d名，共%d名，居后%s%%", s.Rank, n, pct))
				}
			}
		case RuleMostImproved:
			type gain struct {
				s    Standing
				was  Standing
				by   int64
				text string
			}
			var gains []gain
			for _, s := range scored {
				was, ok := prev[s.ID]
				if !ok || !was.Scored || prevLabel == "" {
					continue
				}
				g := gain{s: s, was: was}
				if rule.By == "rank" {
					g.by = int64(was.Rank - s.Rank)
					g.text = fmt.Sprintf("名次由%s第%d名升至第%d名", prevLabel, was.Rank, s.Rank)
				} else {
					g.by = s.ScoreCenti - was.ScoreCenti
					g.text = fmt.Sprintf("得分由%s的%s升至%s（+%s）", prevLabel, FormatCenti(was.ScoreCenti), FormatCenti(s.ScoreCenti), FormatCenti(g.by))
				}
				if g.by > 0 {
					gains = append(gains, g)
				}
			}
			sort.SliceStable(gains, func(i, j int) bool { return gains[i].by > gains[j].by })
			for i, g := range gains {
				if i >= rule.Count && g.by < gains[rule.Count-1].by {
					break
				}
				give(g.s.ID, rule.Label, g.text)
			}
		case RulePoorTwice:
			for _, s := range scored {
				if was, ok := prev[s.ID]; ok && prevLabel != "" && was.Scored && was.Grade == rule.Grade && s.Grade == rule.Grade {
					give(s.ID, rule.Label, fmt.Sprintf("%s与本期连续为%s", prevLabel, rule.Grade))
				}
			}
		}
	}
	return out
}

// LabelsJSON writes a subject's labels as the rankings show them:
// [{"label","reason"}], [] for none.
func LabelsJSON(ls []Label) string {
	b := []byte{'['}
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"label":`...)
		b = appendString(b, l.Label)
		b = append(b, `,"reason":`...)
		b = appendString(b, l.Reason)
		b = append(b, '}')
	}
	return string(append(b, ']'))
}
