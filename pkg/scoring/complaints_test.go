package scoring

import "testing"

// TestComplaintRules checks the complaint family (SPEC §5): response,
// resolution and satisfaction rates, exclusion, reassignment and the join of
// lifecycle events to their complaint.
func TestComplaintRules(t *testing.T) {
	checkRules(t, []rule{
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
	})
}
