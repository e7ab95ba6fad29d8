package scoring

import "testing"

// TestErrorRules checks the penalties and tolerances of recorded errors (SPEC §5).
func TestErrorRules(t *testing.T) {
	checkRules(t, []rule{
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
			name: "score never goes below 0",
			build: func(s *scenario) {
				s.assign("A", "2026-07-01T09:00:00+08:00", "s1.c1", "")
				for _, id := range []string{"E1", "E2", "E3", "E4"} {
					s.recordError(id, "2026-08-01T09:00:00+08:00", "s1.c1", "", "serious")
				}
			},
			want: map[string]map[string]string{"s1.c1": {ResponseRate: "0/1", "score": "0"}},
		},
	})
}
