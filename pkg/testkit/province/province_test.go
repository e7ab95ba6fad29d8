package province

import (
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

func smallConfig(t testing.TB) Config {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	q3, _ := period.Parse("2026Q3", loc)
	return Config{Seed: 7, Cities: 2, Districts: 3, Streets: 12, Communities: 60, Cadres: 720, Periods: []period.Period{q3},
		Events: 30000, DuplicateEvery: 40, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
}

// TestRecordsAreWhatTheAggregatorWouldStore: every generated record equals
// what the validator and event.ToRecord make of its raw JSON, so a direct load
// stores what the real path would.
func TestRecordsAreWhatTheAggregatorWouldStore(t *testing.T) {
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	stats, err := Generate(smallConfig(t), func(r event.Record) error {
		e, err := v.Parse([]byte(r.Raw))
		if err != nil {
			t.Fatalf("%s: %v", r.Raw, err)
		}
		got, err := event.ToRecord(e, 0, 0, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		got.IngestNs = 0
		if got != r {
			t.Fatalf("record of %s\n got  %+v\n want %+v", r.Raw, got, r)
		}
		types[r.Type]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range event.Types {
		if types[typ] == 0 {
			t.Errorf("no %s generated", typ)
		}
	}
	if stats.Events < 25000 || stats.Events > 35000 || stats.Duplicates == 0 || stats.Reassigned == 0 || stats.OutcomesFirst == 0 || stats.Moves == 0 {
		t.Errorf("stats = %+v", stats)
	}
}

// TestSameSeedSameHistory: the generator is deterministic.
func TestSameSeedSameHistory(t *testing.T) {
	var a, b []string
	for _, out := range []*[]string{&a, &b} {
		if _, err := Generate(smallConfig(t), func(r event.Record) error { *out = append(*out, r.Raw); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if len(a) != len(b) {
		t.Fatalf("%d and %d events", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("event %d differs:\n%s\n%s", i, a[i], b[i])
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	c := smallConfig(b)
	c.DuplicateEvery = 0
	for b.Loop() {
		if _, err := Generate(c, func(event.Record) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
