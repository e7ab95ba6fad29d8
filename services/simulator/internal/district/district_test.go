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

// TestStreetsDiffer estimates every street's score by SPEC §5 from the drafts
// and checks the ranking means something: the best street in the 90s, the worst
// well below 75, and the order following the hidden qualities.
func TestStreetsDiffer(t *testing.T) {
	p := mustPeriod(t, "2026Q3")
	for _, seed := range []uint64{1, 2, 3} {
		d := generate(t, Config{Seed: seed, Period: p, Now: now})
		scores := estimateStreetScores(d, p, now)
		best, worst := d.Streets[0], d.Streets[0]
		for _, s := range d.Streets {
			if s.Quality > best.Quality {
				best = s
			}
			if s.Quality < worst.Quality {
				worst = s
			}
		}
		top, bottom := 0.0, 100.0
		for _, sc := range scores {
			top, bottom = max(top, sc), min(bottom, sc)
		}
		t.Logf("seed %d: top %.2f, bottom %.2f; best street %s %.2f, worst %s %.2f", seed, top, bottom, best.Name, scores[best.ID], worst.Name, scores[worst.ID])
		if top < 90 || top >= 100 {
			t.Errorf("seed %d: top street scores %.2f, want in the 90s", seed, top)
		}
		if bottom > 70 {
			t.Errorf("seed %d: bottom street scores %.2f, want well below 75", seed, bottom)
		}
		if scores[best.ID] < 85 || scores[worst.ID] > 70 {
			t.Errorf("seed %d: best street %.2f, worst %.2f: scores do not follow quality", seed, scores[best.ID], scores[worst.ID])
		}
	}
}

// estimateStreetScores scores streets by SPEC §5, simplified for a finished
// period whose deadlines have all passed (nothing is pending).
func estimateStreetScores(d *District, p period.Period, asOf time.Time) map[string]float64 {
	streetOf := map[string]string{}
	for _, s := range d.Streets {
		streetOf[s.ID] = s.ID
	}
	for _, c := range d.Communities {
		streetOf[c.ID] = c.Parent
	}
	streetOf[d.UnitMove.ID] = d.UnitMove.To // the tree at the period's end

	type complaint struct {
		unit                 string
		at, respDue          time.Time
		firstResp            time.Time
		lastRes, lastReopen  time.Time
		resolved, excluded   bool
		rating               int
		lastRatingAt         time.Time
		responded, hasRating bool
	}
	type issue struct {
		unit        string
		due         time.Time
		major       bool
		closes      []time.Time
		lastReopen  time.Time
		hasReopened bool
	}
	complaints := map[string]*complaint{}
	issues := map[string]*issue{}
	penalty := map[string]int{}
	tolerated := map[string]bool{}
	type errRec struct {
		unit   string
		points int
	}
	var errs []struct {
		id string
		errRec
	}
	reviews := map[string]event.ReviewRated{}
	points := map[string]int{"minor": 1, "moderate": 3, "serious": 5}

	for _, e := range d.Drafts { // in time order
		switch x := e.Data.(type) {
		case event.ComplaintAssigned:
			due, _ := event.ParseTime(x.ResponseDue)
			c := complaints[x.ComplaintID]
			if c == nil {
				c = &complaint{}
				complaints[x.ComplaintID] = c
			}
			c.unit, c.at, c.respDue = x.Unit, e.Time, due
		case event.ComplaintRef:
			if c := complaints[x.ComplaintID]; !c.responded {
				c.responded, c.firstResp = true, e.Time
			}
		case event.ComplaintResolved:
			c := complaints[x.ComplaintID]
			c.lastRes, c.resolved = e.Time, x.Resolved
		case event.ComplaintReason:
			c := complaints[x.ComplaintID]
			if e.Type == event.TypeComplaintExcluded {
				c.excluded = true
			} else {
				c.lastReopen = e.Time
			}
		case event.ComplaintRated:
			c := complaints[x.ComplaintID]
			r, _ := x.Rating.Int64() // the generator writes plain integers
			c.hasRating, c.rating = true, int(r)
		case event.IssueListed:
			due, _ := event.ParseTime(x.Due)
			issues[x.IssueID] = &issue{unit: x.Unit, due: due, major: x.Severity == "major"}
		case event.IssueRef:
			i := issues[x.IssueID]
			i.closes = append(i.closes, e.Time)
		case event.IssueReopened:
			i := issues[x.IssueID]
			i.lastReopen, i.hasReopened = e.Time, true
		case event.ErrorRecorded:
			errs = append(errs, struct {
				id string
				errRec
			}{x.ErrorID, errRec{x.Unit, points[x.Severity]}})
		case event.ErrorTolerated:
			tolerated[x.ErrorID] = true
		case event.ReviewRated:
			reviews[x.ReviewID] = x
		}
	}
	type frac struct{ num, den float64 }
	resp, res, sat, clo := map[string]*frac{}, map[string]*frac{}, map[string]*frac{}, map[string]*frac{}
	add := func(m map[string]*frac, st string, num bool, w float64) {
		f := m[st]
		if f == nil {
			f = &frac{}
			m[st] = f
		}
		f.den += w
		if num {
			f.num += w
		}
	}
	for _, c := range complaints {
		if c.excluded || !p.Contains(c.at.UnixNano()) {
			continue
		}
		st := streetOf[c.unit]
		add(resp, st, c.responded && !c.firstResp.After(c.respDue), 1)
		add(res, st, c.resolved && !c.lastReopen.After(c.lastRes), 1)
		if c.hasRating {
			add(sat, st, c.rating >= 4, 1)
		}
	}
	for _, i := range issues {
		if !p.Contains(i.due.UnixNano()) {
			continue
		}
		ok := false
		for _, cl := range i.closes {
			if !cl.After(i.due) && !(i.hasReopened && i.lastReopen.After(cl)) {
				ok = true
			}
		}
		w := 1.0
		if i.major {
			w = 2
		}
		add(clo, streetOf[i.unit], ok, w)
	}
	for _, e := range errs {
		if !tolerated[e.id] {
			penalty[streetOf[e.unit]] += e.points
		}
	}
	groups := map[string]map[string][]float64{}
	for _, r := range reviews {
		if r.SubjectKind != "unit" || r.Period != p.Label {
			continue
		}
		if groups[r.Subject] == nil {
			groups[r.Subject] = map[string][]float64{}
		}
		s, _ := r.Score.Float64()
		groups[r.Subject][r.RaterGroup] = append(groups[r.Subject][r.RaterGroup], s)
	}
	out := map[string]float64{}
	for _, s := range d.Streets {
		var sum, wsum float64
		for _, ind := range []struct {
			f *frac
			w float64
		}{{resp[s.ID], 10}, {res[s.ID], 25}, {sat[s.ID], 25}, {clo[s.ID], 25}} {
			if ind.f != nil && ind.f.den > 0 {
				sum += ind.w * ind.f.num / ind.f.den
				wsum += ind.w
			}
		}
		if g := groups[s.ID]; len(g) > 0 {
			var m float64
			for _, xs := range g {
				var a float64
				for _, x := range xs {
					a += x
				}
				m += a / float64(len(xs))
			}
			sum += 15 * m / float64(len(g)) / 100
			wsum += 15
		}
		out[s.ID] = max(0, 100*sum/wsum-float64(min(20, penalty[s.ID])))
	}
	return out
}
