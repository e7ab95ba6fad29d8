package scoring

import (
	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// Issue is one problem on a list: the latest listing defines it.
type Issue struct {
	ID      string
	Listed  event.Record
	Closes  []event.Record
	Reopens []event.Record
}

// IssueOf builds one issue from its own events, deduplicated and in any order;
// events of other types are ignored. It is nil when the issue was never listed.
func IssueOf(events []event.Record) *Issue {
	x := &Issue{}
	if !x.Build(events) {
		return nil
	}
	return x
}

// Build makes x the issue of events, as IssueOf does, reusing x's slices. It
// reports whether the issue was listed; x is meaningless when not.
func (x *Issue) Build(events []event.Record) bool {
	*x = Issue{Closes: x.Closes[:0], Reopens: x.Reopens[:0]}
	inCaseOrder(events, func(r *event.Record) {
		switch r.Type {
		case event.TypeIssueListed:
			x.Listed = *r // the last seen is the latest: it defines the case
		case event.TypeIssueClosed:
			x.Closes = append(x.Closes, *r)
		case event.TypeIssueReopened:
			x.Reopens = append(x.Reopens, *r)
		}
	})
	if x.Listed.Type == "" {
		return false
	}
	x.ID = x.Listed.CaseID
	return true
}

// In reports whether the issue belongs to p: by its due.
func (x *Issue) In(p period.Period) bool { return p.Contains(x.Listed.PeriodNs) }

// ClosureOutcome: a hit when some closing at or before due has no reopening
// after it; a miss when the issue has an outcome (a closing with no reopening
// after it) that is late, or none once due has passed.
func ClosureOutcome(x *Issue, asOfNs int64) Outcome {
	due := x.Listed.DueNs
	outcome := false
	for _, c := range x.Closes {
		if reopenedAfter(x.Reopens, c) {
			continue
		}
		if c.TimeNs <= due {
			return Hit
		}
		outcome = true
	}
	if outcome {
		return Miss
	}
	return deadlineOutcome(due, asOfNs)
}

// Issue folds one issue into the closure rate of its unit, every unit above it
// and its cadre, weighed by its severity (an unknown severity weighs 1).
func (e *Evaluator) Issue(x *Issue) {
	if x == nil || !x.In(e.period) {
		return
	}
	e.counts.Issues++
	o := ClosureOutcome(x, e.asOfNs)
	w := e.model.IssueWeights[x.Listed.Severity]
	if w == 0 {
		w = 1
	}
	subjects := e.subjects(x.Listed.Unit, x.Listed.Cadre)
	for _, t := range subjects {
		t.clo.count(o, w)
		if o == Pending {
			t.pending.Issues++
		}
	}
	reopened := false
	for _, c := range x.Closes {
		reopened = reopened || reopenedAfter(x.Reopens, c)
	}
	e.show(CaseResult{Kind: event.KindIssue, ID: x.ID, Unit: x.Listed.Unit, Cadre: x.Listed.Cadre, Overdue: o == Miss, Reopened: o == Miss && reopened}, subjects)
}
