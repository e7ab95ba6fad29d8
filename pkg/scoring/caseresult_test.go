package scoring

import (
	"encoding/json"
	"math/big"
	"reflect"
	"slices"
	"testing"
	"time"

	"kaoping/pkg/period"
)

// TestRecordedCasesRebuildEveryExplanation: an evaluator that hands its cases
// to a sink, once each, gives the same scores as one that lists them in every
// subject's detail, and the lists rebuilt from the cases (the case's unit and
// every unit above it in the tree, and its cadre) are the lists Evaluate gives.
func TestRecordedCasesRebuildEveryExplanation(t *testing.T) {
	s := newScenario(t)
	mixedQuarter(s, 240)
	m := mustModel(t)
	p, _ := period.Parse("2026Q3", m.Location)
	asOf := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC).UnixNano()
	want := Evaluate(m, p, asOf, s.records)

	records := Dedupe(s.records)
	tree := BuildTree(records, p.EndNs())
	cases := BuildCases(records, p)
	e := NewEvaluator(m, p, asOf, tree)
	var shown []CaseResult
	e.RecordCases(func(c CaseResult) { shown = append(shown, c) })
	for _, c := range cases.Complaints {
		e.Complaint(c)
	}
	for _, x := range cases.Issues {
		e.Issue(x)
	}
	for _, x := range cases.Errors {
		e.Error(x)
	}
	for _, r := range cases.Reviews {
		e.Review(r)
	}
	got := e.Finish()
	got.Counts.Events = want.Counts.Events
	if len(shown) < 50 {
		t.Fatalf("only %d cases shown: the scenario proves nothing", len(shown))
	}
	for _, list := range [][]Result{got.Units, got.Cadres} {
		for i := range list {
			r := &list[i]
			for _, c := range shown {
				if (r.Kind == SubjectUnit && slices.Contains(tree.Path(c.Unit), r.ID)) || (r.Kind == SubjectCadre && c.Cadre == r.ID) {
					r.Detail.AddCase(c)
				}
			}
			r.Detail.SortLists()
		}
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("rebuilt evaluation differs:\n got  %.600s\n want %.600s", a, b)
	}
}

// TestDetailJSONIsWhatMarshalWrites: the hand-written JSON of every detail of
// a mixed quarter, and of one with awkward ids, is json.Marshal's.
func TestDetailJSONIsWhatMarshalWrites(t *testing.T) {
	s := newScenario(t)
	mixedQuarter(s, 120)
	m := mustModel(t)
	p, _ := period.Parse("2026Q3", m.Location)
	ev := Evaluate(m, p, time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC).UnixNano(), s.records)
	details := []Detail{{}, {Misses: Misses{LateResponses: []string{`a"b\c<d>&e`, "é", "x\ny"}}, Base: "1.5",
		PenaltyItems: []PenaltyItem{{ErrorID: "<e>", Severity: "minor", Points: 1}}, ToleratedItems: []ToleratedError{}}}
	for _, r := range append(slices.Clone(ev.Units), ev.Cadres...) {
		details = append(details, r.Detail)
	}
	for _, d := range details {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("AppendJSON\n got  %s\n want %s", got, want)
		}
	}
}

// TestExplainShowsWhatRecomputesTheScore: exact values in lowest terms,
// pending counts and weights beside every indicator.
func TestExplainShowsWhatRecomputesTheScore(t *testing.T) {
	m := mustModel(t)
	r := Ratios{Num: [4]int64{242, 0, 3, 2}, Den: [4]int64{300, 0, 4, 3}, ReviewNum: "86.67", ReviewValue: "0.8667", ReviewExact: "13/15"}
	got := m.Explain(r, PendingCounts{Responses: 7, Resolutions: 1, Issues: 2})
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"closure_rate":{"num":2,"den":3,"value":0.6667,"exact":"2/3","pending":2,"weight":25},` +
		`"resolution_rate":{"num":0,"den":0,"value":null,"exact":null,"pending":1,"weight":25},` +
		`"response_rate":{"num":242,"den":300,"value":0.8067,"exact":"121/150","pending":7,"weight":10},` +
		`"review_score":{"num":86.67,"den":100,"value":0.8667,"exact":"13/15","pending":0,"weight":15},` +
		`"satisfaction_rate":{"num":3,"den":4,"value":0.75,"exact":"3/4","pending":0,"weight":25}}`
	if string(b) != want {
		t.Errorf("explained\n got  %s\n want %s", b, want)
	}
	if w := exactDecimal(big.NewRat(1234567, 100000)); w != "12.34567" {
		t.Errorf("weight 12.34567 written %s", w)
	}
}

// TestAReopenedOverdueIssueIsListedAsReopened.
func TestAReopenedOverdueIssueIsListedAsReopened(t *testing.T) {
	s := newScenario(t)
	s.list("I1", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-08-01T00:00:00+08:00")
	s.closeIssue("I1", "2026-07-20T09:00:00+08:00")
	s.reopenIssue("I1", "2026-07-25T09:00:00+08:00")
	s.list("I2", "2026-06-01T09:00:00+08:00", "s1.c1", "normal", "2026-08-01T00:00:00+08:00")
	d := s.evaluate("2026Q3", "2026-11-01T00:00:00+08:00")["s1"].Detail
	if !reflect.DeepEqual(d.Misses.OverdueIssues, []string{"I1", "I2"}) || !reflect.DeepEqual(d.ReopenedIssues, []string{"I1"}) {
		t.Errorf("overdue %v, reopened %v", d.Misses.OverdueIssues, d.ReopenedIssues)
	}
}

// TestFinishParallelIsFinish: results made by several workers are those of
// Finish, place for place.
func TestFinishParallelIsFinish(t *testing.T) {
	s := newScenario(t)
	mixedQuarter(s, 240)
	m := mustModel(t)
	p, _ := period.Parse("2026Q3", m.Location)
	asOf := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC).UnixNano()
	build := func() *Evaluator {
		records := Dedupe(s.records)
		e := NewEvaluator(m, p, asOf, BuildTree(records, p.EndNs()))
		cases := BuildCases(records, p)
		for _, c := range cases.Complaints {
			e.Complaint(c)
		}
		for _, x := range cases.Issues {
			e.Issue(x)
		}
		for _, x := range cases.Errors {
			e.Error(x)
		}
		for _, r := range cases.Reviews {
			e.Review(r)
		}
		return e
	}
	want := build().Finish()
	e := build()
	got := make([]Result, e.Subjects())
	counts := e.FinishParallel(3, func(i int, r *Result) { got[i] = *r })
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(append(slices.Clone(want.Units), want.Cadres...))
	if string(a) != string(b) || counts != want.Counts {
		t.Fatalf("parallel results differ (counts %+v, want %+v)", counts, want.Counts)
	}
}

// TestAppendRatiosJSONIsIndicatorsJSON.
func TestAppendRatiosJSONIsIndicatorsJSON(t *testing.T) {
	for _, r := range []Ratios{{}, {Num: [4]int64{242, 0, 3, 2}, Den: [4]int64{300, 0, 4, 3}, ReviewNum: "86.67", ReviewValue: "0.8667"},
		{Num: [4]int64{1, 1, 1, 1}, Den: [4]int64{1, 2, 3, 4}},
		{Num: [4]int64{5, 8, 67, 0}, Den: [4]int64{9, 10, 9, 0}, SatScale: 10, Insufficient: 1 | 4}} {
		if got, want := AppendRatiosJSON(nil, r), IndicatorsJSON(r.Indicators()); string(got) != string(want) {
			t.Errorf("ratios %+v\n got  %s\n want %s", r, got, want)
		}
	}
	// Credits in tenths and a marked indicator, as the JSON shows them.
	r := Ratios{Num: [4]int64{5, 8, 67, 0}, Den: [4]int64{9, 10, 9, 0}, SatScale: 10, Insufficient: 1 | 4}
	want := `{"closure_rate":{"num":0,"den":0,"value":null},"resolution_rate":{"num":8,"den":10,"value":0.8},` +
		`"response_rate":{"num":5,"den":9,"value":0.5556,"insufficient":true},"review_score":{"num":0,"den":0,"value":null},` +
		`"satisfaction_rate":{"num":6.7,"den":9,"value":0.7444,"insufficient":true}}`
	if got := string(AppendRatiosJSON(nil, r)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
