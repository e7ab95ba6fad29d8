package scoring

import (
	"fmt"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// quarter builds records for a district: 12 streets, 120 communities, 600
// cadres and n complaints with a response, a resolution and a rating each.
func quarter(n int) []event.Record {
	var recs []event.Record
	seq := uint64(0)
	add := func(r event.Record) {
		seq++
		r.StreamSeq = seq
		r.ID = fmt.Sprintf("e%d", seq)
		r.Source = "/bench"
		recs = append(recs, r)
	}
	t0 := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	add(event.Record{Type: event.TypeUnitUpserted, CaseID: "d", Name: "d", Level: "district"})
	for s := range 12 {
		st := fmt.Sprintf("st%02d", s)
		add(event.Record{Type: event.TypeUnitUpserted, CaseID: st, Name: st, Level: "street", Parent: "d"})
		for c := range 10 {
			cm := fmt.Sprintf("%s.c%02d", st, c)
			add(event.Record{Type: event.TypeUnitUpserted, CaseID: cm, Name: cm, Level: "community", Parent: st})
			for k := range 5 {
				add(event.Record{Type: event.TypeCadreUpserted, CaseID: fmt.Sprintf("%s.k%d", cm, k), Unit: cm})
			}
		}
	}
	for i := range n {
		id := fmt.Sprintf("HX%06d", i)
		cm := fmt.Sprintf("st%02d.c%02d", i%12, (i/12)%10)
		at := t0 + int64(i)*int64(time.Minute)
		add(event.Record{Type: event.TypeComplaintAssigned, CaseID: id, TimeNs: at, PeriodNs: at, Unit: cm, Cadre: fmt.Sprintf("%s.k%d", cm, i%5),
			ResponseDueNs: at + int64(2*time.Hour), ResolveDueNs: at + int64(7*24*time.Hour)})
		add(event.Record{Type: event.TypeComplaintResponded, CaseID: id, TimeNs: at + int64((i%180)*int(time.Minute))})
		add(event.Record{Type: event.TypeComplaintResolved, CaseID: id, TimeNs: at + int64(24*time.Hour), Resolved: i%7 != 0})
		add(event.Record{Type: event.TypeComplaintRated, CaseID: id, TimeNs: at + int64(48*time.Hour), Rating: uint8(1 + i%5)})
	}
	return recs
}

// BenchmarkEvaluateQuarter scores a district quarter of 20,000 complaints
// (80,000 lifecycle events): the Go side of one run.
func BenchmarkEvaluateQuarter(b *testing.B) {
	m := mustModel(b)
	p, _ := period.Parse("2026Q3", m.Location)
	recs := quarter(20000)
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := Evaluate(m, p, asOf, recs)
		if ev.Counts.Complaints != 20000 {
			b.Fatal(ev.Counts)
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRankStreets ranks 1,500 streets, the province's size (SPEC §8).
func BenchmarkRankStreets(b *testing.B) {
	m := mustModel(b)
	entries := make([]Entry, 1500)
	for i := range entries {
		entries[i] = Entry{ID: fmt.Sprintf("st%04d", i), Scored: i%10 != 0, ScoreCenti: int64((i * 7919) % 10001)}
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Rank(entries)
	}
}
