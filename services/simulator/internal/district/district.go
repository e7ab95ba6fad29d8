// Package district generates a realistic synthetic period of work events for one
// district: its org tree (streets, communities, cadres), hotline complaints,
// problems on the supervision lists, recorded and tolerated errors, and review
// ratings. It is pure: a seed and a period in, events out, no I/O, so it can be
// tested and the same seed always gives the same events with the same ids.
//
// Every street has a hidden quality between about 0.55 and 0.98; its
// communities and cadres scatter around it, and every outcome (on-time
// responses, resolutions, ratings, closings, errors, review scores) is drawn
// from the quality of whoever handles the case, so a ranking of the period
// recovers the qualities: the best street scores in the 90s, the worst far
// below 75.
package district

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// The sources the district's systems publish as (SPEC §4: source + id identify an event).
const (
	SourceOrg         = "/sources/org"
	SourceHotline     = "/sources/hotline"
	SourceSupervision = "/sources/supervision"
	SourceDiscipline  = "/sources/discipline"
	SourceReview      = "/sources/review"
)

// Sources lists the sources in the order their events are published within a chunk.
var Sources = []string{SourceOrg, SourceHotline, SourceSupervision, SourceDiscipline, SourceReview}

// DefaultComplaints is the number of complaints of a quarter; other periods
// get as many per day.
const DefaultComplaints = 30000

// Lead is how long before "now" the newest event may be dated: ingestion
// rejects events from the future, so outcomes that would happen later are left
// out (and appear when the same seed is published again later).
const Lead = time.Minute

// Config chooses what to generate.
type Config struct {
	// Seed makes the street qualities and every case reproducible.
	Seed uint64
	// Period is the period to fill with cases.
	Period period.Period
	// Now bounds event times: only events before Now-Lead are generated.
	Now time.Time
	// Complaints per quarter (scaled by the period's length in days); 0 means
	// DefaultComplaints.
	Complaints int
}

// Draft is one event before it is built and validated: what a source system
// would hand to the SDK.
type Draft struct {
	Source string
	ID     string
	Type   string
	Time   time.Time
	// Data is one of the data structs of pkg/event.
	Data any
}

// Build validates the draft into an event.
func (d Draft) Build(v *event.Validator) (event.Event, error) {
	return event.New(v, d.Source, d.ID, d.Type, d.Time, d.Data)
}

// Unit is a unit of the generated tree.
type Unit struct {
	ID     string
	Name   string
	Level  string
	Parent string
	// Quality is the hidden probability-like skill behind the unit's outcomes.
	Quality float64
	// weight is the unit's share of complaints (population).
	weight float64
	// village is true for a 村, false for a 社区.
	village bool
}

// Cadre is a cadre of the generated tree.
type Cadre struct {
	ID       string
	Name     string
	Unit     string
	Position string
	Quality  float64
	role     role
}

type role int

const (
	roleStreetSecretary role = iota
	roleStreetHead
	roleStreetStaff
	roleSecretary
	roleDirector
	roleDeputy
	roleGrid
)

// Move is a change of the tree inside the period: a community to another
// street, or a cadre to another unit.
type Move struct {
	ID   string // the unit or cadre moved
	From string // old parent (unit) or old unit (cadre)
	To   string
	At   time.Time
}

// District is the generated tree and the period's events.
type District struct {
	Period      period.Period
	Seed        uint64
	Province    Unit
	City        Unit
	District    Unit
	Streets     []Unit
	Communities []Unit
	Cadres      []Cadre
	// UnitMove and CadreMove are the two changes of the tree inside the period.
	UnitMove  Move
	CadreMove Move
	// Drafts are every event, ordered by time (stable: ties keep generation order).
	Drafts []Draft
}

// Generate builds the district and its events for cfg.
func Generate(cfg Config) (*District, error) {
	if cfg.Period.Label == "" || !cfg.Period.Start.Before(cfg.Period.End) {
		return nil, fmt.Errorf("district: no period")
	}
	if cfg.Period.Start.Before(orgEpoch) {
		return nil, fmt.Errorf("district: period %s starts before %s, when the synthetic district was set up", cfg.Period.Label, orgEpoch.Format("2006-01-02"))
	}
	if cfg.Now.IsZero() {
		return nil, fmt.Errorf("district: no current time")
	}
	if !cfg.Period.Start.Before(cfg.Now.Add(-Lead)) {
		return nil, fmt.Errorf("district: period %s has not started yet", cfg.Period.Label)
	}
	if cfg.Complaints < 0 {
		return nil, fmt.Errorf("district: negative number of complaints")
	}
	if cfg.Complaints == 0 {
		cfg.Complaints = DefaultComplaints
	}
	g := &generator{
		cfg:    cfg,
		loc:    cfg.Period.Start.Location(),
		cutoff: cfg.Now.Add(-Lead),
		// The tree is the same for every seed and period, so periods and seeds
		// published into one stream agree on it.
		orgRNG: rand.New(rand.NewPCG(0x6b616f70696e67, 1)),
		// Street qualities belong to the seed; the period only nudges them.
		qualityRNG: rand.New(rand.NewPCG(cfg.Seed, 2)),
		rng:        rand.New(rand.NewPCG(cfg.Seed, labelHash(cfg.Period.Label))),
		d:          &District{Period: cfg.Period, Seed: cfg.Seed},
	}
	g.buildTree()
	g.assignQualities()
	g.emitTree()
	g.moves()
	g.complaints()
	g.issues()
	g.errors()
	g.reviews()
	sort.SliceStable(g.d.Drafts, func(i, j int) bool { return g.d.Drafts[i].Time.Before(g.d.Drafts[j].Time) })
	return g.d, nil
}

// Counts returns the number of drafts per event type, in the order of event.Types.
func (d *District) Counts() []TypeCount {
	n := make(map[string]int, len(event.Types))
	for _, e := range d.Drafts {
		n[e.Type]++
	}
	out := make([]TypeCount, 0, len(event.Types))
	for _, t := range event.Types {
		out = append(out, TypeCount{Type: t, Count: n[t]})
	}
	return out
}

// TypeCount is a number of events of one type.
type TypeCount struct {
	Type  string
	Count int
}

// generator carries the state of one Generate call.
type generator struct {
	cfg        Config
	loc        *time.Location
	cutoff     time.Time
	orgRNG     *rand.Rand
	qualityRNG *rand.Rand
	rng        *rand.Rand
	d          *District

	unitIndex  map[string]*Unit
	cadreIndex map[string]*Cadre
	// cadresOf lists the cadres of each unit at the period's start, in id order.
	cadresOf map[string][]*Cadre
	// streetOf is each community's street at the period's start.
	streetOf map[string]string
	// communitiesOf lists each street's communities.
	communitiesOf map[string][]*Unit
}

// emit adds a draft unless it would be dated at or after the cutoff.
func (g *generator) emit(source, id, eventType string, at time.Time, data any) bool {
	if !at.Before(g.cutoff) {
		return false
	}
	g.d.Drafts = append(g.d.Drafts, Draft{Source: source, ID: id, Type: eventType, Time: at.In(g.loc), Data: data})
	return true
}

// days is the period's length in days.
func (g *generator) days() float64 {
	return g.cfg.Period.End.Sub(g.cfg.Period.Start).Hours() / 24
}

// scale is the period's length relative to a quarter of 92 days.
func (g *generator) scale() float64 { return g.days() / 92 }

func labelHash(label string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(label))
	return h.Sum64()
}

// rfc3339 formats a deadline in data the way the contract wants it: with an offset.
func rfc3339(t time.Time) string { return t.Format(time.RFC3339) }
