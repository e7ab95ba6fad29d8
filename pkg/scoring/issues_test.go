package scoring

import "testing"

// TestIssueRules checks the closure rate of issues on the supervision lists
// (SPEC §5).
func TestIssueRules(t *testing.T) {
	checkRules(t, []rule{
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
	})
}
