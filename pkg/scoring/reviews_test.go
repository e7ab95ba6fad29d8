package scoring

import "testing"

// TestReviewRules checks the review score (SPEC §5): the latest rating per
// review_id, the period by label, the mean of the rater-group means.
func TestReviewRules(t *testing.T) {
	checkRules(t, []rule{
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
	})
}
