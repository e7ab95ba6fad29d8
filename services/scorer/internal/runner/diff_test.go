package runner

import (
	"context"
	"slices"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	rundiff "kaoping/services/scorer/internal/diff"
)

// TestADiffFollowsCasesAndTreesOfBothRuns: a reassignment concerns the unit
// and cadre a complaint left and the ones it went to; a unit moved concerns
// the units above it in both trees; a copy of an event the first run saw is
// not new; a subject whose rank moved only has no events.
func TestADiffFollowsCasesAndTreesOfBothRuns(t *testing.T) {
	st := openStore(t)
	h := &history{t: t}
	org := func(id, level, parent string) event.Record {
		return event.Record{Source: "/org", ID: "u-" + id + parent, Type: event.TypeUnitUpserted, TimeNs: ns("2026-01-01 00:00"),
			CaseID: id, Unit: id, Name: id, Level: level, Parent: parent}
	}
	for _, r := range []event.Record{org("d", "district", ""), org("s1", "street", "d"), org("s2", "street", "d"),
		org("c1", "community", "s1"), org("c2", "community", "s2"), org("c3", "community", "s2")} {
		h.add(r)
	}
	h.add(event.Record{Source: "/org", ID: "k-k1", Type: event.TypeCadreUpserted, TimeNs: ns("2026-01-01 00:00"), CaseID: "k1", Cadre: "k1", Unit: "c1"})
	h.add(event.Record{Source: "/org", ID: "k-k2", Type: event.TypeCadreUpserted, TimeNs: ns("2026-01-01 00:00"), CaseID: "k2", Cadre: "k2", Unit: "c2"})
	h.add(assigned("a-1", "X1", "c1", "k1", "2026-08-01 09:00"))
	h.add(responded("r-1", "X1", "2026-08-01 09:30"))
	h.add(assigned("a-3", "X3", "c3", "", "2026-08-01 09:00"))
	first := h.seq
	// Seen by the second run only: X1 goes to c2 and k2; c3 moves under s1;
	// and a copy of r-1, which the first run saw already.
	h.add(assigned("a-1b", "X1", "c2", "k2", "2026-08-02 09:00"))
	h.add(org("c3", "community", "s1"))
	h.add(responded("r-1", "X1", "2026-08-01 09:30"))
	if err := st.InsertEvents(context.Background(), h.recs); err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	r := newRunner(t, st, fixedBarrier(first), asOf)
	a, done, err := r.Start(context.Background(), "2026Q3")
	if err != nil {
		t.Fatal(err)
	}
	a = ended(t, st, a.ID, done)
	r.barrier = fixedBarrier(h.seq)
	b, done, err := r.Start(context.Background(), "2026Q3")
	if err != nil {
		t.Fatal(err)
	}
	b = ended(t, st, b.ID, done)
	against, _, err := r.Against(context.Background(), b)
	if err != nil || against == nil || against.ID != a.ID {
		t.Fatalf("against %+v, %v", against, err)
	}
	p, _ := period.Parse("2026Q3", r.model.Location)
	d, err := rundiff.Compute(context.Background(), st, p, b, against)
	if err != nil {
		t.Fatal(err)
	}
	events := map[string][]string{}
	for _, c := range d.Changes {
		var ids []string
		for _, e := range c.Events {
			ids = append(ids, e.ID)
		}
		events[c.SubjectKind+" "+c.ID] = ids
	}
	want := map[string][]string{
		"unit c1": {"a-1b"}, "unit c2": {"a-1b"}, "cadre k1": {"a-1b"}, "cadre k2": {"a-1b"},
		"unit s1": {"a-1b", "u-c3s1"}, "unit s2": {"a-1b", "u-c3s1"},
	}
	for k, ids := range want {
		if got, ok := events[k]; !ok || !slices.Equal(got, ids) {
			t.Errorf("%s: events %v (changed %v), want %v", k, got, ok, ids)
		}
	}
	for k, ids := range events {
		if _, ok := want[k]; !ok && len(ids) > 0 {
			t.Errorf("%s: events %v, want none", k, ids)
		}
	}
	if _, ok := events["unit d"]; ok {
		t.Errorf("d changed: the complaint stays in its subtree; %+v", d.Changes)
	}
}
