package district

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"kaoping/pkg/event"
)

// Deadlines of the hotline.
const (
	urgentResponse = 2 * time.Hour
	normalResponse = 24 * time.Hour
	resolveWithin  = 7 * 24 * time.Hour
)

// Complaint shares.
const (
	streetShare     = 0.10  // complaints assigned to a street itself
	cadreShare      = 0.88  // complaints of a community that name a cadre
	reassignShare   = 0.015 // complaints first sent to the wrong community
	excludeShare    = 0.02
	ratedShare      = 0.62
	weekendFactor   = 0.75
	mondayFactor    = 1.15
	dailyJitter     = 0.10
	complaintPrefix = "HX"
)

var (
	categoryPick = func() chooser {
		w := make([]float64, len(categories))
		for i, c := range categories {
			w[i] = c.weight
		}
		return newChooser(w)
	}()
	excludeReasons = []string{"duplicate", "unreasonable", "out_of_scope"}
	excludeWeights = []float64{0.45, 0.35, 0.20}
)

// complaints generates the hotline's cases day by day: a number of calls that
// follows the weekday, spread over the hours, numbered per day in time order
// (HX + date + sequence, as a 12345 hotline numbers its work orders).
func (g *generator) complaints() {
	d := g.d
	perDay := float64(g.cfg.Complaints) / 92
	cw := make([]float64, len(d.Communities))
	for i, c := range d.Communities {
		cw[i] = c.weight
	}
	sw := make([]float64, len(d.Streets))
	for i, s := range d.Streets {
		sw[i] = s.weight
	}
	communities, streets := newChooser(cw), newChooser(sw)

	p := g.cfg.Period
	for day := p.Start; day.Before(p.End); day = day.AddDate(0, 0, 1) {
		f := 1.0
		switch day.Weekday() {
		case time.Saturday, time.Sunday:
			f = weekendFactor
		case time.Monday:
			f = mondayFactor
		}
		n := int(math.Round(perDay * f * (1 - dailyJitter + 2*dailyJitter*g.rng.Float64())))
		times := make([]time.Time, n)
		for i := range times {
			times[i] = timeInDay(g.rng, day)
		}
		slices.SortFunc(times, time.Time.Compare)
		for i, at := range times {
			id := fmt.Sprintf("%s%s%05d", complaintPrefix, day.Format("20060102"), i+1)
			var unit *Unit
			var cadre *Cadre
			if g.rng.Float64() < streetShare {
				unit = &d.Streets[streets.pick(g.rng)]
				if g.rng.Float64() < 0.8 {
					cadre = g.pickCadre(unit.ID, at, []role{roleStreetSecretary, roleStreetHead, roleStreetStaff}, []float64{0.05, 0.15, 0.8})
				}
			} else {
				unit = &d.Communities[communities.pick(g.rng)]
				if g.rng.Float64() < cadreShare {
					cadre = g.pickCadre(unit.ID, at, []role{roleGrid, roleDirector, roleDeputy, roleSecretary}, []float64{0.65, 0.2, 0.1, 0.05})
				}
			}
			g.complaint(id, at, unit, cadre)
		}
	}
}

// complaint generates one complaint's lifecycle for the unit (and cadre) that
// finally handles it.
func (g *generator) complaint(id string, at time.Time, unit *Unit, cadre *Cadre) {
	r := g.rng
	d := g.d
	h := unit.Quality
	if cadre != nil {
		h = cadre.Quality
	}
	cat := categories[categoryPick.pick(r)]
	window := normalResponse
	if cat.urgent {
		window = urgentResponse
	}
	assign := func(eventID string, at time.Time, u *Unit, c *Cadre) {
		data := event.ComplaintAssigned{
			ComplaintID: id, Unit: u.ID, Category: cat.code,
			ResponseDue: rfc3339(at.Add(window)), ResolveDue: rfc3339(at.Add(resolveWithin)),
		}
		if c != nil {
			data.Cadre = c.ID
		}
		g.emit(SourceHotline, eventID, event.TypeComplaintAssigned, at, data)
	}
	if r.Float64() < reassignShare {
		// First sent to a community that is not responsible, then reassigned.
		j := r.IntN(len(d.Communities) - 1)
		if j >= indexOfUnit(d.Communities, unit.ID) {
			j++ // any community but the right one (a street's index is -1)
		}
		wrong := &d.Communities[j]
		assign("c-"+id+"-assigned", at, wrong, g.pickCadre(wrong.ID, at, []role{roleGrid}, []float64{1}))
		at = at.Add(between(r, 20*time.Minute, 6*time.Hour))
		assign("c-"+id+"-assigned-2", at, unit, cadre)
	} else {
		assign("c-"+id+"-assigned", at, unit, cadre)
	}
	responseDue, resolveDue := at.Add(window), at.Add(resolveWithin)

	if r.Float64() < excludeShare {
		reason := excludeReasons[weighted(r, excludeWeights)]
		g.emit(SourceHotline, "c-"+id+"-excluded", event.TypeComplaintExcluded, at.Add(between(r, 30*time.Minute, 5*24*time.Hour)),
			event.ComplaintReason{ComplaintID: id, Reason: reason})
		if r.Float64() < 0.5 {
			return // a duplicate or groundless call is often closed without further steps
		}
	}

	// Response: on time with a probability that grows with quality; otherwise
	// mostly late, sometimes never.
	pOn := 0.30 + 0.70*h
	start := at.Add(between(r, time.Hour, 24*time.Hour))
	switch x := r.Float64(); {
	case x < pOn:
		t := at.Add(between(r, window/20, window*19/20))
		g.emit(SourceHotline, "c-"+id+"-responded", event.TypeComplaintResponded, t, event.ComplaintRef{ComplaintID: id})
		start = t
	case x < pOn+(1-pOn)*0.7:
		t := responseDue.Add(between(r, time.Minute, 36*time.Hour))
		g.emit(SourceHotline, "c-"+id+"-responded", event.TypeComplaintResponded, t, event.ComplaintRef{ComplaintID: id})
		start = t
	}

	// Resolution: reported by the unit, true when solved, not just explained.
	if r.Float64() < 0.01+0.06*(1-h) {
		return // never reported: a miss once resolve_due passes
	}
	var resolvedAt time.Time
	if r.Float64() < 0.35*(1-h) {
		resolvedAt = resolveDue.Add(between(r, time.Hour, 10*24*time.Hour))
	} else {
		resolvedAt = start.Add(between(r, 2*time.Hour, 6*24*time.Hour+12*time.Hour))
	}
	pSolved := 0.25 + 0.75*h
	solved := r.Float64() < pSolved
	g.emit(SourceHotline, "c-"+id+"-resolved", event.TypeComplaintResolved, resolvedAt,
		event.ComplaintResolved{ComplaintID: id, Resolved: solved})
	last, final := resolvedAt, solved
	if solved && r.Float64() < 0.01+0.15*(1-h) {
		reopened := resolvedAt.Add(between(r, 2*time.Hour, 4*24*time.Hour))
		g.emit(SourceHotline, "c-"+id+"-reopened", event.TypeComplaintReopened, reopened,
			event.ComplaintReason{ComplaintID: id, Reason: complaintReopenReasons[r.IntN(len(complaintReopenReasons))]})
		last, final = reopened, false
		if r.Float64() < 0.65 {
			again := reopened.Add(between(r, 4*time.Hour, 6*24*time.Hour))
			final = r.Float64() < pSolved
			g.emit(SourceHotline, "c-"+id+"-resolved-2", event.TypeComplaintResolved, again,
				event.ComplaintResolved{ComplaintID: id, Resolved: final})
			last = again
		}
	}

	// Rating by the complainant on the callback after handling.
	if r.Float64() < ratedShare {
		pSat := 0.10
		if final {
			pSat = 0.45 + 0.55*h
		}
		var rating int
		if r.Float64() < pSat {
			rating = 4
			if r.Float64() < 0.7 {
				rating = 5
			}
		} else {
			rating = 1 + weighted(r, []float64{0.3, 0.3, 0.4})
		}
		g.emit(SourceHotline, "c-"+id+"-rated", event.TypeComplaintRated, last.Add(between(r, time.Hour, 72*time.Hour)),
			event.ComplaintRated{ComplaintID: id, Rating: json.Number(strconv.Itoa(rating))})
	}
}

func indexOfUnit(units []Unit, id string) int {
	for i := range units {
		if units[i].ID == id {
			return i
		}
	}
	return -1
}
