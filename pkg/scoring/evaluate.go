package scoring

import (
	"encoding/json"
	"math/big"
	"sort"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// Subject kinds.
const (
	SubjectUnit  = "unit"
	SubjectCadre = "cadre"
)

// Fraction is an indicator's numerator and denominator as exact decimal text,
// and its value: the quotient rounded half up to 4 decimals, "" when the
// denominator is 0 (not applicable).
type Fraction struct {
	Num   string
	Den   string
	Value string
}

// MarshalJSON writes {"num":…,"den":…,"value":…|null} with JSON numbers.
func (f Fraction) MarshalJSON() ([]byte, error) {
	v := json.RawMessage("null")
	if f.Value != "" {
		v = json.RawMessage(f.Value)
	}
	return json.Marshal(struct {
		Num   json.RawMessage `json:"num"`
		Den   json.RawMessage `json:"den"`
		Value json.RawMessage `json:"value"`
	}{json.RawMessage(f.Num), json.RawMessage(f.Den), v})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (f *Fraction) UnmarshalJSON(b []byte) error {
	var raw struct {
		Num, Den json.Number
		Value    *json.Number
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	f.Num, f.Den = raw.Num.String(), raw.Den.String()
	if raw.Value != nil {
		f.Value = raw.Value.String()
	} else {
		f.Value = ""
	}
	return nil
}

// Applicable reports whether the denominator is not 0.
func (f Fraction) Applicable() bool { return f.Value != "" }

// PenaltyItem is one error that costs points.
type PenaltyItem struct {
	ErrorID  string `json:"error_id"`
	Severity string `json:"severity"`
	Points   int64  `json:"points"`
}

// ToleratedError is an error forgiven under the fault-tolerance mechanism: shown, free.
type ToleratedError struct {
	ErrorID    string `json:"error_id"`
	Severity   string `json:"severity"`
	DecisionID string `json:"decision_id"`
}

// Misses are the case ids behind every miss, sorted.
type Misses struct {
	LateResponses        []string `json:"late_responses"`
	UnresolvedComplaints []string `json:"unresolved_complaints"`
	Dissatisfied         []string `json:"dissatisfied"`
	OverdueIssues        []string `json:"overdue_issues"`
}

// PendingCounts counts the cases left out of an indicator because their deadline has not passed.
type PendingCounts struct {
	Responses   int `json:"responses"`
	Resolutions int `json:"resolutions"`
	Issues      int `json:"issues"`
}

// Detail is the explanation of one subject's result in one run.
type Detail struct {
	Indicators map[string]Fraction `json:"indicators"`
	// Base is the weighted mean before the penalty, rounded to 4 decimals for
	// display; the score is computed from the exact value.
	Base           string           `json:"base"`
	PenaltyPoints  int64            `json:"penalty_points"`
	Penalty        int64            `json:"penalty"`
	PenaltyItems   []PenaltyItem    `json:"penalty_items"`
	ToleratedItems []ToleratedError `json:"tolerated_errors"`
	Misses         Misses           `json:"misses"`
	Pending        PendingCounts    `json:"pending"`
}

// Result is one subject's outcome in one run.
type Result struct {
	Kind  string
	ID    string
	Name  string
	Level string
	// Unit is the unit itself, or the cadre's unit.
	Unit string
	// Path runs from the root to Unit.
	Path   []string
	Scored bool
	// ScoreCenti is the score rounded half up, in hundredths.
	ScoreCenti int64
	Detail     Detail
}

// Counts summarise a run.
type Counts struct {
	Events       int `json:"events"`
	Complaints   int `json:"complaints"`
	Issues       int `json:"issues"`
	Errors       int `json:"errors"`
	Reviews      int `json:"reviews"`
	Units        int `json:"units"`
	Cadres       int `json:"cadres"`
	ScoredUnits  int `json:"scored_units"`
	ScoredCadres int `json:"scored_cadres"`
}

// Evaluation is everything a run computes: one result per unit and cadre of the
// period's tree, sorted by id.
type Evaluation struct {
	Units  []Result
	Cadres []Result
	Counts Counts
}

// tally accumulates one subject's cases.
type tally struct {
	resp, res, sat, clo [2]int64 // numerator, denominator
	reviews             map[string][]*big.Rat
	penaltyPoints       int64
	detail              Detail
}

func (t *tally) count(c *[2]int64, o Outcome, weight int64) {
	switch o {
	case Hit:
		c[0] += weight
		c[1] += weight
	case Miss:
		c[1] += weight
	}
}

// Evaluate scores every unit and cadre of the period's tree at asOfNs from the
// records: every event stored up to the run's high-water mark that may concern
// the period, duplicates included (they collapse here).
func Evaluate(m *Model, p period.Period, asOfNs int64, records []event.Record) *Evaluation {
	records = Dedupe(records)
	tree := BuildTree(records, p.EndNs())
	cases := BuildCases(records, p)

	units := make(map[string]*tally, len(tree.Units))
	for id := range tree.Units {
		units[id] = &tally{}
	}
	cadres := make(map[string]*tally, len(tree.Cadres))
	for id := range tree.Cadres {
		cadres[id] = &tally{}
	}
	// subjects returns the tallies a case counts for: the named unit and every
	// unit above it in the period's tree, and the named cadre.
	subjects := func(unit, cadre string) []*tally {
		var ts []*tally
		for _, id := range tree.Path(unit) {
			ts = append(ts, units[id])
		}
		if t, ok := cadres[cadre]; ok && cadre != "" {
			ts = append(ts, t)
		}
		return ts
	}

	for _, id := range sortedKeys(cases.Complaints) {
		c := cases.Complaints[id]
		if c.Excluded {
			continue
		}
		resp, res, sat := ResponseOutcome(c, asOfNs), ResolutionOutcome(c, asOfNs), SatisfactionOutcome(c, m.SatisfiedRating)
		for _, t := range subjects(c.Assigned.Unit, c.Assigned.Cadre) {
			t.count(&t.resp, resp, 1)
			t.count(&t.res, res, 1)
			t.count(&t.sat, sat, 1)
			d := &t.detail
			if resp == Miss {
				d.Misses.LateResponses = append(d.Misses.LateResponses, id)
			}
			if res == Miss {
				d.Misses.UnresolvedComplaints = append(d.Misses.UnresolvedComplaints, id)
			}
			if sat == Miss {
				d.Misses.Dissatisfied = append(d.Misses.Dissatisfied, id)
			}
			if resp == Pending {
				d.Pending.Responses++
			}
			if res == Pending {
				d.Pending.Resolutions++
			}
		}
	}
	for _, id := range sortedKeys(cases.Issues) {
		x := cases.Issues[id]
		o := ClosureOutcome(x, asOfNs)
		w := m.IssueWeights[x.Listed.Severity]
		if w == 0 {
			w = 1
		}
		for _, t := range subjects(x.Listed.Unit, x.Listed.Cadre) {
			t.count(&t.clo, o, w)
			switch o {
			case Miss:
				t.detail.Misses.OverdueIssues = append(t.detail.Misses.OverdueIssues, id)
			case Pending:
				t.detail.Pending.Issues++
			}
		}
	}
	for _, id := range sortedKeys(cases.Errors) {
		x := cases.Errors[id]
		for _, t := range subjects(x.Recorded.Unit, x.Recorded.Cadre) {
			if x.Tolerated != nil {
				t.detail.ToleratedItems = append(t.detail.ToleratedItems, ToleratedError{ErrorID: id, Severity: x.Recorded.Severity, DecisionID: x.Tolerated.DecisionID})
				continue
			}
			pts := m.PenaltyPoints[x.Recorded.Severity]
			t.penaltyPoints += pts
			t.detail.PenaltyItems = append(t.detail.PenaltyItems, PenaltyItem{ErrorID: id, Severity: x.Recorded.Severity, Points: pts})
		}
	}
	for _, id := range sortedKeys(cases.Reviews) {
		r := cases.Reviews[id]
		var t *tally
		switch r.SubjectKind {
		case SubjectUnit:
			t = units[r.Subject]
		case SubjectCadre:
			t = cadres[r.Subject]
		}
		if t == nil {
			continue
		}
		if t.reviews == nil {
			t.reviews = map[string][]*big.Rat{}
		}
		t.reviews[r.RaterGroup] = append(t.reviews[r.RaterGroup], r.Score)
	}

	ev := &Evaluation{Counts: Counts{
		Events: len(records), Complaints: len(cases.Complaints), Issues: len(cases.Issues),
		Errors: len(cases.Errors), Reviews: len(cases.Reviews), Units: len(tree.Units), Cadres: len(tree.Cadres),
	}}
	for _, id := range sortedKeys(units) {
		u := tree.Units[id]
		r := m.finish(units[id])
		r.Kind, r.ID, r.Name, r.Level, r.Unit, r.Path = SubjectUnit, id, u.Name, u.Level, id, tree.Path(id)
		ev.Units = append(ev.Units, r)
		if r.Scored {
			ev.Counts.ScoredUnits++
		}
	}
	for _, id := range sortedKeys(cadres) {
		c := tree.Cadres[id]
		r := m.finish(cadres[id])
		r.Kind, r.ID, r.Name, r.Unit, r.Path = SubjectCadre, id, c.Name, c.Unit, tree.Path(c.Unit)
		if u, ok := tree.Units[c.Unit]; ok {
			r.Level = u.Level
		}
		ev.Cadres = append(ev.Cadres, r)
		if r.Scored {
			ev.Counts.ScoredCadres++
		}
	}
	return ev
}

// finish turns a tally into indicators, penalty and score (SPEC §5 "Composite").
func (m *Model) finish(t *tally) Result {
	d := t.detail
	d.Indicators = map[string]Fraction{
		ResponseRate:     countFraction(t.resp),
		ResolutionRate:   countFraction(t.res),
		SatisfactionRate: countFraction(t.sat),
		ClosureRate:      countFraction(t.clo),
	}
	exact := map[string]*big.Rat{}
	for name, c := range map[string][2]int64{ResponseRate: t.resp, ResolutionRate: t.res, SatisfactionRate: t.sat, ClosureRate: t.clo} {
		if c[1] > 0 {
			exact[name] = big.NewRat(c[0], c[1])
		}
	}
	d.Indicators[ReviewScore] = Fraction{Num: "0", Den: "0"}
	if mean := meanOfGroupMeans(t.reviews); mean != nil {
		exact[ReviewScore] = new(big.Rat).Quo(mean, big.NewRat(100, 1))
		d.Indicators[ReviewScore] = Fraction{Num: FormatDecimal(mean, 2), Den: "100", Value: FormatDecimal(exact[ReviewScore], 4)}
	}

	d.PenaltyPoints = t.penaltyPoints
	d.Penalty = min(t.penaltyPoints, m.PenaltyCap)
	sortMisses(&d)
	r := Result{Detail: d}

	sum, weights := new(big.Rat), new(big.Rat)
	for _, name := range Indicators {
		x, ok := exact[name]
		if !ok {
			continue
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

func countFraction(c [2]int64) Fraction {
	f := Fraction{Num: big.NewInt(c[0]).String(), Den: big.NewInt(c[1]).String()}
	if c[1] > 0 {
		f.Value = FormatDecimal(big.NewRat(c[0], c[1]), 4)
	}
	return f
}

// meanOfGroupMeans is the mean of the rater groups' mean scores: each group
// that rated weighs equally. nil when nobody rated.
func meanOfGroupMeans(groups map[string][]*big.Rat) *big.Rat {
	if len(groups) == 0 {
		return nil
	}
	total := new(big.Rat)
	for _, scores := range groups {
		s := new(big.Rat)
		for _, x := range scores {
			s.Add(s, x)
		}
		total.Add(total, s.Quo(s, big.NewRat(int64(len(scores)), 1)))
	}
	return total.Quo(total, big.NewRat(int64(len(groups)), 1))
}

func sortMisses(d *Detail) {
	for _, l := range []*[]string{&d.Misses.LateResponses, &d.Misses.UnresolvedComplaints, &d.Misses.Dissatisfied, &d.Misses.OverdueIssues} {
		if *l == nil {
			*l = []string{}
		}
		sort.Strings(*l)
	}
	if d.PenaltyItems == nil {
		d.PenaltyItems = []PenaltyItem{}
	}
	if d.ToleratedItems == nil {
		d.ToleratedItems = []ToleratedError{}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
