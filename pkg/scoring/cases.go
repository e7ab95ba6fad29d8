package scoring

import (
	"sort"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

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
// Events of a case without a defining event count nowhere. Each case is built
// by its family's builder (ComplaintOf, IssueOf, ErrorOf, ReviewOf), the same
// one a caller uses who holds the events of one case at a time.
func BuildCases(records []event.Record, p period.Period) Cases {
	c := Cases{Complaints: map[string]*Complaint{}, Issues: map[string]*Issue{}, Errors: map[string]*Error{}, Reviews: map[string]*Review{}}
	for _, evs := range groupByCase(records) {
		switch event.KindOf(evs[0].Type) {
		case event.KindComplaint:
			if x := ComplaintOf(evs); x != nil && x.In(p) {
				c.Complaints[x.ID] = x
			}
		case event.KindIssue:
			if x := IssueOf(evs); x != nil && x.In(p) {
				c.Issues[x.ID] = x
			}
		case event.KindError:
			if x := ErrorOf(evs); x != nil && x.In(p) {
				c.Errors[x.ID] = x
			}
		case event.KindReview:
			if x := ReviewOf(evs); x != nil && x.In(p) {
				c.Reviews[x.ID] = x
			}
		}
	}
	return c
}

// groupByCase splits the records of complaints, issues, errors and reviews into
// one slice per case (kind and case id), each in the order the records came in;
// org upserts are the tree's, not cases. It counts first and copies once, so a
// quarter's events cost one allocation rather than one per growing case.
func groupByCase(records []event.Record) [][]event.Record {
	type key struct {
		kind event.Kind
		id   string
	}
	index := map[key]int{}
	var sizes []int
	caseOf := make([]int, len(records)) // -1: not a case's event
	for i, r := range records {
		k := key{event.KindOf(r.Type), r.CaseID}
		switch k.kind {
		case event.KindComplaint, event.KindIssue, event.KindError, event.KindReview:
		default:
			caseOf[i] = -1
			continue
		}
		n, ok := index[k]
		if !ok {
			n = len(sizes)
			index[k] = n
			sizes = append(sizes, 0)
		}
		sizes[n]++
		caseOf[i] = n
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	backing := make([]event.Record, total)
	groups := make([][]event.Record, len(sizes))
	at := 0
	for n, s := range sizes {
		groups[n] = backing[at : at : at+s]
		at += s
	}
	for i, n := range caseOf {
		if n >= 0 {
			groups[n] = append(groups[n], records[i])
		}
	}
	return groups
}

// inCaseOrder visits one case's events in case order (SPEC §4): by instant, then
// stream sequence, then position inside the message, ties keeping the order
// they came in. Every builder walks its case this way, so "the latest" always
// means the last one visited: the latest defining event defines the case, the
// latest rating or resolution is the one that counts. The events are not
// reordered; a case already in order (as a store reads it) costs no sort.
func inCaseOrder(events []event.Record, visit func(r *event.Record)) {
	ordered := true
	for i := 1; i < len(events) && ordered; i++ {
		ordered = !events[i].Before(events[i-1])
	}
	if ordered {
		for i := range events {
			visit(&events[i])
		}
		return
	}
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return events[order[a]].Before(events[order[b]]) })
	for _, i := range order {
		visit(&events[i])
	}
}
