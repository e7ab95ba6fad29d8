package district

import (
	"fmt"
	"math"
	"slices"
	"time"

	"kaoping/pkg/event"
)

// Problems on the lists.
const (
	issuesPerQuarter = 1300
	majorShare       = 0.15
	issueStreetShare = 0.25
	issueCadreShare  = 0.60
)

var listPick = func() chooser {
	w := make([]float64, len(issueLists))
	for i, l := range issueLists {
		w[i] = l.weight
	}
	return newChooser(w)
}()

type issueDraft struct {
	list     int
	severity string
	unit     *Unit
	cadre    *Cadre
	listed   time.Time
	due      time.Time
}

// issues generates problems put on the lists during the period, each due
// inside it at the end of a working day, and their closings and reopenings.
func (g *generator) issues() {
	r := g.rng
	d := g.d
	p := g.cfg.Period
	n := int(math.Round(issuesPerQuarter * g.scale()))
	cw := make([]float64, len(d.Communities))
	for i, c := range d.Communities {
		cw[i] = c.weight
	}
	communities := newChooser(cw)
	// Dues fall on days from a week after the start to the last day.
	firstDue := p.Start.AddDate(0, 0, 7)
	dueDays := int(p.End.Sub(firstDue).Hours()/24) - 1
	if dueDays < 1 {
		firstDue, dueDays = p.Start, max(1, int(p.End.Sub(p.Start).Hours()/24)-1)
	}

	drafts := make([]issueDraft, 0, n)
	for range n {
		x := issueDraft{list: listPick.pick(r), severity: "normal"}
		if r.Float64() < majorShare {
			x.severity = "major"
		}
		if r.Float64() < issueStreetShare {
			x.unit = &d.Streets[r.IntN(len(d.Streets))]
		} else {
			x.unit = &d.Communities[communities.pick(r)]
		}
		x.due = atClock(firstDue.AddDate(0, 0, r.IntN(dueDays)), 17, 30)
		lo := x.due.Add(-45 * 24 * time.Hour)
		if lo.Before(p.Start) {
			lo = p.Start
		}
		hi := x.due.Add(-3 * 24 * time.Hour)
		if !hi.After(lo) {
			hi = x.due.Add(-2 * time.Hour)
		}
		x.listed = lo.Add(between(r, 0, hi.Sub(lo)))
		if w := workingTime(r, x.listed); !w.Before(lo) && w.Before(hi) {
			x.listed = w
		}
		if r.Float64() < issueCadreShare {
			if x.unit.Level == "street" {
				x.cadre = g.pickCadre(x.unit.ID, x.listed, []role{roleStreetSecretary, roleStreetHead, roleStreetStaff}, []float64{0.15, 0.25, 0.6})
			} else {
				x.cadre = g.pickCadre(x.unit.ID, x.listed, []role{roleSecretary, roleDirector}, []float64{0.6, 0.4})
			}
		}
		drafts = append(drafts, x)
	}
	// Ids number the problems of one list and day in listing order.
	slices.SortStableFunc(drafts, func(a, b issueDraft) int { return a.listed.Compare(b.listed) })
	seq := map[string]int{}
	for _, x := range drafts {
		key := issueLists[x.list].prefix + x.listed.Format("20060102")
		seq[key]++
		g.issue(fmt.Sprintf("%s-%03d", key, seq[key]), x)
	}
}

func (g *generator) issue(id string, x issueDraft) {
	r := g.rng
	data := event.IssueListed{
		IssueID: id, List: issueLists[x.list].list, Severity: x.severity,
		Unit: x.unit.ID, Due: rfc3339(x.due),
	}
	h := x.unit.Quality
	if x.cadre != nil {
		data.Cadre = x.cadre.ID
		h = x.cadre.Quality
	}
	if x.severity == "major" {
		h -= 0.05 // major problems are harder to rectify in time
	}
	g.emit(SourceSupervision, "i-"+id+"-listed", event.TypeIssueListed, x.listed, data)

	pOn := 0.20 + 0.80*h
	var closed time.Time
	switch v := r.Float64(); {
	case v < pOn:
		closed = x.listed.Add(time.Duration(float64(x.due.Sub(x.listed)) * (0.2 + 0.78*r.Float64()))).Truncate(time.Second)
	case v < pOn+(1-pOn)*0.75:
		closed = x.due.Add(between(r, time.Hour, 20*24*time.Hour))
	default:
		return // still open: a miss once due passes
	}
	g.emit(SourceSupervision, "i-"+id+"-closed", event.TypeIssueClosed, closed, event.IssueRef{IssueID: id})
	if r.Float64() < 0.02+0.15*(1-h) {
		reopened := closed.Add(between(r, 2*24*time.Hour, 10*24*time.Hour))
		g.emit(SourceSupervision, "i-"+id+"-reopened", event.TypeIssueReopened, reopened,
			event.IssueReopened{IssueID: id, Reason: issueReopenReasons[r.IntN(len(issueReopenReasons))]})
		if r.Float64() < 0.6 {
			g.emit(SourceSupervision, "i-"+id+"-closed-2", event.TypeIssueClosed, reopened.Add(between(r, 24*time.Hour, 12*24*time.Hour)),
				event.IssueRef{IssueID: id})
		}
	}
}
