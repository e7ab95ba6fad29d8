package district

import (
	"fmt"
	"math"
	"slices"
	"time"

	"kaoping/pkg/event"
)

type errorDraft struct {
	unit     *Unit
	cadre    *Cadre
	severity string
	summary  string
	at       time.Time
}

// errors generates the errors recorded by the discipline office: a few per
// street, many more where quality is low, on the street itself or on one of its
// weaker communities; about a third are later tolerated (容错) by a decision.
func (g *generator) errors() {
	r := g.rng
	d := g.d
	p := g.cfg.Period
	days := int(math.Ceil(g.days()))
	var drafts []errorDraft
	for si := range d.Streets {
		st := &d.Streets[si]
		lambda := (0.4 + 15*math.Pow(1-st.Quality, 1.5)) * g.scale()
		comms := g.communitiesOf[st.ID]
		cw := make([]float64, len(comms))
		for i, c := range comms {
			cw[i] = 1.05 - c.Quality
		}
		for range poisson(r, lambda) {
			x := errorDraft{unit: st}
			if r.Float64() < 0.65 {
				x.unit = comms[weighted(r, cw)]
			}
			day := p.Start.AddDate(0, 0, r.IntN(days))
			if !day.Before(p.End) {
				day = p.End.AddDate(0, 0, -1)
			}
			x.at = workingTime(r, day)
			if r.Float64() < 0.75 {
				all := g.cadresAt(x.unit.ID, x.at)
				x.cadre = all[r.IntN(len(all))]
			}
			pSerious := 0.04 + 0.25*(1-st.Quality)
			switch v := r.Float64(); {
			case v < pSerious:
				x.severity = "serious"
			case v < pSerious+0.30:
				x.severity = "moderate"
			default:
				x.severity = "minor"
			}
			var texts []string
			for _, s := range errorSummaries {
				if s.severity == x.severity {
					texts = append(texts, s.text)
				}
			}
			x.summary = texts[r.IntN(len(texts))]
			drafts = append(drafts, x)
		}
	}
	slices.SortStableFunc(drafts, func(a, b errorDraft) int { return a.at.Compare(b.at) })
	seq := map[string]int{}
	for _, x := range drafts {
		day := x.at.Format("20060102")
		seq[day]++
		id := fmt.Sprintf("ER%s-%03d", day, seq[day])
		data := event.ErrorRecorded{ErrorID: id, Unit: x.unit.ID, Severity: x.severity, Summary: x.summary}
		if x.cadre != nil {
			data.Cadre = x.cadre.ID
		}
		g.emit(SourceDiscipline, "e-"+id+"-recorded", event.TypeErrorRecorded, x.at, data)
		pTolerate := 0.35
		if x.severity == "serious" {
			pTolerate = 0.15
		}
		if r.Float64() < pTolerate {
			at := workingTime(r, x.at.Add(between(r, 7*24*time.Hour, 40*24*time.Hour)))
			g.emit(SourceDiscipline, "e-"+id+"-tolerated", event.TypeErrorTolerated, at,
				event.ErrorTolerated{ErrorID: id, DecisionID: "RC" + id[2:], Basis: toleranceBases[r.IntN(len(toleranceBases))]})
		}
	}
}
