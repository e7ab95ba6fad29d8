package district

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
)

var (
	shanghai = time.FixedZone("CST", 8*3600)
	// now is the test's "today": 2026-11-23 in the afternoon.
	now = time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)
)

func mustPeriod(t testing.TB, label string) period.Period {
	t.Helper()
	p, err := period.Parse(label, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func generate(t testing.TB, cfg Config) *District {
	t.Helper()
	d, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// digest hashes every draft's source, id, type, time and data.
func digest(t testing.TB, d *District) string {
	t.Helper()
	h := sha256.New()
	for _, e := range d.Drafts {
		data, err := json.Marshal(e.Data)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\n", e.Source, e.ID, e.Type, e.Time.Format(time.RFC3339Nano), data)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestGenerateIsDeterministic(t *testing.T) {
	p := mustPeriod(t, "2026Q3")
	a := generate(t, Config{Seed: 7, Period: p, Now: now})
	b := generate(t, Config{Seed: 7, Period: p, Now: now})
	if da, db := digest(t, a), digest(t, b); da != db {
		t.Fatalf("same seed, different events: %s vs %s", da, db)
	}
	// Later "now" changes nothing for a period whose events all lie in the past.
	c := generate(t, Config{Seed: 7, Period: p, Now: now.AddDate(0, 1, 0)})
	if digest(t, a) != digest(t, c) {
		t.Fatal("a later now changed the events of a finished period")
	}
	other := generate(t, Config{Seed: 8, Period: p, Now: now})
	if digest(t, a) == digest(t, other) {
		t.Fatal("different seeds gave the same events")
	}
	// The tree is the same for every seed, so seeds agree on it in one stream.
	for i := range a.Communities {
		if a.Communities[i].ID != other.Communities[i].ID || a.Communities[i].Name != other.Communities[i].Name {
			t.Fatalf("community %d differs between seeds", i)
		}
	}
}

func TestGenerateQuarter(t *testing.T) {
	p := mustPeriod(t, "2026Q3")
	d := generate(t, Config{Seed: 1, Period: p, Now: now})

	if n := len(d.Streets); n < 12 {
		t.Errorf("%d streets, want at least 12", n)
	}
	if n := len(d.Communities); n < 100 {
		t.Errorf("%d communities, want at least 100", n)
	}
	if n := len(d.Cadres); n < 500 {
		t.Errorf("%d cadres, want at least 500", n)
	}
	if n := len(d.Drafts); n < 20000 {
		t.Errorf("%d events, want at least 20,000", n)
	}
	for _, c := range d.Counts() {
		if c.Count == 0 {
			t.Errorf("no events of type %s", c.Type)
		}
		if c.Type == event.TypeComplaintAssigned && c.Count < 20000 {
			t.Errorf("%d complaints assigned, want tens of thousands", c.Count)
		}
	}

	names := map[string]bool{}
	for _, u := range append(append([]Unit(nil), d.Streets...), d.Communities...) {
		if names[u.Name] {
			t.Errorf("unit name %s used twice", u.Name)
		}
		names[u.Name] = true
		if !utf8.ValidString(u.Name) || u.Name == "" {
			t.Errorf("unit %s has a bad name %q", u.ID, u.Name)
		}
		if !(strings.HasSuffix(u.Name, "街道") || strings.HasSuffix(u.Name, "镇") || strings.HasSuffix(u.Name, "社区") || strings.HasSuffix(u.Name, "村")) {
			t.Errorf("unit %s: %q is not a street, town, community or village name", u.ID, u.Name)
		}
	}

	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	cutoff := now.Add(-Lead)
	moves := map[string]bool{"u-" + d.UnitMove.ID + "-2026Q3-move": true, "k-" + d.CadreMove.ID + "-2026Q3-move": true}
	for i, e := range d.Drafts {
		if _, err := e.Build(v); err != nil {
			t.Fatalf("event %s does not validate: %v", e.ID, err)
		}
		key := e.Source + " " + e.ID
		if seen[key] {
			t.Fatalf("event %s published twice", key)
		}
		seen[key] = true
		if i > 0 && e.Time.Before(d.Drafts[i-1].Time) {
			t.Fatalf("event %s is out of time order", e.ID)
		}
		if !e.Time.Before(cutoff) {
			t.Fatalf("event %s at %s is not before now-%s", e.ID, e.Time, Lead)
		}
		if e.Time.After(p.End.AddDate(0, 0, 45)) {
			t.Errorf("event %s at %s is more than 45 days after the period", e.ID, e.Time)
		}
		switch {
		case e.Source == SourceOrg && !moves[e.ID]:
			if !e.Time.Before(p.Start) {
				t.Errorf("org event %s at %s is not before the period", e.ID, e.Time)
			}
		case e.Time.Before(p.Start):
			t.Errorf("event %s at %s is before the period", e.ID, e.Time)
		}
		if e.Time.Location() != p.Start.Location() {
			t.Errorf("event %s is not in the period's time zone", e.ID)
		}
	}
	for id := range moves {
		if !seen[SourceOrg+" "+id] {
			t.Errorf("move %s not generated", id)
		}
	}
	if !p.Contains(d.UnitMove.At.UnixNano()) || !p.Contains(d.CadreMove.At.UnixNano()) {
		t.Errorf("moves at %s and %s are not inside the period", d.UnitMove.At, d.CadreMove.At)
	}
	if d.UnitMove.From == d.UnitMove.To || d.CadreMove.From == d.CadreMove.To {
		t.Error("a move goes nowhere")
	}
}

// TestDueTimesAndShapes checks the deadlines in data: responses in 2 or 24
// hours, resolutions in 7 days, issues due inside the period.
func TestDueTimesAndShapes(t *testing.T) {
	p := mustPeriod(t, "2026Q3")
	d := generate(t, Config{Seed: 1, Period: p, Now: now, Complaints: 3000})
	var reassigned, major, issues int
	for _, e := range d.Drafts {
		switch x := e.Data.(type) {
		case event.ComplaintAssigned:
			resp, _ := event.ParseTime(x.ResponseDue)
			res, _ := event.ParseTime(x.ResolveDue)
			if w := resp.Sub(e.Time); w != 2*time.Hour && w != 24*time.Hour {
				t.Errorf("%s: response due after %s", e.ID, w)
			}
			if w := res.Sub(e.Time); w != 7*24*time.Hour {
				t.Errorf("%s: resolution due after %s", e.ID, w)
			}
			if strings.HasSuffix(e.ID, "-assigned-2") {
				reassigned++
			}
		case event.IssueListed:
			issues++
			due, _ := event.ParseTime(x.Due)
			if !p.Contains(due.UnixNano()) || !due.After(e.Time) {
				t.Errorf("%s: listed %s, due %s", e.ID, e.Time, due)
			}
			if x.Severity == "major" {
				major++
			}
		}
	}
	if reassigned == 0 {
		t.Error("no reassignments")
	}
	if share := float64(major) / float64(issues); share < 0.10 || share > 0.20 {
		t.Errorf("major issues are %.2f of all, want about 0.15", share)
	}
}

func TestOngoingPeriodStopsBeforeNow(t *testing.T) {
	p := mustPeriod(t, "2026Q4")
	d := generate(t, Config{Seed: 1, Period: p, Now: now, Complaints: 3000})
	if len(d.Drafts) < 1000 {
		t.Fatalf("only %d events so far in 2026Q4", len(d.Drafts))
	}
	for _, e := range d.Drafts {
		if !e.Time.Before(now.Add(-Lead)) {
			t.Fatalf("event %s at %s is in the future", e.ID, e.Time)
		}
	}
	// The same seed later publishes a superset with the same ids.
	later := generate(t, Config{Seed: 1, Period: p, Now: now.Add(72 * time.Hour), Complaints: 3000})
	ids := map[string]bool{}
	for _, e := range later.Drafts {
		ids[e.ID] = true
	}
	for _, e := range d.Drafts {
		if !ids[e.ID] {
			t.Fatalf("event %s vanished when generated later", e.ID)
		}
	}
	if len(later.Drafts) <= len(d.Drafts) {
		t.Error("three days later, no new events")
	}
}

func TestGenerateRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no period", Config{Now: now}, "no period"},
		{"before the district", Config{Period: mustPeriod(t, "2019Q1"), Now: now}, "before"},
		{"future", Config{Period: mustPeriod(t, "2027Q1"), Now: now}, "not started"},
		{"no now", Config{Period: mustPeriod(t, "2026Q3")}, "current time"},
		{"negative", Config{Period: mustPeriod(t, "2026Q3"), Now: now, Complaints: -1}, "negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// TestStreetsDiffer scores every street of the generated quarter with the
// model itself (scoring.Evaluate, as the scorer does) and checks the ranking
// means something: the best street in the 90s, the worst well below 75, and
// the order following the hidden qualities.
func TestStreetsDiffer(t *testing.T) {
	p := mustPeriod(t, "2026Q3")
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2, 3} {
		d := generate(t, Config{Seed: seed, Period: p, Now: now})
		scores := streetScores(t, m, p, v, d)
		best, worst := d.Streets[0], d.Streets[0]
		for _, s := range d.Streets {
			if s.Quality > best.Quality {
				best = s
			}
			if s.Quality < worst.Quality {
				worst = s
			}
		}
		top, bottom := int64(0), int64(10000)
		for _, sc := range scores {
			top, bottom = max(top, sc), min(bottom, sc)
		}
		show := scoring.FormatCenti
		t.Logf("seed %d: top %s, bottom %s; best street %s %s, worst %s %s", seed, show(top), show(bottom), best.Name, show(scores[best.ID]), worst.Name, show(scores[worst.ID]))
		if top < 9000 || top >= 10000 {
			t.Errorf("seed %d: top street scores %s, want in the 90s", seed, show(top))
		}
		if bottom > 7000 {
			t.Errorf("seed %d: bottom street scores %s, want well below 75", seed, show(bottom))
		}
		if scores[best.ID] < 8500 || scores[worst.ID] > 7000 {
			t.Errorf("seed %d: best street %s, worst %s: scores do not follow quality", seed, show(scores[best.ID]), show(scores[worst.ID]))
		}
	}
}

// streetScores scores the district's period at the test's now, when every
// deadline of the finished quarter has passed, and returns each street's score
// in hundredths. The drafts become rows as the stream would store them: built
// and validated as the SDK does, numbered in publishing order.
func streetScores(t *testing.T, m *scoring.Model, p period.Period, v *event.Validator, d *District) map[string]int64 {
	t.Helper()
	records := make([]event.Record, 0, len(d.Drafts))
	for i, draft := range d.Drafts {
		e, err := draft.Build(v)
		if err != nil {
			t.Fatalf("event %s does not validate: %v", draft.ID, err)
		}
		r, err := event.ToRecord(e, uint64(i+1), 0, draft.Time)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, r)
	}
	ev := scoring.Evaluate(m, p, now.UnixNano(), records)
	scores := map[string]int64{}
	for _, r := range ev.Units {
		if r.Level != "street" {
			continue
		}
		if !r.Scored {
			t.Errorf("street %s has no score", r.ID)
		}
		scores[r.ID] = r.ScoreCenti
	}
	if len(scores) != len(d.Streets) {
		t.Errorf("%d streets scored, want %d", len(scores), len(d.Streets))
	}
	return scores
}
