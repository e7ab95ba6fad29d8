package scoring

import "kaoping/pkg/event"

// Outcome is how one case counts in one indicator at a run's instant.
type Outcome int

// The outcomes. Pending counts in neither numerator nor denominator; Hit in
// both; Miss in the denominator only; NotCounted is outside the indicator.
const (
	NotCounted Outcome = iota
	Pending
	Hit
	Miss
)

// reopenedAfter reports whether some reopening is at a strictly later instant
// than r ("after X means a strictly later instant", SPEC §4).
func reopenedAfter(reopens []event.Record, r event.Record) bool {
	for _, o := range reopens {
		if o.TimeNs > r.TimeNs {
			return true
		}
	}
	return false
}

// deadlineOutcome is the outcome of a case without an outcome: pending while
// the deadline has not passed at asOf (a deadline equal to asOf has not
// passed), a miss after.
func deadlineOutcome(dueNs, asOfNs int64) Outcome {
	if asOfNs > dueNs {
		return Miss
	}
	return Pending
}
