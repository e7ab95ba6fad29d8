package scoring

import (
	"encoding/json"
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
