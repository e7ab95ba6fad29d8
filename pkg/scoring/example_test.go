package scoring_test

import (
	"fmt"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
)

// A caller that reads a period case by case (from a cursor ordered by case)
// builds each case from its own events and folds it in, holding only the tree
// and the tallies.
func ExampleEvaluator() {
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		panic(err)
	}
	p, _ := period.Parse("2026Q3", m.Location)
	at := func(s string) int64 {
		t, _ := time.Parse(time.RFC3339, s)
		return t.UnixNano()
	}
	org := []event.Record{
		{Type: event.TypeUnitUpserted, CaseID: "s1", Name: "建设街道", Level: "street", TimeNs: at("2026-01-01T00:00:00+08:00"), StreamSeq: 1},
		{Type: event.TypeUnitUpserted, CaseID: "s1.c1", Name: "东栅社区", Level: "community", Parent: "s1", TimeNs: at("2026-01-01T00:00:00+08:00"), StreamSeq: 2},
	}
	e := scoring.NewEvaluator(m, p, at("2026-11-01T00:00:00+08:00"), scoring.BuildTree(org, p.EndNs()))

	assigned := at("2026-07-01T09:00:00+08:00")
	cases := [][]event.Record{
		{ // the events of one complaint, in any order
			{Type: event.TypeComplaintRated, CaseID: "HX1", TimeNs: at("2026-07-03T09:00:00+08:00"), StreamSeq: 5, Rating: 5},
			{Type: event.TypeComplaintAssigned, CaseID: "HX1", Unit: "s1.c1", TimeNs: assigned, PeriodNs: assigned, StreamSeq: 3,
				ResponseDueNs: at("2026-07-01T11:00:00+08:00"), ResolveDueNs: at("2026-07-08T09:00:00+08:00")},
			{Type: event.TypeComplaintResponded, CaseID: "HX1", TimeNs: at("2026-07-01T10:00:00+08:00"), StreamSeq: 4},
		},
		{ // an orphan: never assigned, so ComplaintOf gives nil and it counts nowhere
			{Type: event.TypeComplaintResponded, CaseID: "HX2", TimeNs: at("2026-07-01T10:00:00+08:00"), StreamSeq: 6},
		},
	}
	for _, events := range cases {
		e.Complaint(scoring.ComplaintOf(events))
	}
	// response 1 (weight 10), resolution a miss (25), satisfied (25): 100 × 35 / 60
	ev := e.Finish()
	for _, r := range ev.Units {
		f := r.Detail.Indicators[scoring.ResponseRate]
		fmt.Printf("%s response %s/%s, unresolved %v, score %s\n", r.ID, f.Num, f.Den, r.Detail.Misses.UnresolvedComplaints, scoring.FormatCenti(r.ScoreCenti))
	}
	fmt.Println("complaints:", ev.Counts.Complaints)
	// Output:
	// s1 response 1/1, unresolved [HX1], score 58.33
	// s1.c1 response 1/1, unresolved [HX1], score 58.33
	// complaints: 1
}
