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
}

// ErrorOf builds one error from its own events, deduplicated and in any order;
// events of other types are ignored. The first tolerance is the decision
// shown. It is nil when the error was never recorded.
func ErrorOf(events []event.Record) *Error {
	x := &Error{}
	inCaseOrder(events, func(r *event.Record) {
		switch r.Type {
		case event.TypeErrorRecorded:
			x.Recorded = *r // the last seen is the latest: it defines the case
		case event.TypeErrorTolerated:
			if x.Tolerated == nil {
				t := *r
				x.Tolerated = &t
			}
		}
	})
	if x.Recorded.Type == "" {
		return nil
	}
	x.ID = x.Recorded.CaseID
	return x
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
	severity := x.Recorded.Severity
	for _, t := range e.subjects(x.Recorded.Unit, x.Recorded.Cadre) {
		if x.Tolerated != nil {
			t.detail.ToleratedItems = append(t.detail.ToleratedItems, ToleratedError{ErrorID: x.ID, Severity: severity, DecisionID: x.Tolerated.DecisionID})
			continue
		}
		pts := e.model.PenaltyPoints[severity]
		t.penaltyPoints += pts
		t.detail.PenaltyItems = append(t.detail.PenaltyItems, PenaltyItem{ErrorID: x.ID, Severity: severity, Points: pts})
	}
}
