package runner

import (
	"context"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// Score evaluates period p at the instant asOfNs from every event the store
// holds up to highWater, as the store streams them: the tree first, then one
// case at a time into a scoring.Evaluator, which it returns with every case
// fed (call Finish or FinishEach; Counts.Events is the scan's Events). The
// cases explanations list go to cases, once each; the details then have empty
// lists. The evaluation is the one scoring.Evaluate gives for the same events
// (a test holds it to that), without holding them.
func Score(ctx context.Context, st *store.Store, m *scoring.Model, p period.Period, asOfNs int64, highWater uint64,
	cases func(scoring.CaseResult), scan store.PeriodScan) (*scoring.Evaluator, store.ScanStats, error) {
	tree := scoring.NewTreeBuilder(p.EndNs())
	var ev *scoring.Evaluator
	begin := func() {
		if ev == nil {
			ev = scoring.NewEvaluator(m, p, asOfNs, tree.Tree())
			if cases != nil {
				ev.RecordCases(cases)
			}
		}
	}
	scan.Org = tree.Add
	scan.TreeDone = begin
	// One case of each family at a time, rebuilt in place for every case.
	var complaint scoring.Complaint
	var issue scoring.Issue
	var recorded scoring.Error
	scan.Case = func(kind event.Kind, events []event.Record) {
		switch kind {
		case event.KindComplaint:
			if complaint.Build(events) {
				ev.Complaint(&complaint)
			}
		case event.KindIssue:
			if issue.Build(events) {
				ev.Issue(&issue)
			}
		case event.KindError:
			if recorded.Build(events) {
				ev.Error(&recorded)
			}
		case event.KindReview:
			ev.Review(scoring.ReviewOf(events))
		}
	}
	stats, err := st.ScanPeriod(ctx, p, highWater, scan)
	if err != nil {
		return nil, stats, err
	}
	begin()
	return ev, stats, nil
}
