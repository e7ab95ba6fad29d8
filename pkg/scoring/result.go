package scoring

import (
	"cmp"
	"encoding/json"
	"math/big"
	"slices"
	"sort"
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
	// Insufficient is set when the denominator is below the model's
	// min_cases: the indicator is shown but left out of the composite.
	Insufficient bool
}

// MarshalJSON writes {"num":…,"den":…,"value":…|null} with JSON numbers,
// and "insufficient":true after them when it is.
func (f Fraction) MarshalJSON() ([]byte, error) {
	v := json.RawMessage("null")
	if f.Value != "" {
		v = json.RawMessage(f.Value)
	}
	return json.Marshal(struct {
		Num          json.RawMessage `json:"num"`
		Den          json.RawMessage `json:"den"`
		Value        json.RawMessage `json:"value"`
		Insufficient bool            `json:"insufficient,omitempty"`
	}{json.RawMessage(f.Num), json.RawMessage(f.Den), v, f.Insufficient})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (f *Fraction) UnmarshalJSON(b []byte) error {
	var raw struct {
		Num, Den     json.Number
		Value        *json.Number
		Insufficient bool
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	f.Num, f.Den, f.Insufficient = raw.Num.String(), raw.Den.String(), raw.Insufficient
	if raw.Value != nil {
		f.Value = raw.Value.String()
	} else {
		f.Value = ""
	}
	return nil
}

// Applicable reports whether the denominator is not 0.
func (f Fraction) Applicable() bool { return f.Value != "" }

// Counts reports whether the indicator enters the composite: applicable and
// not insufficient.
func (f Fraction) Counts() bool { return f.Value != "" && !f.Insufficient }

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
	// ReopenedIssues are the overdue issues (among Misses.OverdueIssues) that
	// a reopening took a closing from.
	ReopenedIssues []string      `json:"reopened_issues"`
	Pending        PendingCounts `json:"pending"`
}

// sortLists puts every list of the detail in id order and writes empty lists as
// [] rather than null, so the same cases give byte-identical results in
// whatever order they were folded in.
func (d *Detail) sortLists() {
	for _, l := range []*[]string{&d.Misses.LateResponses, &d.Misses.UnresolvedComplaints, &d.Misses.Dissatisfied, &d.Misses.OverdueIssues, &d.ReopenedIssues} {
		if *l == nil {
			*l = []string{}
		}
		sort.Strings(*l)
	}
	if d.PenaltyItems == nil {
		d.PenaltyItems = []PenaltyItem{}
	}
	slices.SortFunc(d.PenaltyItems, func(a, b PenaltyItem) int { return cmp.Compare(a.ErrorID, b.ErrorID) })
	if d.ToleratedItems == nil {
		d.ToleratedItems = []ToleratedError{}
	}
	slices.SortFunc(d.ToleratedItems, func(a, b ToleratedError) int { return cmp.Compare(a.ErrorID, b.ErrorID) })
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
	// ScoreCenti is the score rounded half up to the model's score_decimals,
	// in hundredths (a score to 0.1 is a multiple of 10).
	ScoreCenti int64
	Detail     Detail
	// Ratios are the indicators of Detail as numbers, for storage.
	Ratios Ratios
	// Cases is the subject's caseload, what peer bands are cut by: its
	// complaints of the period not excluded (pending ones included).
	Cases int64
}

// Ratios are a result's indicators as a store keeps them: the numerators and
// denominators of the case indicators, in the order of Indicators, and the
// review score's shown numerator and value ("" when nobody rated).
type Ratios struct {
	Num, Den               [4]int64
	ReviewNum, ReviewValue string
	// ReviewExact is the review score's value in lowest terms ("1733/2000"),
	// what recomputing the score from its explanation needs.
	ReviewExact string
	// SatScale is the unit of the satisfaction numerator Num[2] (Model.SatScale:
	// with satisfaction_credit of one decimal, Num[2] counts tenths); 0 or 1
	// means whole cases.
	SatScale int64
	// Insufficient has bit i set when indicator i's denominator is below the
	// model's min_cases.
	Insufficient uint8
}

// scale is the unit of Num[i].
func (r Ratios) scale(i int) int64 {
	if i == 2 && r.SatScale > 1 {
		return r.SatScale
	}
	return 1
}

// Fraction is the case indicator i as Detail.Indicators shows it.
func (r Ratios) Fraction(i int) Fraction {
	return fractionOf(r.Num[i], r.Den[i], r.scale(i), r.Insufficient&(1<<i) != 0)
}

// Exact is case indicator i's value in lowest terms, "" when not applicable.
func (r Ratios) Exact(i int) string {
	if r.Den[i] == 0 {
		return ""
	}
	return big.NewRat(r.Num[i], r.Den[i]*r.scale(i)).String()
}

// Indicators writes the ratios as Detail.Indicators shows them.
func (r Ratios) Indicators() map[string]Fraction {
	ind := make(map[string]Fraction, len(Indicators))
	for i := range r.Num {
		ind[Indicators[i]] = r.Fraction(i)
	}
	ind[ReviewScore] = Fraction{Num: "0", Den: "0"}
	if r.ReviewValue != "" {
		ind[ReviewScore] = Fraction{Num: r.ReviewNum, Den: "100", Value: r.ReviewValue}
	}
	return ind
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
