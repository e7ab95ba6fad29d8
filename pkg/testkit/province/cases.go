package province

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// generator emits one history.
type generator struct {
	cfg    Config
	rng    *rand.Rand
	p      *Province
	emitFn func(event.Record) error
	err    error
	stats  Stats
	seq    int
	// deferred are copies waiting to be stored again, due at an emit count.
	deferred []deferredCopy
	// ids count the cases of each family, so ids stay unique over periods.
	complaints, issues, errors, reviews, moves int
	// lastCase is the newest case id per family, the target of copies whose
	// body names another case.
	lastCase map[event.Kind]string
}

type deferredCopy struct {
	due int
	r   event.Record
}

// emit hands r over, and schedules its second copy when r is due for one.
func (g *generator) emit(r event.Record) {
	if g.err != nil {
		return
	}
	if r.Raw == "" {
		r.Raw = render(&r)
	}
	g.seq++
	g.stats.Events++
	if err := g.emitFn(r); err != nil {
		g.err = err
		return
	}
	if g.lastCase == nil {
		g.lastCase = map[event.Kind]string{}
	}
	kind := event.KindOf(r.Type)
	if n := g.cfg.DuplicateEvery; n > 0 && g.seq%n == 0 {
		dup := r
		if g.seq/n%10 == 0 && r.TimeNs+int64(time.Hour) < g.nowNs() {
			// another body: an hour later, and every other time naming another case
			dup.TimeNs += int64(time.Hour)
			if r.Type == event.TypeComplaintAssigned || r.Type == event.TypeErrorRecorded {
				dup.PeriodNs = dup.TimeNs // these are placed by their own time
			}
			if other := g.lastCase[kind]; other != "" && g.seq/n%20 == 0 && !event.IsDefining(r.Type) {
				dup.CaseID = other
			}
			dup.Raw = ""
		}
		g.deferred = append(g.deferred, deferredCopy{due: g.seq + 997, r: dup})
	}
	if kind == event.KindComplaint || kind == event.KindIssue || kind == event.KindError {
		g.lastCase[kind] = r.CaseID
	}
	for len(g.deferred) > 0 && g.deferred[0].due <= g.seq {
		d := g.deferred[0].r
		g.deferred = g.deferred[1:]
		g.stats.Duplicates++
		g.again(d)
	}
}

// again stores a copy: it is not a new event and gets no copy of its own.
func (g *generator) again(r event.Record) {
	if g.err != nil {
		return
	}
	if r.Raw == "" {
		r.Raw = render(&r)
	}
	g.stats.Events++
	if err := g.emitFn(r); err != nil {
		g.err = err
	}
}

func (g *generator) flushDeferred() {
	for _, d := range g.deferred {
		g.stats.Duplicates++
		g.again(d.r)
	}
	g.deferred = nil
}

func (g *generator) nowNs() int64 {
	if g.cfg.Now.IsZero() {
		return 1<<63 - 1
	}
	return g.cfg.Now.UnixNano()
}

// at returns an event time, and false when it is not before Now.
func (g *generator) at(t time.Time) (int64, bool) {
	ns := t.UnixNano()
	return ns, ns < g.nowNs()
}

// fill adds a period's cases: about budget events in all.
func (g *generator) fill(per period.Period, budget int) {
	p := g.p
	reviews := min(budget/25, 3*len(p.streets)+3*len(p.communities)+len(p.cadres)/3)
	rest := budget - reviews
	complaints := rest * 90 / 342
	issues := rest * 65 / 1880
	errs := rest * 35 / 1300
	span := per.End.Sub(per.Start)
	g.moveSome(per)
	// The i-th of n cases of a family is at i/n of the period, to the second.
	at := func(i, n int) time.Time {
		return per.Start.Add(time.Duration(float64(span/time.Second)*float64(i)/float64(n)) * time.Second)
	}
	for i := range complaints {
		g.complaint(at(i, complaints))
	}
	for i := range issues {
		g.issue(at(i, issues))
	}
	for i := range errs {
		g.recordError(at(i, errs))
	}
	g.rateSubjects(per, reviews)
}

// moveSome moves one community in a thousand to another street, and one cadre
// in a thousand to another community, in the middle of the period.
func (g *generator) moveSome(per period.Period) {
	p := g.p
	mid := per.Start.Add(per.End.Sub(per.Start) / 2)
	for i := 0; i < (len(p.communities)+999)/1000; i++ {
		u := &p.units[p.communities[g.rng.IntN(len(p.communities))]]
		u.parent = p.units[p.streets[g.rng.IntN(len(p.streets))]].id
		g.emit(orgUnit(u.id, u.name, u.level, u.parent, mid))
		g.stats.Moves++
	}
	for i := 0; i < (len(p.cadres)+999)/1000; i++ {
		k := &p.cadres[g.rng.IntN(len(p.cadres))]
		k.unit = p.units[p.communities[g.rng.IntN(len(p.communities))]].id
		g.emit(orgCadre(k.id, k.name, k.unit, k.position, mid))
		g.stats.Moves++
	}
}

// handler picks who a case goes to: a community (nine in ten) or a street, and
// one of its cadres (seven in ten) or none.
func (g *generator) handler() (u *unit, cadreID string) {
	p := g.p
	if g.rng.IntN(10) == 0 {
		u = &p.units[p.streets[g.rng.IntN(len(p.streets))]]
	} else {
		u = &p.units[p.communities[g.rng.IntN(len(p.communities))]]
	}
	if len(u.cadres) > 0 && g.rng.IntN(10) < 7 {
		cadreID = p.cadres[u.cadres[g.rng.IntN(len(u.cadres))]].id
	}
	return u, cadreID
}

func (g *generator) chance(q float64) bool { return g.rng.Float64() < q }

var categories = []string{"property", "noise", "sanitation", "traffic", "housing", "utilities"}

// complaint emits one hotline case assigned at t0 and its outcomes.
func (g *generator) complaint(t0 time.Time) {
	g.complaints++
	g.stats.Complaints++
	id := "HX" + strconv.Itoa(10000000+g.complaints)
	u, k := g.handler()
	q := u.quality
	src := SourceHotline
	var evs []event.Record
	add := func(r event.Record, t time.Time) {
		if ns, ok := g.at(t); ok {
			r.TimeNs = ns
			evs = append(evs, r)
		}
	}
	assigned := func(u *unit, k string, t time.Time) event.Record {
		return event.Record{Source: src, ID: id + "-a" + strconv.Itoa(len(evs)), Type: event.TypeComplaintAssigned, CaseID: id,
			Unit: u.id, Cadre: k, Category: categories[g.complaints%len(categories)],
			ResponseDueNs: t.Add(2 * time.Hour).UnixNano(), ResolveDueNs: t.Add(7 * 24 * time.Hour).UnixNano(), PeriodNs: t.UnixNano()}
	}
	add(assigned(u, k, t0), t0)
	tDef := t0
	if g.chance(0.02) {
		g.stats.Reassigned++
		u2, k2 := g.handler()
		tDef = t0.Add(30 * time.Minute)
		add(assigned(u2, k2, tDef), tDef)
		q = u2.quality
	}
	if g.chance(0.95) {
		late := time.Duration(g.rng.IntN(100)) * time.Minute
		if !g.chance(q) {
			late += 2 * time.Hour
		}
		add(event.Record{Source: src, ID: id + "-r", Type: event.TypeComplaintResponded, CaseID: id}, tDef.Add(late))
	}
	resolvedAt := tDef.Add(time.Duration(1+g.rng.IntN(10*24)) * time.Hour)
	if g.chance(0.9) {
		add(event.Record{Source: src, ID: id + "-s", Type: event.TypeComplaintResolved, CaseID: id, Resolved: g.chance(q)}, resolvedAt)
		if g.chance(0.04) {
			add(event.Record{Source: src, ID: id + "-o", Type: event.TypeComplaintReopened, CaseID: id, Reason: "复诉"}, resolvedAt.Add(24*time.Hour))
		}
	}
	if g.chance(0.5) {
		rating := 1 + int(min(4, q*5*g.rng.Float64()+q*2))
		add(event.Record{Source: src, ID: id + "-t", Type: event.TypeComplaintRated, CaseID: id, Rating: uint8(min(5, rating))}, resolvedAt.Add(48*time.Hour))
	}
	if g.chance(0.01) {
		add(event.Record{Source: src, ID: id + "-x", Type: event.TypeComplaintExcluded, CaseID: id, Reason: "unreasonable"}, tDef.Add(72*time.Hour))
	}
	// One case in two hundred has its response in the stream before its assignment.
	if len(evs) > 1 && evs[len(evs)-1].Type != event.TypeComplaintAssigned && g.chance(0.005) {
		g.stats.OutcomesFirst++
		evs[0], evs[len(evs)-1] = evs[len(evs)-1], evs[0]
	}
	for _, r := range evs {
		g.emit(r)
	}
}

var lists = []string{"inspection", "supervision", "audit", "security", "production_safety", "natural_disaster", "public_opinion", "public_complaint"}

// issue emits one problem due at due, listed a month before.
func (g *generator) issue(due time.Time) {
	g.issues++
	g.stats.Issues++
	id := "IS" + strconv.Itoa(10000000+g.issues)
	u, k := g.handler()
	severity := "normal"
	if g.rng.IntN(5) == 0 {
		severity = "major"
	}
	src := SourceSupervision
	listed := due.Add(-30 * 24 * time.Hour)
	if ns, ok := g.at(listed); ok {
		g.emit(event.Record{Source: src, ID: id + "-l", Type: event.TypeIssueListed, TimeNs: ns, CaseID: id, List: lists[g.issues%len(lists)],
			Severity: severity, Unit: u.id, Cadre: k, DueNs: due.UnixNano(), PeriodNs: due.UnixNano()})
	}
	if g.chance(0.85) {
		closed := due.Add(time.Duration(g.rng.IntN(15*24)-int(u.quality*12*24)) * time.Hour)
		if ns, ok := g.at(closed); ok {
			g.emit(event.Record{Source: src, ID: id + "-c", Type: event.TypeIssueClosed, TimeNs: ns, CaseID: id})
			if g.chance(0.03) {
				if ns, ok := g.at(closed.Add(48 * time.Hour)); ok {
					g.emit(event.Record{Source: src, ID: id + "-o", Type: event.TypeIssueReopened, TimeNs: ns, CaseID: id, Reason: "整改不到位"})
				}
			}
		}
	}
}

var severities = []string{"minor", "moderate", "serious"}

// recordError emits one error recorded at t, tolerated three times in ten.
func (g *generator) recordError(t time.Time) {
	g.errors++
	g.stats.Errors++
	id := "ER" + strconv.Itoa(10000000+g.errors)
	u, k := g.handler()
	src := SourceDiscipline
	if ns, ok := g.at(t); ok {
		g.emit(event.Record{Source: src, ID: id + "-e", Type: event.TypeErrorRecorded, TimeNs: ns, CaseID: id, Unit: u.id, Cadre: k,
			Severity: severities[g.errors%len(severities)], Summary: "程序瑕疵", PeriodNs: ns})
	}
	if g.chance(0.3) {
		if ns, ok := g.at(t.Add(10 * 24 * time.Hour)); ok {
			g.emit(event.Record{Source: src, ID: id + "-t", Type: event.TypeErrorTolerated, TimeNs: ns, CaseID: id,
				DecisionID: "RC-" + strconv.Itoa(g.errors), Basis: "先行先试"})
		}
	}
}

var groups = []string{"leaders", "peers", "public"}

// rateSubjects gives n review ratings of the period: three groups for every
// street and community, then leaders' ratings of cadres, as far as n goes.
func (g *generator) rateSubjects(per period.Period, n int) {
	p := g.p
	at := per.End.Add(-72 * time.Hour)
	ns, ok := g.at(at)
	if !ok {
		return
	}
	rate := func(kind, subject, group string, q float64) {
		g.reviews++
		g.stats.Reviews++
		id := "RV" + strconv.Itoa(10000000+g.reviews)
		score := strconv.Itoa(int(40 + 60*min(1, max(0, q+0.05*g.rng.NormFloat64()))))
		if g.reviews%7 == 0 {
			score += ".5"
		}
		g.emit(event.Record{Source: SourceReview, ID: id, Type: event.TypeReviewRated, TimeNs: ns, CaseID: id, SubjectKind: kind,
			Subject: subject, ReviewPeriod: per.Label, RaterGroup: group, Score: score})
	}
	for _, set := range [][]int32{p.streets, p.communities} {
		for _, i := range set {
			for _, group := range groups {
				if n == 0 {
					return
				}
				rate("unit", p.units[i].id, group, p.units[i].quality)
				n--
			}
		}
	}
	for k := 0; k < len(p.cadres) && n > 0; k += 3 {
		rate("cadre", p.cadres[k].id, "leaders", 0.8)
		n--
	}
}

// orgUnit and orgCadre are the upserts of the tree.
func orgUnit(id, name, level, parent string, t time.Time) event.Record {
	return event.Record{Source: SourceOrg, ID: fmt.Sprintf("u-%s-%d", id, t.Unix()), Type: event.TypeUnitUpserted, TimeNs: t.UnixNano(),
		CaseID: id, Unit: id, Name: name, Level: level, Parent: parent}
}

func orgCadre(id, name, unitID, position string, t time.Time) event.Record {
	return event.Record{Source: SourceOrg, ID: fmt.Sprintf("k-%s-%d", id, t.Unix()), Type: event.TypeCadreUpserted, TimeNs: t.UnixNano(),
		CaseID: id, Cadre: id, Name: name, Unit: unitID, Position: position}
}
