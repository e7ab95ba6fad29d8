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

// ResponseOutcome: the first response at or before response_due is a hit, a
// later one a miss; without a response, pending until the deadline passes.
func ResponseOutcome(c *Complaint, asOfNs int64) Outcome {
	if c.Excluded {
		return NotCounted
	}
	if len(c.Responses) > 0 {
		if c.Responses[0].TimeNs <= c.Assigned.ResponseDueNs {
			return Hit
		}
		return Miss
	}
	return deadlineOutcome(c.Assigned.ResponseDueNs, asOfNs)
}

// ResolutionOutcome: the outcome is the latest resolution with no reopening
// after it; a hit when it says resolved. resolve_due only bounds pending.
func ResolutionOutcome(c *Complaint, asOfNs int64) Outcome {
	if c.Excluded {
		return NotCounted
	}
	if n := len(c.Resolutions); n > 0 {
		latest := c.Resolutions[n-1]
		if !reopenedAfter(c.Reopens, latest) {
			if latest.Resolved {
				return Hit
			}
			return Miss
		}
	}
	return deadlineOutcome(c.Assigned.ResolveDueNs, asOfNs)
}

// SatisfactionOutcome: complaints with a rating count; the latest rating is a
// hit at or above the satisfied rating.
func SatisfactionOutcome(c *Complaint, satisfied uint8) Outcome {
	if c.Excluded || len(c.Ratings) == 0 {
		return NotCounted
	}
	if c.Ratings[len(c.Ratings)-1].Rating >= satisfied {
		return Hit
	}
	return Miss
}

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
