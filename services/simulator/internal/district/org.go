package district

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"kaoping/pkg/event"
)

// orgEpoch is when the synthetic district's tree was set up: every upsert of the
// base tree is dated in the weeks after it, so it stands before any period the
// generator accepts, whichever period is published first.
var orgEpoch = time.Date(2021, 1, 4, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// The fixed top of the tree.
const (
	provinceID   = "zj"
	provinceName = "浙江省"
	cityID       = "jx"
	cityName     = "嘉兴市"
	districtID   = "jx.nanhu"
	districtName = "南湖区"
)

// buildTree lays out streets, communities and cadres from orgRNG alone, so the
// tree is the same for every seed and period.
func (g *generator) buildTree() {
	r := g.orgRNG
	d := g.d
	d.Province = Unit{ID: provinceID, Name: provinceName, Level: "province"}
	d.City = Unit{ID: cityID, Name: cityName, Level: "city", Parent: provinceID}
	d.District = Unit{ID: districtID, Name: districtName, Level: "district", Parent: cityID}

	urban := shuffled(r, urbanRoots)
	rural := shuffled(r, ruralRoots)
	used := map[string]bool{}
	for si, spec := range streetSpecs {
		st := Unit{ID: fmt.Sprintf("%s.st%02d", districtID, si+1), Name: spec.name, Level: "street", Parent: districtID}
		var places []place
		community := func() { places = append(places, place{name: pop(&urban) + "社区"}) }
		village := func() { places = append(places, place{name: pop(&rural) + "村", village: true}) }
		switch {
		case spec.town:
			// A town has a community in its seat, sometimes a second one, and
			// many villages.
			places = append(places, place{name: strings.TrimSuffix(spec.name, "镇") + "社区"})
			if r.IntN(2) == 0 {
				community()
			}
			for range 8 + r.IntN(4) {
				village()
			}
		case spec.suburban:
			for range 6 + r.IntN(3) {
				community()
			}
			for range 2 + r.IntN(2) {
				village()
			}
		default:
			for range 7 + r.IntN(4) {
				community()
			}
		}
		d.Streets = append(d.Streets, st)
		streetPos := streetPositions
		if spec.town {
			streetPos = townPositions
		}
		for pi, pos := range streetPos {
			ro := roleStreetStaff
			switch pi {
			case 0:
				ro = roleStreetSecretary
			case 1:
				ro = roleStreetHead
			}
			g.addCadre(r, used, st.ID, pos, ro)
		}
		for ci, pl := range places {
			c := Unit{
				ID: fmt.Sprintf("%s.c%02d", st.ID, ci+1), Name: pl.name, Level: "community",
				Parent: st.ID, village: pl.village,
			}
			if c.village {
				c.weight = 0.3 + 0.6*r.Float64()
			} else {
				c.weight = 0.6 + 1.2*r.Float64()
			}
			d.Communities = append(d.Communities, c)
			roles := communityPositions
			grids := 2 + r.IntN(3)
			if c.village {
				roles = villagePositions
				grids = 1 + r.IntN(3)
			}
			g.addCadre(r, used, c.ID, roles.secretary, roleSecretary)
			g.addCadre(r, used, c.ID, roles.director, roleDirector)
			g.addCadre(r, used, c.ID, roles.deputy, roleDeputy)
			for range grids {
				g.addCadre(r, used, c.ID, roles.grid, roleGrid)
			}
		}
	}
	g.index()
	// A street's own share of complaints grows with its population.
	for i := range d.Streets {
		for _, c := range g.communitiesOf[d.Streets[i].ID] {
			d.Streets[i].weight += c.weight
		}
	}
}

// place is a community or village about to be created.
type place struct {
	name    string
	village bool
}

func (g *generator) addCadre(r *rand.Rand, used map[string]bool, unit, position string, ro role) {
	id := fmt.Sprintf("cd%05d", len(g.d.Cadres)+1)
	g.d.Cadres = append(g.d.Cadres, Cadre{ID: id, Name: personName(r, used), Unit: unit, Position: position, role: ro})
}

// index builds the lookups over the tree at the period's start.
func (g *generator) index() {
	d := g.d
	g.unitIndex = map[string]*Unit{}
	g.cadreIndex = map[string]*Cadre{}
	g.cadresOf = map[string][]*Cadre{}
	g.streetOf = map[string]string{}
	g.communitiesOf = map[string][]*Unit{}
	for i := range d.Streets {
		g.unitIndex[d.Streets[i].ID] = &d.Streets[i]
	}
	for i := range d.Communities {
		c := &d.Communities[i]
		g.unitIndex[c.ID] = c
		g.streetOf[c.ID] = c.Parent
		g.communitiesOf[c.Parent] = append(g.communitiesOf[c.Parent], c)
	}
	for i := range d.Cadres {
		c := &d.Cadres[i]
		g.cadreIndex[c.ID] = c
		g.cadresOf[c.Unit] = append(g.cadresOf[c.Unit], c)
	}
}

// assignQualities spreads the streets evenly over [0.55, 0.98] in an order the
// seed picks, nudges them a little per period, and scatters communities and
// cadres around their street.
func (g *generator) assignQualities() {
	d := g.d
	n := len(d.Streets)
	perm := g.qualityRNG.Perm(n)
	for i := range d.Streets {
		base := 0.55 + 0.43*float64(perm[i])/float64(n-1)
		drift := (g.rng.Float64()*2 - 1) * 0.015
		d.Streets[i].Quality = clamp(base+drift, 0.5, 0.985)
	}
	for i := range d.Communities {
		c := &d.Communities[i]
		c.Quality = clamp(g.unitIndex[c.Parent].Quality+g.qualityRNG.NormFloat64()*0.035, 0.35, 0.995)
	}
	for i := range d.Cadres {
		c := &d.Cadres[i]
		c.Quality = clamp(g.unitIndex[c.Unit].Quality+g.qualityRNG.NormFloat64()*0.03, 0.3, 0.997)
	}
}

// emitTree publishes the base tree as upserts dated in the weeks after orgEpoch.
func (g *generator) emitTree() {
	d := g.d
	at := orgEpoch
	unit := func(u Unit) {
		g.emit(SourceOrg, "u-"+u.ID+"-v1", event.TypeUnitUpserted, at,
			event.UnitUpserted{Unit: u.ID, Name: u.Name, Level: u.Level, Parent: u.Parent})
		at = at.Add(time.Minute)
	}
	unit(d.Province)
	unit(d.City)
	unit(d.District)
	for _, s := range d.Streets {
		unit(s)
	}
	for _, c := range d.Communities {
		unit(c)
	}
	// Cadres were appointed over the following weeks, a few minutes apart.
	at = orgEpoch.AddDate(0, 0, 3)
	for i, c := range d.Cadres {
		g.emit(SourceOrg, "k-"+c.ID+"-v1", event.TypeCadreUpserted, at.Add(time.Duration(i)*23*time.Minute),
			event.CadreUpserted{Cadre: c.ID, Name: c.Name, Unit: c.Unit, Position: c.Position})
	}
}

// moves changes the tree inside the period: one community of a city street
// moves to a neighbouring street, and one grid worker moves to a community of
// another street. Both take effect in the middle of the period.
func (g *generator) moves() {
	d := g.d
	r := g.rng
	p := g.cfg.Period
	span := p.End.Sub(p.Start)

	// Streets that are not towns, in tree order.
	var city []int
	for i, spec := range streetSpecs {
		if !spec.town {
			city = append(city, i)
		}
	}
	from := city[r.IntN(len(city))]
	to := city[(indexOf(city, from)+1+r.IntN(len(city)-1))%len(city)]
	comms := g.communitiesOf[d.Streets[from].ID]
	c := comms[r.IntN(len(comms))]
	at := atClock(p.Start.Add(time.Duration(float64(span)*(0.35+0.1*r.Float64()))), 10, r.IntN(60))
	d.UnitMove = Move{ID: c.ID, From: c.Parent, To: d.Streets[to].ID, At: at}
	g.emit(SourceOrg, "u-"+c.ID+"-"+p.Label+"-move", event.TypeUnitUpserted, at,
		event.UnitUpserted{Unit: c.ID, Name: c.Name, Level: c.Level, Parent: d.Streets[to].ID})

	// A grid worker of another street's community moves to a community of a
	// third street.
	var grids []*Cadre
	for i := range d.Cadres {
		k := &d.Cadres[i]
		if k.role == roleGrid && g.streetOf[k.Unit] != d.Streets[from].ID && g.streetOf[k.Unit] != d.Streets[to].ID {
			grids = append(grids, k)
		}
	}
	k := grids[r.IntN(len(grids))]
	var targets []*Unit
	for i := range d.Communities {
		u := &d.Communities[i]
		if g.streetOf[u.ID] != g.streetOf[k.Unit] {
			targets = append(targets, u)
		}
	}
	dest := targets[r.IntN(len(targets))]
	at = atClock(p.Start.Add(time.Duration(float64(span)*(0.5+0.1*r.Float64()))), 9, r.IntN(60))
	d.CadreMove = Move{ID: k.ID, From: k.Unit, To: dest.ID, At: at}
	pos := communityPositions.grid
	if dest.village {
		pos = villagePositions.grid
	}
	g.emit(SourceOrg, "k-"+k.ID+"-"+p.Label+"-move", event.TypeCadreUpserted, at,
		event.CadreUpserted{Cadre: k.ID, Name: k.Name, Unit: dest.ID, Position: pos})
}

// cadresAt lists the cadres of unit at instant t, after the period's cadre move.
func (g *generator) cadresAt(unit string, t time.Time) []*Cadre {
	m := g.d.CadreMove
	list := g.cadresOf[unit]
	if m.ID == "" || t.Before(m.At) {
		return list
	}
	switch unit {
	case m.From:
		out := make([]*Cadre, 0, len(list))
		for _, c := range list {
			if c.ID != m.ID {
				out = append(out, c)
			}
		}
		return out
	case m.To:
		return append(append([]*Cadre(nil), list...), g.cadreIndex[m.ID])
	}
	return list
}

// pickCadre picks a cadre of unit at t whose role is one of roles (weighted),
// or any cadre of the unit when none has those roles.
func (g *generator) pickCadre(unit string, t time.Time, roles []role, weights []float64) *Cadre {
	all := g.cadresAt(unit, t)
	if len(all) == 0 {
		return nil
	}
	want := roles[weighted(g.rng, weights)]
	var match []*Cadre
	for _, c := range all {
		if c.role == want {
			match = append(match, c)
		}
	}
	if len(match) == 0 {
		match = all
	}
	return match[g.rng.IntN(len(match))]
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func shuffled(r *rand.Rand, xs []string) []string {
	out := append([]string(nil), xs...)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// pop takes the first name of a pool.
func pop(pool *[]string) string {
	s := (*pool)[0]
	*pool = (*pool)[1:]
	return s
}

// personName draws a plausible Chinese name not used before in the district.
func personName(r *rand.Rand, used map[string]bool) string {
	weights := make([]float64, len(surnames))
	for i, s := range surnames {
		weights[i] = s.weight
	}
	var name string
	for range 50 {
		name = surnames[weighted(r, weights)].name
		name += givenChars[r.IntN(len(givenChars))]
		if r.Float64() < 0.7 {
			name += givenChars[r.IntN(len(givenChars))]
		}
		if !used[name] {
			break
		}
	}
	used[name] = true
	return name
}
