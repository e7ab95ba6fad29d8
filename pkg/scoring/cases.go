package scoring

import (
	"math/big"
	"sort"

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

// Issue is one problem on a list: the latest listing defines it.
type Issue struct {
	ID      string
	Listed  event.Record
	Closes  []event.Record
	Reopens []event.Record
}

// Error is one recorded error: the latest record defines it.
type Error struct {
	ID        string
	Recorded  event.Record
	Tolerated *event.Record
}

// Review is the standing rating of one review_id: its latest event.
type Review struct {
	ID          string
	SubjectKind string
	Subject     string
	RaterGroup  string
	Score       *big.Rat
}

// Cases are the cases of one period, keyed by their ids.
type Cases struct {
	Complaints map[string]*Complaint
	Issues     map[string]*Issue
	Errors     map[string]*Error
	Reviews    map[string]*Review
}

// BuildCases joins lifecycle events to their cases and keeps the cases the
// period owns: complaints by assignment time, issues by due, errors by recorded
// time (each from the latest defining event) and reviews by period label.
// Events of a case without a defining event count nowhere.
func BuildCases(records []event.Record, p period.Period) Cases {
	sorted := append([]event.Record(nil), records...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })

	c := Cases{Complaints: map[string]*Complaint{}, Issues: map[string]*Issue{}, Errors: map[string]*Error{}, Reviews: map[string]*Review{}}
	complaint := func(id string) *Complaint {
		if c.Complaints[id] == nil {
			c.Complaints[id] = &Complaint{ID: id}
		}
		return c.Complaints[id]
	}
	issue := func(id string) *Issue {
		if c.Issues[id] == nil {
			c.Issues[id] = &Issue{ID: id}
		}
		return c.Issues[id]
	}
	errorCase := func(id string) *Error {
		if c.Errors[id] == nil {
			c.Errors[id] = &Error{ID: id}
		}
		return c.Errors[id]
	}
	latestReview := map[string]event.Record{}
	for _, r := range sorted { // in case order, so the last one seen is the latest
		switch r.Type {
		case event.TypeComplaintAssigned:
			complaint(r.CaseID).Assigned = r
		case event.TypeComplaintResponded:
			x := complaint(r.CaseID)
			x.Responses = append(x.Responses, r)
		case event.TypeComplaintResolved:
			x := complaint(r.CaseID)
			x.Resolutions = append(x.Resolutions, r)
		case event.TypeComplaintReopened:
			x := complaint(r.CaseID)
			x.Reopens = append(x.Reopens, r)
		case event.TypeComplaintRated:
			x := complaint(r.CaseID)
			x.Ratings = append(x.Ratings, r)
		case event.TypeComplaintExcluded:
			complaint(r.CaseID).Excluded = true
		case event.TypeIssueListed:
			issue(r.CaseID).Listed = r
		case event.TypeIssueClosed:
			x := issue(r.CaseID)
			x.Closes = append(x.Closes, r)
		case event.TypeIssueReopened:
			x := issue(r.CaseID)
			x.Reopens = append(x.Reopens, r)
		case event.TypeErrorRecorded:
			errorCase(r.CaseID).Recorded = r
		case event.TypeErrorTolerated:
			x := errorCase(r.CaseID)
			if x.Tolerated == nil {
				rr := r
				x.Tolerated = &rr
			}
		case event.TypeReviewRated:
			latestReview[r.CaseID] = r
		}
	}
	for id, x := range c.Complaints {
		if x.Assigned.Type == "" || !p.Contains(x.Assigned.PeriodNs) {
			delete(c.Complaints, id)
		}
	}
	for id, x := range c.Issues {
		if x.Listed.Type == "" || !p.Contains(x.Listed.PeriodNs) {
			delete(c.Issues, id)
		}
	}
	for id, x := range c.Errors {
		if x.Recorded.Type == "" || !p.Contains(x.Recorded.PeriodNs) {
			delete(c.Errors, id)
		}
	}
	for id, r := range latestReview {
		if r.ReviewPeriod != p.Label {
			continue
		}
		score, ok := new(big.Rat).SetString(r.Score)
		if !ok {
			continue // the validator admits only JSON numbers; a row that is not one is not a rating
		}
		c.Reviews[id] = &Review{ID: id, SubjectKind: r.SubjectKind, Subject: r.Subject, RaterGroup: r.RaterGroup, Score: score}
	}
	return c
}
