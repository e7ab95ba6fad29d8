package scoring

import (
	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// Error is one recorded error: the latest record defines it.
type Error struct {
	ID        string
	Recorded  event.Record
	Tolerated *event.Record
	// tolerance backs Tolerated across Build calls.
	tolerance *event.Record
}

// ErrorOf builds one error from its own events, deduplicated and in any order;
// events of other types are ignored. The first tolerance is the decision
// shown. It is nil when the error was never recorded.
func ErrorOf(events []event.Record) *Error {
	x := &Error{}
	if !x.Build(events) {
		return nil
	}
	return x
}

// Build makes x the error of events, as ErrorOf does, reusing x's storage. It
// reports whether the error was recorded; x is meaningless when not.
func (x *Error) Build(events []event.Record) bool {
	tolerance := x.tolerance
	*x = Error{tolerance: tolerance}
	inCaseOrder(events, func(r *event.Record) {
		switch r.Type {
		case event.TypeErrorRecorded:
			x.Recorded = *r // the last seen is the latest: it defines the case
		case event.TypeErrorTolerated:
			if x.Tolerated == nil {
				if x.tolerance == nil {
					x.tolerance = new(event.Record)
				}
				*x.tolerance = *r
				x.Tolerated = x.tolerance
			}
		}
	})
	if x.Recorded.Type == "" {
		return false
	}
	x.ID = x.Recorded.CaseID
	return true
}

// In reports whether the error belongs to p: by its recorded time.
func (x *Error) In(p period.Period) bool { return p.Contains(x.Recorded.PeriodNs) }

// Error folds one error into its unit, every unit above it and its cadre: a
// tolerated error is shown and costs nothing (SPEC §5), any other costs its
// severity's points; the cap applies when the composite is computed.
func (e *Evaluator) Error(x *Error) {
	if x == nil || !x.In(e.period) {
		return
	}
	e.counts.Errors++
	c := CaseResult{Kind: event.KindError, ID: x.ID, Unit: x.Recorded.Unit, Cadre: x.Recorded.Cadre, Severity: x.Recorded.Severity}
	if x.Tolerated != nil {
		c.Tolerated, c.DecisionID = true, x.Tolerated.DecisionID
	} else {
		c.Points = e.model.PenaltyPoints[c.Severity]
	}
	subjects := e.subjects(c.Unit, c.Cadre)
	for _, t := range subjects {
		t.penaltyPoints += c.Points
	}
	e.show(c, subjects)
}
