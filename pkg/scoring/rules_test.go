package scoring

import (
	"reflect"
	"testing"
)

// Each case is one rule or trap of SPEC §5. want maps a subject (a unit id, or
// "cadre:<id>") to what must hold: an indicator name → "num/den", and "score" →
// the rounded score or "-" for no score.
func TestRules(t *testing.T) {
	const asOf = "2026-11-01T00:00:00+08:00" // every Q3 deadline has passed
	tests := []struct {
		name   string
		period string
		asOf   string
		build  func(s *scenario)
		want   map[string]map[string]string
	}{
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
			name: "lifecycle events stored before their case count once it exists; orphans count nowhere",
			build: func(s *scenario) {
				s.respond("A", "2026-07-01T09:30:00+08:00")
				s.resolve("A", "2026-07-02T09:00:00+08:00", true)
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.respond("ORPHAN", "2026-07-01T09:30:00+08:00")
				s.resolve("ORPHAN", "2026-07-01T09:30:00+08:00", true)
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "1/1", ResolutionRate: "1/1"}},
		},
		{
			name: "an excluded complaint leaves all three complaint indicators, whenever excluded",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.rate("A", "2026-07-05T09:00:00+08:00", 1)
				s.exclude("A", "2026-10-20T09:00:00+08:00")
				s.assign("B", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.respond("B", "2026-07-01T10:00:00+08:00")
				s.resolve("B", "2026-07-02T10:00:00+08:00", true)
				s.rate("B", "2026-07-03T10:00:00+08:00", 4)
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "1/1", ResolutionRate: "1/1", SatisfactionRate: "1/1"}},
		},
		{
			name: "reopening after resolving takes the resolution away",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.resolve("A", "2026-07-02T09:00:00+08:00", true)
				s.reopen("A", "2026-07-03T09:00:00+08:00")
			},
			want: map[string]map[string]string{"s1.c1": {ResolutionRate: "0/1"}},
		},
		{
			name: "resolving after reopening counts, also after resolve_due",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.resolve("A", "2026-07-02T09:00:00+08:00", true)
				s.reopen("A", "2026-07-03T09:00:00+08:00")
				s.resolve("A", "2026-07-20T09:00:00+08:00", true)
			},
			want: map[string]map[string]string{"s1.c1": {ResolutionRate: "1/1"}},
		},
		{
			name: "a reopening at the same instant as the resolution is not after it",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.resolve("A", "2026-07-02T09:00:00+08:00", true)
				s.reopen("A", "2026-07-02T09:00:00+08:00")
			},
			want: map[string]map[string]string{"s1.c1": {ResolutionRate: "1/1"}},
		},
		{
			name: "the latest resolution decides, by time not by arrival",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.resolve("A", "2026-07-04T09:00:00+08:00", false)
				s.resolve("A", "2026-07-02T09:00:00+08:00", true) // arrives later, happened earlier
			},
			want: map[string]map[string]string{"s1.c1": {ResolutionRate: "0/1"}},
		},
		{
			name: "the latest rating counts, by time",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.rate("A", "2026-07-05T09:00:00+08:00", 5)
				s.rate("A", "2026-07-06T09:00:00+08:00", 2)
				s.assign("B", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.rate("B", "2026-07-06T09:00:00+08:00", 4)
				s.rate("B", "2026-07-05T09:00:00+08:00", 1)             // arrives later, happened earlier
				s.assign("C", "2026-07-01T09:00:00+08:00", "s1.c1", "") // never rated: not counted
			},
			want: map[string]map[string]string{"s1.c1": {SatisfactionRate: "1/2"}},
		},
		{
			name: "equal instants are ordered by the stream",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.rate("A", "2026-07-05T09:00:00+08:00", 5)
				s.rate("A", "2026-07-05T09:00:00+08:00", 3)
			},
			want: map[string]map[string]string{"s1.c1": {SatisfactionRate: "0/1"}},
		},
		{
			name: "response at response_due exactly is on time; one nanosecond later is late",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.respond("A", "2026-07-01T11:00:00+08:00")
				s.assign("B", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.respond("B", "2026-07-01T11:00:00.000000001+08:00")
				s.respond("B", "2026-07-01T10:00:00.5+08:00") // the first response is what counts
				s.assign("C", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.respond("C", "2026-07-01T12:00:00+08:00")
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "2/3"}},
		},
		{
			name: "a major issue weighs 2 in numerator and denominator",
			build: func(s *scenario) {
				s.list("I1", "2026-06-01T09:00:00+08:00", "s1.c1", "major", "2026-08-01T00:00:00+08:00")
				s.closeIssue("I1", "2026-07-15T09:00:00+08:00")
				s.list("I2", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-08-01T00:00:00+08:00")
				s.list("I3", "2026-06-01T09:00:00+08:00", "s1.c1", "major", "2026-08-01T00:00:00+08:00")
				s.closeIssue("I3", "2026-08-02T09:00:00+08:00")
				s.list("I4", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-10-01T00:00:00+08:00") // due in Q4
			},
			want: map[string]map[string]string{"s1.c1": {ClosureRate: "2/5"}},
		},
		{
			name: "reopening after closing takes the closing away; closing again late is a miss",
			build: func(s *scenario) {
				s.list("I1", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-08-01T00:00:00+08:00")
				s.closeIssue("I1", "2026-07-15T09:00:00+08:00")
				s.reopenIssue("I1", "2026-07-20T09:00:00+08:00")
				s.list("I2", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-08-01T00:00:00+08:00")
				s.closeIssue("I2", "2026-07-15T09:00:00+08:00")
				s.reopenIssue("I2", "2026-07-20T09:00:00+08:00")
				s.closeIssue("I2", "2026-07-25T09:00:00+08:00") // closed again before due: hit
				s.list("I3", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-08-01T00:00:00+08:00")
				s.closeIssue("I3", "2026-07-15T09:00:00+08:00")
				s.reopenIssue("I3", "2026-07-20T09:00:00+08:00")
				s.closeIssue("I3", "2026-08-05T09:00:00+08:00") // closed again after due: miss
			},
			want: map[string]map[string]string{"s1.c1": {ClosureRate: "1/3"}},
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
			name: "a resolution after resolve_due but before the run counts as resolved; a late false is a miss",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.resolve("A", "2026-10-20T09:00:00+08:00", true)
				s.assign("B", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				s.resolve("B", "2026-07-02T09:00:00+08:00", false)
			},
			want: map[string]map[string]string{"s1.c1": {ResolutionRate: "1/2"}},
		},
		{
			name: "tolerated errors cost nothing; others cost points; the penalty is capped at 20",
			build: func(s *scenario) {
				s.review("R1", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 90)
				for _, id := range []string{"E1", "E2", "E3", "E4", "E5"} {
					s.recordError(id, "2026-08-01T09:00:00+08:00", "s1.c1", "", "serious")
				}
				s.review("R2", "2026-09-20T09:00:00+08:00", "unit", "s2", "2026Q3", "leaders", 90)
				s.recordError("E6", "2026-08-01T09:00:00+08:00", "s2.c1", "", "serious")
				s.recordError("E7", "2026-08-01T09:00:00+08:00", "s2", "", "moderate")
				s.recordError("E8", "2026-08-01T09:00:00+08:00", "s2", "", "minor")
				s.tolerate("E6", "2026-10-25T09:00:00+08:00")                         // tolerated after the period's end: still tolerated
				s.recordError("E9", "2026-10-01T09:00:00+08:00", "s2", "", "serious") // Q4
			},
			want: map[string]map[string]string{
				"s1": {"score": "70"}, // 90 − min(20, 25)
				"s2": {"score": "86"}, // 90 − 3 − 1
			},
		},
		{
			name: "errors alone give no score",
			build: func(s *scenario) {
				s.recordError("E1", "2026-08-01T09:00:00+08:00", "s3", "", "minor")
			},
			want: map[string]map[string]string{"s3": {"score": "-"}, "s1": {"score": "-"}},
		},
		{
			name: "review score: mean of the rater-group means, each group weighing equally; latest per review_id",
			build: func(s *scenario) {
				s.review("R1", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 90)
				s.review("R2", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 80)
				s.review("R3", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "public", 70.5)
				s.review("R3", "2026-09-21T09:00:00+08:00", "unit", "s1", "2026Q3", "public", 60)  // replaces R3
				s.review("R4", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q2", "peers", 10)   // other period
				s.review("R5", "2026-12-20T09:00:00+08:00", "unit", "s1", "2026Q3", "peers", 100)  // given late, label counts
				s.review("R6", "2026-09-20T09:00:00+08:00", "unit", "s1.c1", "2026Q3", "peers", 0) // another subject
			},
			// leaders 85, public 60, peers 100 → 81.666… → num 81.67
			want: map[string]map[string]string{"s1": {ReviewScore: "81.67/100", "score": "81.67"}},
		},
		{
			name: "a later review event moving its review_id to another period takes it out",
			build: func(s *scenario) {
				s.review("R1", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 90)
				s.review("R1", "2026-09-21T09:00:00+08:00", "unit", "s1", "2026Q2", "leaders", 90)
			},
			want: map[string]map[string]string{"s1": {ReviewScore: "0/0", "score": "-"}},
		},
		{
			name: "exact arithmetic: 87.345 rounds half up to 87.35",
			build: func(s *scenario) {
				s.review("R1", "2026-09-20T09:00:00+08:00", "unit", "s1", "2026Q3", "leaders", 87.345)
			},
			want: map[string]map[string]string{"s1": {ReviewScore: "87.35/100", "score": "87.35"}},
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
			name: "score never goes below 0",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				for _, id := range []string{"E1", "E2", "E3", "E4"} {
					s.recordError(id, "2026-08-01T09:00:00+08:00", "s1.c1", "", "serious")
				}
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "0/1", "score": "0"}},
		},
		{
			name: "reassignment: the latest assignment defines unit, cadre and period",
			build: func(s *scenario) {
				s.assign("A", "2026-06-30T09:00:00+08:00", "s1.c1", "k1")
				s.assign("A", "2026-07-02T09:00:00+08:00", "s2.c1", "k2")
				s.respond("A", "2026-07-02T10:00:00+08:00")
				s.assign("B", "2026-07-02T09:00:00+08:00", "s1.c1", "k1")
				s.assign("B", "2026-10-02T09:00:00+08:00", "s1.c1", "k1") // moved into Q4
			},
			want: map[string]map[string]string{
				"s1.c1": {ResponseRate: "0/0"}, "s2.c1": {ResponseRate: "1/1"},
				"cadre:k1": {ResponseRate: "0/0"}, "cadre:k2": {ResponseRate: "1/1"},
			},
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t)
			tt.build(s)
			label, at := tt.period, tt.asOf
			if label == "" {
				label = "2026Q3"
			}
			if at == "" {
				at = asOf
			}
			got := s.evaluate(label, at)
			for subject, checks := range tt.want {
				r, ok := got[subject]
				if !ok {
					t.Errorf("%s: no result", subject)
					continue
				}
				for what, want := range checks {
					var have string
					if what == "score" {
						have = score(r)
					} else {
						have = fraction(r, what)
					}
					if have != want {
						t.Errorf("%s %s = %s, want %s", subject, what, have, want)
					}
				}
			}
		})
	}
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
