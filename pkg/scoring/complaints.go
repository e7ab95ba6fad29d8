package scoring

import (
	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// Complaint is one hotline case: the latest assignment defines it; its outcomes
// are every lifecycle event stored before the run, in case order.
type Complaint struct {
	ID          string
	Assigned    event.Record
	Responses   []event.Record
	Resolutions []event.Record
	Reopens     []event.Record
	Ratings     []event.Record
	Excluded    bool
}

// ComplaintOf builds one complaint from its own events, deduplicated and in any
// order; events of other types are ignored. It is nil for lifecycle events
// whose complaint was never assigned: they count nowhere.
func ComplaintOf(events []event.Record) *Complaint {
	c := &Complaint{}
	if !c.Build(events) {
		return nil
	}
	return c
}

// Build makes c the complaint of events, as ComplaintOf does, reusing c's
// slices, so a caller folding a million cases builds them in one place. It
// reports whether the complaint was assigned; c is meaningless when not.
func (c *Complaint) Build(events []event.Record) bool {
	*c = Complaint{Responses: c.Responses[:0], Resolutions: c.Resolutions[:0], Reopens: c.Reopens[:0], Ratings: c.Ratings[:0]}
	inCaseOrder(events, func(r *event.Record) {
		switch r.Type {
		case event.TypeComplaintAssigned:
			c.Assigned = *r // the last seen is the latest: it defines the case
		case event.TypeComplaintResponded:
			c.Responses = append(c.Responses, *r)
		case event.TypeComplaintResolved:
			c.Resolutions = append(c.Resolutions, *r)
		case event.TypeComplaintReopened:
			c.Reopens = append(c.Reopens, *r)
		case event.TypeComplaintRated:
			c.Ratings = append(c.Ratings, *r)
		case event.TypeComplaintExcluded:
			c.Excluded = true
		}
	})
	if c.Assigned.Type == "" {
		return false
	}
	c.ID = c.Assigned.CaseID
	return true
}

// In reports whether the complaint belongs to p: by its assignment time.
func (c *Complaint) In(p period.Period) bool { return p.Contains(c.Assigned.PeriodNs) }

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

// SatisfactionCredit is what the complaint adds to the satisfaction numerator,
// in units of 1/m.SatScale, and whether it counts at all (it has a rating):
// the latest rating's credit in the model (satisfaction_credit, or 1 at or
// above satisfied_rating and 0 below).
func (m *Model) SatisfactionCredit(c *Complaint) (credit int64, rated bool) {
	if c.Excluded || len(c.Ratings) == 0 {
		return 0, false
	}
	r := c.Ratings[len(c.Ratings)-1].Rating
	if r > 5 {
		return 0, true
	}
	return m.SatCredit[r], true
}

// Complaint folds one complaint into the response, resolution and satisfaction
// rates of its unit, every unit above it and its cadre. An excluded complaint
// is counted as a case of the period but in no indicator.
func (e *Evaluator) Complaint(c *Complaint) {
	if c == nil || !c.In(e.period) {
		return
	}
	e.counts.Complaints++
	if c.Excluded {
		return
	}
	resp, res := ResponseOutcome(c, e.asOfNs), ResolutionOutcome(c, e.asOfNs)
	credit, rated := e.model.SatisfactionCredit(c)
	subjects := e.subjects(c.Assigned.Unit, c.Assigned.Cadre)
	for _, t := range subjects {
		t.resp.count(resp, 1)
		t.res.count(res, 1)
		if rated {
			t.sat.num += credit
			t.sat.den++
		}
		if resp == Pending {
			t.pending.Responses++
		}
		if res == Pending {
			t.pending.Resolutions++
		}
	}
	e.show(CaseResult{Kind: event.KindComplaint, ID: c.ID, Unit: c.Assigned.Unit, Cadre: c.Assigned.Cadre,
		LateResponse: resp == Miss, Unresolved: res == Miss,
		// Listed when it cost the subject something: below full credit.
		Dissatisfied: rated && credit < e.model.SatScale}, subjects)
}
