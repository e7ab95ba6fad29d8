package scoring

import "kaoping/pkg/event"

// CaseResult is what one case of a run shows in explanations: the misses it
// caused, the penalty it cost or the tolerance that forgave it. A run keeps
// one per case, not one per subject the case counts for, so the explanation of
// a province does not make the run hold a million case ids a hundred times.
type CaseResult struct {
	Kind event.Kind
	ID   string
	// Unit is the unit the case's defining event names; Cadre the cadre it
	// names, or "" when that cadre is not in the period's tree (it then counts
	// for no cadre). The case counts for Unit, every unit above it, and Cadre.
	Unit  string
	Cadre string
	// Complaints: the misses of each indicator.
	LateResponse bool
	Unresolved   bool
	Dissatisfied bool
	// Issues: past due without a closing that stands; Reopened when a
	// reopening took a closing from it.
	Overdue  bool
	Reopened bool
	// Errors: Severity always; Points when not tolerated, DecisionID when tolerated.
	Severity   string
	Points     int64
	Tolerated  bool
	DecisionID string
}

// Shown reports whether the case appears in an explanation at all.
func (c CaseResult) Shown() bool {
	return c.LateResponse || c.Unresolved || c.Dissatisfied || c.Overdue || c.Kind == event.KindError
}

// AddCase puts a case into the explanation's lists; the lists are sorted by
// id when the detail is finished (Evaluator.Finish) or by SortLists.
func (d *Detail) AddCase(c CaseResult) {
	if c.LateResponse {
		d.Misses.LateResponses = append(d.Misses.LateResponses, c.ID)
	}
	if c.Unresolved {
		d.Misses.UnresolvedComplaints = append(d.Misses.UnresolvedComplaints, c.ID)
	}
	if c.Dissatisfied {
		d.Misses.Dissatisfied = append(d.Misses.Dissatisfied, c.ID)
	}
	if c.Overdue {
		d.Misses.OverdueIssues = append(d.Misses.OverdueIssues, c.ID)
		if c.Reopened {
			d.ReopenedIssues = append(d.ReopenedIssues, c.ID)
		}
	}
	if c.Kind == event.KindError {
		if c.Tolerated {
			d.ToleratedItems = append(d.ToleratedItems, ToleratedError{ErrorID: c.ID, Severity: c.Severity, DecisionID: c.DecisionID})
		} else {
			d.PenaltyItems = append(d.PenaltyItems, PenaltyItem{ErrorID: c.ID, Severity: c.Severity, Points: c.Points})
		}
	}
}

// SortLists puts every list of the detail in id order, empty lists as [].
func (d *Detail) SortLists() { d.sortLists() }

// RecordCases makes the evaluator hand every case that shows in an
// explanation to sink, once, instead of copying its id into the detail of
// every subject it counts for: the details it finishes then have empty lists,
// and a reader fills them from the cases (Detail.AddCase). Call it before the
// first case is fed.
func (e *Evaluator) RecordCases(sink func(CaseResult)) { e.sink = sink }

// RatiosOnly makes the results leave Detail.Indicators out: a caller that
// stores Result.Ratios (from which Ratios.Indicators rebuilds them) need not
// have 325,000 maps of text made. Call it before Finish.
func (e *Evaluator) RatiosOnly() { e.rats.ratiosOnly = true }

// show records a case for the subjects it counts for: in their details, or
// once through the sink.
func (e *Evaluator) show(c CaseResult, subjects []*tally) {
	if !c.Shown() {
		return
	}
	if e.sink != nil {
		if _, ok := e.cadres[c.Cadre]; !ok {
			c.Cadre = ""
		}
		e.sink(c)
		return
	}
	for _, t := range subjects {
		if t.lists == nil {
			t.lists = &Detail{}
		}
		t.lists.AddCase(c)
	}
}
