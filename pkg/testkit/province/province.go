// Package province generates a province-sized synthetic history of kaoping
// events for benchmarks and scale tests: by default 11 cities, 100 districts,
// 1,500 streets, 25,000 communities and 300,000 cadres, and as many complaints,
// issues, errors and review ratings as the event budget asks for.
//
// Records are built directly, each with the raw JSON the aggregator would
// store, rather than through the JSON Schema validator (46 µs an event would
// make a 20-million-event year take a quarter of an hour before it is even
// sent). A test checks that every kind of record equals what the validator and
// event.ToRecord make of its raw JSON. The same seed gives the same events.
//
// The history has what makes deduplication and case building hard: copies of
// events stored twice (some with another body that must lose), reassigned
// complaints, outcomes in the stream before their case, and communities and
// cadres that move during a period.
package province

import (
	"fmt"
	"math/rand/v2"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// Sources the generated systems publish as.
const (
	SourceOrg         = "/sources/org"
	SourceHotline     = "/sources/hotline"
	SourceSupervision = "/sources/supervision"
	SourceDiscipline  = "/sources/discipline"
	SourceReview      = "/sources/review"
)

// Config sizes the province and its history. Zero sizes take the province of
// SPEC §8.
type Config struct {
	Seed        uint64
	Cities      int
	Districts   int
	Streets     int
	Communities int
	Cadres      int
	// Periods are filled with cases in turn (for a year, its four quarters).
	Periods []period.Period
	// Events is the approximate number of events of all periods together, org
	// upserts included.
	Events int
	// DuplicateEvery stores every n-th event a second time a little later in
	// the stream (every tenth such copy with another body, which must lose);
	// 0 means no duplicates.
	DuplicateEvery int
	// Now, when set, bounds event times: nothing at or after it is generated
	// (ingestion refuses events from the future).
	Now time.Time
}

// WithDefaults fills the zero sizes with the province of SPEC §8.
func (c Config) WithDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Cities, 11)
	def(&c.Districts, 100)
	def(&c.Streets, 1500)
	def(&c.Communities, 25000)
	def(&c.Cadres, 300000)
	return c
}

// Stats count what was generated.
type Stats struct {
	Events, Duplicates                  int
	Units, Cadres                       int
	Complaints, Issues, Errors, Reviews int
	Reassigned, OutcomesFirst, Moves    int
}

// unit is a unit of the generated tree.
type unit struct {
	id, name, level, parent string
	quality                 float64
	// cadres are indexes into the province's cadres.
	cadres []int32
}

// cadre is a cadre of the generated tree.
type cadre struct {
	id, name, unit, position string
}

// Province is the generated tree.
type Province struct {
	units       []unit
	cadres      []cadre
	streets     []int32 // indexes into units
	communities []int32
}

// Levels of the tree, as SPEC §3 names them.
const (
	levelProvince  = "province"
	levelCity      = "city"
	levelDistrict  = "district"
	levelStreet    = "street"
	levelCommunity = "community"
)

var zone = time.FixedZone("CST", 8*3600)

// treeTime is when the tree was first published: before every period.
var treeTime = time.Date(2020, 1, 1, 8, 0, 0, 0, zone)

// buildTree lays out the tree: children spread evenly over their parents, the
// community cadres first (as many per community), the rest on the streets.
func buildTree(c Config, rng *rand.Rand) *Province {
	p := &Province{}
	add := func(u unit) int32 {
		p.units = append(p.units, u)
		return int32(len(p.units) - 1)
	}
	root := add(unit{id: "jx", name: "江西省", level: levelProvince})
	var cities, districts []int32
	for i := range c.Cities {
		cities = append(cities, add(unit{id: fmt.Sprintf("jx.c%02d", i+1), name: fmt.Sprintf("第%d市", i+1), level: levelCity, parent: p.units[root].id}))
	}
	for i := range c.Districts {
		parent := p.units[cities[i*len(cities)/c.Districts]].id
		districts = append(districts, add(unit{id: fmt.Sprintf("%s.d%03d", parent, i+1), name: fmt.Sprintf("第%d区", i+1), level: levelDistrict, parent: parent}))
	}
	for i := range c.Streets {
		parent := p.units[districts[i*len(districts)/c.Streets]].id
		q := 0.55 + 0.43*rng.Float64()
		p.streets = append(p.streets, add(unit{id: fmt.Sprintf("%s.s%04d", parent, i+1), name: streetName(i), level: levelStreet, parent: parent, quality: q}))
	}
	for i := range c.Communities {
		st := p.units[p.streets[i*len(p.streets)/c.Communities]]
		q := min(0.995, max(0.3, st.quality+0.08*rng.NormFloat64()))
		p.communities = append(p.communities, add(unit{id: fmt.Sprintf("%s.m%05d", st.id, i+1), name: communityName(i), level: levelCommunity, parent: st.id, quality: q}))
	}
	perCommunity := c.Cadres * 11 / 12 / max(1, c.Communities)
	for k := range c.Cadres {
		var at int32
		if k < perCommunity*c.Communities {
			at = p.communities[k/perCommunity]
		} else {
			rest := k - perCommunity*c.Communities
			at = p.streets[rest*len(p.streets)/max(1, c.Cadres-perCommunity*c.Communities)]
		}
		p.units[at].cadres = append(p.units[at].cadres, int32(k))
		p.cadres = append(p.cadres, cadre{id: fmt.Sprintf("k%06d", k+1), name: personName(k), unit: p.units[at].id, position: positions[k%len(positions)]})
	}
	return p
}

var positions = []string{"书记", "主任", "副主任", "委员", "网格员", "科员"}

var roots = []string{"禾兴", "紫阳", "梅湾", "勤俭", "中山", "南溪", "秀城", "新港", "花园", "文昌", "府南", "景宜", "广益", "鸣羊", "春波", "中和", "平安", "三塔", "月河", "子城"}

func streetName(i int) string { return fmt.Sprintf("%s%d街道", roots[i%len(roots)], i/len(roots)+1) }

func communityName(i int) string {
	return fmt.Sprintf("%s%d社区", roots[(i*7)%len(roots)], i/len(roots)+1)
}

var surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "沈"}
var givens = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"}

func personName(k int) string {
	return surnames[k%len(surnames)] + givens[(k/len(surnames))%len(givens)] + givens[(k/7)%len(givens)]
}

// Generate builds the province and its history and hands every record to emit
// in stream order. Records have no StreamSeq, MsgPos or IngestNs: whoever
// stores them gives them their place. emit may keep the record.
func Generate(c Config, emit func(event.Record) error) (Stats, error) {
	c = c.WithDefaults()
	rng := rand.New(rand.NewPCG(c.Seed, 0x6b616f70696e67))
	p := buildTree(c, rng)
	g := &generator{cfg: c, rng: rng, p: p, emitFn: emit}
	g.stats.Units, g.stats.Cadres = len(p.units), len(p.cadres)
	for _, u := range p.units {
		g.emit(orgUnit(u.id, u.name, u.level, u.parent, treeTime))
	}
	for _, k := range p.cadres {
		g.emit(orgCadre(k.id, k.name, k.unit, k.position, treeTime))
	}
	orgEvents := len(p.units) + len(p.cadres)
	if len(c.Periods) > 0 {
		budget := max(0, c.Events-orgEvents) / len(c.Periods)
		for _, per := range c.Periods {
			g.fill(per, budget)
		}
	}
	g.flushDeferred()
	return g.stats, g.err
}
