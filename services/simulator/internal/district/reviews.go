package district

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"kaoping/pkg/event"
)

// Rater groups and how they lean: leaders a little kinder, the public a little
// harsher than peers.
var raterGroups = []struct {
	name   string
	offset float64
}{
	{"leaders", 2},
	{"peers", 0},
	{"public", -3},
}

// panel is how many raters of each group (in raterGroups order) rate a
// subject; 0 leaves the group out.
type panel [3]int

// reviews generates the review meetings (述职评议) held after the period: each
// street's meeting rates the street, most of its communities, and its leading
// cadres; the ratings carry the period's label whenever they are given. A few
// ratings are corrected the next days (same review_id, a later event).
func (g *generator) reviews() {
	r := g.rng
	d := g.d
	p := g.cfg.Period
	for si := range d.Streets {
		st := &d.Streets[si]
		meeting := atClock(p.End.AddDate(0, 0, 5+si%10), 9, 0)
		for meeting.Weekday() == time.Saturday || meeting.Weekday() == time.Sunday {
			meeting = meeting.AddDate(0, 0, 1)
		}
		at := meeting
		next := func() time.Time {
			at = at.Add(between(r, 10*time.Second, 90*time.Second))
			return at
		}
		g.rate("unit", st.ID, st.Quality, panel{3 + r.IntN(3), 5 + r.IntN(4), 6 + r.IntN(5)}, next)
		for _, c := range g.communitiesOf[st.ID] {
			if r.Float64() >= 0.75 {
				continue
			}
			pub := 0
			if r.Float64() < 0.6 {
				pub = 4 + r.IntN(5)
			}
			g.rate("unit", c.ID, c.Quality, panel{2 + r.IntN(2), 3 + r.IntN(4), pub}, next)
		}
		var cadres []*Cadre
		cadres = append(cadres, g.cadresOf[st.ID]...)
		for _, c := range g.communitiesOf[st.ID] {
			cadres = append(cadres, g.cadresOf[c.ID]...)
		}
		for _, c := range cadres {
			var pRated float64
			switch c.role {
			case roleStreetSecretary, roleStreetHead:
				pRated = 1
			case roleSecretary:
				pRated = 0.6
			case roleDirector:
				pRated = 0.3
			}
			if r.Float64() >= pRated {
				continue
			}
			pub := 0
			if r.Float64() < 0.5 {
				pub = 3 + r.IntN(3)
			}
			g.rate("cadre", c.ID, c.Quality, panel{2 + r.IntN(2), 3 + r.IntN(3), pub}, next)
		}
	}
}

// rate emits one rating per rater of the panel.
func (g *generator) rate(kind, subject string, quality float64, pn panel, next func() time.Time) {
	r := g.rng
	label := g.cfg.Period.Label
	mean := 40 + 56*quality
	for gi, grp := range raterGroups {
		for n := range pn[gi] {
			reviewID := fmt.Sprintf("rv.%s.%s.%s.%d", label, subject, grp.name, n+1)
			tenths := scoreTenths(r, mean+grp.offset)
			data := event.ReviewRated{
				ReviewID: reviewID, SubjectKind: kind, Subject: subject, Period: label,
				RaterGroup: grp.name, Score: decimal(tenths),
			}
			at := next()
			g.emit(SourceReview, "r-"+reviewID, event.TypeReviewRated, at, data)
			if r.Float64() < 0.015 {
				// A rater corrects the score: the later event replaces the earlier.
				data.Score = decimal(min(1000, max(0, tenths+int(r.IntN(101))-50)))
				g.emit(SourceReview, "r-"+reviewID+"-2", event.TypeReviewRated, workingTime(r, at.AddDate(0, 0, 1+r.IntN(3))), data)
			}
		}
	}
}

// scoreTenths draws one rater's score around mean, in tenths of a point within [30, 100].
func scoreTenths(r *rand.Rand, mean float64) int {
	x := clamp(mean+r.NormFloat64()*4.5, 30, 100)
	return int(math.Round(x * 10))
}

// decimal writes tenths as an exact decimal number: 885 → 88.5, 900 → 90.
func decimal(tenths int) json.Number {
	if tenths%10 == 0 {
		return json.Number(fmt.Sprint(tenths / 10))
	}
	return json.Number(fmt.Sprintf("%d.%d", tenths/10, tenths%10))
}
