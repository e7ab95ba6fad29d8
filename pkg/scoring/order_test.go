package scoring

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// TestSameEventsSameResultsWhateverTheOrder: same events, model and as_of give
// byte-identical results, however the store happened to return the rows.
func TestSameEventsSameResultsWhateverTheOrder(t *testing.T) {
	m := mustModel(t)
	p, _ := period.Parse("2026Q3", m.Location)
	recs := quarter(500)
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	render := func(rs []event.Record) string {
		ev := Evaluate(m, p, asOf, rs)
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := render(recs)
	shuffled := append([]event.Record(nil), recs...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if got := render(shuffled); got != want {
		t.Fatal("results depend on the order of the rows")
	}
}

// mixedQuarter adds n cases of every family to s, spread over 2026Q3 and over
// the scenario's units and cadres, with late, missing, reopened, excluded,
// tolerated and corrected outcomes, so every list of a Detail gets several
// entries.
func mixedQuarter(s *scenario, n int) {
	r := rand.New(rand.NewPCG(11, 12))
	units := []string{"s1.c1", "s1.c2", "s2.c1", "s1", "s2", "s3"}
	cadres := []string{"", "k1", "k2"}
	start := time.Date(2026, 7, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	at := func(base time.Time, d time.Duration) string { return base.Add(d).Format(time.RFC3339Nano) }
	for i := range n {
		t0 := start.Add(time.Duration(i) * 90 * 24 * time.Hour / time.Duration(n))
		unit, cadre := units[r.IntN(len(units))], cadres[r.IntN(len(cadres))]

		c := fmt.Sprintf("C%03d", i)
		s.assign(c, at(t0, 0), unit, cadre)
		if r.IntN(5) > 0 {
			s.respond(c, at(t0, time.Duration(r.IntN(4*60))*time.Minute))
		}
		if r.IntN(4) > 0 {
			s.resolve(c, at(t0, time.Duration(1+r.IntN(10))*24*time.Hour), r.IntN(4) > 0)
		}
		if r.IntN(6) == 0 {
			s.reopen(c, at(t0, 9*24*time.Hour))
		}
		if r.IntN(2) == 0 {
			s.rate(c, at(t0, 12*24*time.Hour), 1+r.IntN(5))
		}
		if r.IntN(20) == 0 {
			s.exclude(c, at(t0, 13*24*time.Hour))
		}

		x := fmt.Sprintf("I%03d", i)
		severity := []string{"normal", "major"}[r.IntN(2)]
		s.list(x, at(t0, -30*24*time.Hour), unit, severity, at(t0, 10*24*time.Hour))
		if r.IntN(3) > 0 {
			s.closeIssue(x, at(t0, time.Duration(r.IntN(15))*24*time.Hour))
		}
		if r.IntN(5) == 0 {
			s.reopenIssue(x, at(t0, 15*24*time.Hour))
		}

		e := fmt.Sprintf("E%03d", i)
		s.recordError(e, at(t0, time.Hour), unit, cadre, []string{"minor", "moderate", "serious"}[r.IntN(3)])
		if r.IntN(3) == 0 {
			s.tolerate(e, at(t0, 48*time.Hour))
		}

		kind, subject := "unit", unit
		if cadre != "" && r.IntN(2) == 0 {
			kind, subject = "cadre", cadre
		}
		rv := fmt.Sprintf("R%03d", i)
		group := []string{"leaders", "peers", "public"}[r.IntN(3)]
		s.review(rv, at(t0, time.Hour), kind, subject, "2026Q3", group, 40+r.IntN(61))
		if r.IntN(10) == 0 {
			s.review(rv, at(t0, 2*time.Hour), kind, subject, "2026Q3", group, json.Number(fmt.Sprintf("%d.5", 40+r.IntN(60))))
		}
	}
}

// TestFeedOrderDoesNotMatter: an Evaluator fed the same cases in any order,
// each built from its events in any order, gives byte for byte the evaluation
// Evaluate gives, which feeds them sorted by id. A streaming caller may feed
// cases as its cursor returns them.
func TestFeedOrderDoesNotMatter(t *testing.T) {
	s := newScenario(t)
	mixedQuarter(s, 240)
	m := mustModel(t)
	p, err := period.Parse("2026Q3", m.Location)
	if err != nil {
		t.Fatal(err)
	}
	// Some deadlines have passed, some not: pending counts are in play too.
	asOf := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC).UnixNano()
	render := func(ev *Evaluation) string {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	reference := Evaluate(m, p, asOf, s.records)
	want := render(reference)

	// The data must put several entries in every list that Finish sorts, and
	// leave some cases pending, or the test proves nothing.
	var penalties, tolerated, overdue, dissatisfied, pending int
	for _, r := range append(slices.Clone(reference.Units), reference.Cadres...) {
		d := r.Detail
		penalties, tolerated = max(penalties, len(d.PenaltyItems)), max(tolerated, len(d.ToleratedItems))
		overdue, dissatisfied = max(overdue, len(d.Misses.OverdueIssues)), max(dissatisfied, len(d.Misses.Dissatisfied))
		pending += d.Pending.Responses + d.Pending.Resolutions + d.Pending.Issues
	}
	if penalties < 2 || tolerated < 2 || overdue < 2 || dissatisfied < 2 || pending == 0 {
		t.Fatalf("the scenario does not exercise the sorted lists: %d penalties, %d tolerated, %d overdue, %d dissatisfied, %d pending",
			penalties, tolerated, overdue, dissatisfied, pending)
	}

	records := Dedupe(s.records)
	tree := BuildTree(records, p.EndNs())
	for round := range 4 {
		shuffled := slices.Clone(records)
		rng := rand.New(rand.NewPCG(uint64(round), 99))
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		cases := BuildCases(shuffled, p)
		var feed []func(*Evaluator)
		for _, c := range cases.Complaints {
			feed = append(feed, func(e *Evaluator) { e.Complaint(c) })
		}
		for _, x := range cases.Issues {
			feed = append(feed, func(e *Evaluator) { e.Issue(x) })
		}
		for _, x := range cases.Errors {
			feed = append(feed, func(e *Evaluator) { e.Error(x) })
		}
		for _, r := range cases.Reviews {
			feed = append(feed, func(e *Evaluator) { e.Review(r) })
		}
		rng.Shuffle(len(feed), func(i, j int) { feed[i], feed[j] = feed[j], feed[i] })
		e := NewEvaluator(m, p, asOf, tree)
		for _, f := range feed {
			f(e)
		}
		ev := e.Finish()
		ev.Counts.Events = len(records)
		if got := render(ev); got != want {
			t.Fatalf("round %d: the evaluation depends on the order the cases were fed in", round)
		}
	}
}
