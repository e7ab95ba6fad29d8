package scoring

import (
	"reflect"
	"testing"
)

// TestEvaluateRules checks what holds across the families (SPEC §5): periods
// in the model's time zone, duplicates, the pending rule, the period's tree and
// scope, and the composite.
func TestEvaluateRules(t *testing.T) {
	checkRules(t, []rule{
		{
			name: "time zone: 15:59:59Z on Sep 30 is Q3, 16:00:00Z is Q4",
			build: func(s *scenario) {
				s.assign("A", "2026-09-30T15:59:59Z", "s1.c1", "")
				s.respond("A", "2026-09-30T16:30:00Z")
				s.assign("B", "2026-09-30T16:00:00Z", "s1.c1", "")
				s.respond("B", "2026-09-30T16:30:00Z")
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "1/1"}},
		},
		{
			name:   "time zone: the Q4 side of the boundary",
			period: "2026Q4",
			asOf:   "2027-02-01T00:00:00+08:00",
			build: func(s *scenario) {
				s.assign("A", "2026-09-30T15:59:59Z", "s1.c1", "")
				s.assign("B", "2026-09-30T16:00:00Z", "s1.c1", "")
				s.respond("B", "2026-09-30T16:30:00Z")
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "1/1"}},
		},
		{
			name: "duplicate events count once, the first copy wins even with another body",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.add("/hotline", "rate-1", "kaoping.complaint.rated", "2026-07-02T09:00:00+08:00", map[string]any{"complaint_id": "A", "rating": 5})
				s.add("/hotline", "rate-1", "kaoping.complaint.rated", "2026-07-03T09:00:00+08:00", map[string]any{"complaint_id": "A", "rating": 1})
				s.add("/hotline", "resp-1", "kaoping.complaint.responded", "2026-07-01T09:30:00+08:00", map[string]any{"complaint_id": "A"})
				s.add("/hotline", "resp-1", "kaoping.complaint.responded", "2026-07-01T09:30:00+08:00", map[string]any{"complaint_id": "A"})
				// the same id from another source is another event
				s.add("/other", "rate-1", "kaoping.complaint.rated", "2026-07-01T10:00:00+08:00", map[string]any{"complaint_id": "A", "rating": 2})
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "1/1", SatisfactionRate: "1/1"}},
		},
		{
			name: "pending: no outcome and the deadline not passed counts nowhere; due equal to as_of has not passed",
			asOf: "2026-09-30T12:00:00+08:00",
			build: func(s *scenario) {
				s.assign("A", "2026-09-30T10:00:00+08:00", "s1.c1", "") // response due 12:00 = as_of: pending
				s.assign("B", "2026-09-30T09:00:00+08:00", "s1.c1", "") // response due 11:00: miss; resolve pending
				s.assign("C", "2026-09-01T09:00:00+08:00", "s1.c1", "")
				s.respond("C", "2026-09-01T09:30:00+08:00")
				s.resolve("C", "2026-09-02T09:30:00+08:00", true)
				s.reopen("C", "2026-09-03T09:30:00+08:00") // reopened before resolve_due 09-08, which has passed: miss
				s.assign("D", "2026-09-28T09:00:00+08:00", "s1.c1", "")
				s.respond("D", "2026-09-28T09:30:00+08:00")
				s.resolve("D", "2026-09-29T09:30:00+08:00", true)
				s.reopen("D", "2026-09-30T09:30:00+08:00")                                                // reopened before resolve_due 10-05: pending again
				s.list("I1", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-09-30T18:00:00+08:00") // not due yet
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "2/3", ResolutionRate: "0/1", ClosureRate: "0/0"}},
		},
		{
			name: "composite: weighted mean over applicable indicators, N/A drops out of both sums",
			build: func(s *scenario) {
				// response 1/2 (w10), resolution 1/1 (w25), satisfaction n/a, closure 1/1 (w25), review 70 (w15)
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.respond("A", "2026-07-01T09:30:00+08:00")
				s.resolve("A", "2026-07-02T09:30:00+08:00", true)
				s.assign("B", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.exclude("B", "2026-07-01T09:10:00+08:00")
				s.assign("C", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.resolve("C", "2026-07-02T09:30:00+08:00", true)
				s.respond("C", "2026-07-03T09:30:00+08:00")
				s.list("I1", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-08-01T00:00:00+08:00")
				s.closeIssue("I1", "2026-07-15T09:00:00+08:00")
				s.review("R1", "2026-09-20T09:00:00+08:00", "unit", "s1.c1", "2026Q3", "peers", 70)
			},
			// 100 × (10×0.5 + 25×1 + 25×1 + 15×0.7) / 75 = 100 × 65.5 / 75 = 87.333…
			want: map[string]map[string]string{
				"s1.c1": {ResponseRate: "1/2", ResolutionRate: "2/2", SatisfactionRate: "0/0", ClosureRate: "1/1", "score": "87.33"},
				// the street holds the community's cases but not its review
				// 100 × (10×0.5 + 25×1 + 25×1) / 60 = 91.666…
				"s1": {ResponseRate: "1/2", ResolutionRate: "2/2", ReviewScore: "0/0", "score": "91.67"},
				"d":  {ResolutionRate: "2/2"},
			},
		},
		{
			name: "exact arithmetic: 87.345 rounds half up to 87.35",
			build: func(s *scenario) {
				s.review("R1", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 87.345)
			},
			want: map[string]map[string]string{"s1": {ReviewScore: "87.35/100", "score": "87.35"}},
		},
		{
			name: "tree of the period: a community moved mid-quarter counts wholly for its new street; later changes do not",
			build: func(s *scenario) {
				s.assign("A", "2026-07-02T09:00:00+08:00", "s1.c2", "")
				s.respond("A", "2026-07-02T09:30:00+08:00")
				s.unit("s1.c2", "南溪社区", "community", "s2", "2026-08-15T00:00:00+08:00")
				s.unit("s1.c2", "南溪社区(新)", "community", "s3", "2026-10-01T00:00:00+08:00") // after the end
				s.unit("s9", "新设街道", "street", "d", "2026-10-01T00:00:00+08:00")           // created after the end
			},
			want: map[string]map[string]string{
				"s1": {ResponseRate: "0/0"}, "s2": {ResponseRate: "1/1"}, "s3": {ResponseRate: "0/0"},
			},
		},
		{
			name: "a cadre's cases follow the cadre wherever they were",
			build: func(s *scenario) {
				s.assign("A", "2026-07-02T09:00:00+08:00", "s2.c1", "k1")
				s.respond("A", "2026-07-02T09:30:00+08:00")
				s.resolve("A", "2026-07-03T09:30:00+08:00", true)
				s.recordError("E1", "2026-08-01T09:00:00+08:00", "s2.c1", "k1", "minor")
				s.review("R1", "2026-09-20T09:00:00+08:00", "cadre", "k1", "2026Q3", "leaders", 80)
			},
			// 100 × (10×1 + 25×1 + 15×0.8) / 50 = 94, − 1
			want: map[string]map[string]string{"cadre:k1": {ResponseRate: "1/1", ReviewScore: "80/100", "score": "93"}, "cadre:k2": {"score": "-"}},
		},
		{
			name: "ids carry no meaning: the tree comes from parent alone",
			build: func(s *scenario) {
				s.unit("s1.c9", "挂名社区", "community", "s2", "2026-01-01T00:00:00+08:00")
				s.assign("A", "2026-07-02T09:00:00+08:00", "s1.c9", "")
				s.respond("A", "2026-07-02T09:30:00+08:00")
			},
			want: map[string]map[string]string{"s1": {ResponseRate: "0/0"}, "s2": {ResponseRate: "1/1"}},
		},
	})
}

func TestExplanationListsTheCasesBehindMisses(t *testing.T) {
	s := newScenario(t)
	s.assign("LATE", "2026-07-01T09:00:00+08:00", "s1.c1", "")
	s.respond("LATE", "2026-07-01T12:00:00+08:00")
	s.resolve("LATE", "2026-07-02T12:00:00+08:00", false)
	s.rate("LATE", "2026-07-03T12:00:00+08:00", 2)
	s.list("OVERDUE", "2026-06-01T09:00:00+08:00", "s1.c1", "major", "2026-08-01T00:00:00+08:00")
	s.recordError("E1", "2026-08-01T09:00:00+08:00", "s1.c1", "", "moderate")
	s.recordError("E2", "2026-08-01T09:00:00+08:00", "s1.c1", "", "serious")
	s.tolerate("E2", "2026-08-02T09:00:00+08:00")
	d := s.evaluate("2026Q3", "2026-11-01T00:00:00+08:00")["s1"].Detail
	want := Misses{LateResponses: []string{"LATE"}, UnresolvedComplaints: []string{"LATE"}, Dissatisfied: []string{"LATE"}, OverdueIssues: []string{"OVERDUE"}}
	if !reflect.DeepEqual(d.Misses, want) {
		t.Errorf("misses = %+v, want %+v", d.Misses, want)
	}
	if !reflect.DeepEqual(d.PenaltyItems, []PenaltyItem{{ErrorID: "E1", Severity: "moderate", Points: 3}}) {
		t.Errorf("penalty items = %+v", d.PenaltyItems)
	}
	if !reflect.DeepEqual(d.ToleratedItems, []ToleratedError{{ErrorID: "E2", Severity: "serious", DecisionID: "D-E2"}}) {
		t.Errorf("tolerated = %+v", d.ToleratedItems)
	}
}
