// Package review writes the review-meeting report (述职评议报告) of one unit
// and period (SPEC §6): its rank among its peers and its movement, the
// indicator table beside the peer median and best, the trend, the peer
// group's top ten, open and overdue problems by list, tolerated errors with
// their decisions and the corrections since the final run. The api gathers a
// Report; this package only writes it: HTML (one self-contained file that
// prints on A4), Markdown, and XLSX.
package review

import (
	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/chart"
	"kaoping/services/api/internal/text"
)

// Report is everything the report shows, already read and decided.
type Report struct {
	Lang     text.Lang
	Period   string
	Model    string
	RunID    string
	Status   string
	AsOf     string
	Kind     string
	ID       string
	Name     string
	Level    string
	Path     []string
	Standing Standing
	Peers    int
	// Previous is the standing in the period before, of the same kind (not
	// scored when the subject was not ranked then); nil when that period has
	// no done run.
	Previous   *Standing
	Indicators []Indicator
	// ScoreMedian and ScoreBest are those of the scored peers ("" when none).
	ScoreMedian, ScoreBest string
	Base                   string
	Penalty, PenaltyCap    int64
	PenaltyItems           []scoring.PenaltyItem
	Tolerated              []scoring.ToleratedError
	Misses                 scoring.Misses
	Trend                  []Standing
	Top                    []TopRow
	Problems               []ProblemList
	Corrections            []Correction
}

// Standing is a subject's place in one period's run: Score "" when unscored.
type Standing struct {
	Period string
	RunID  string
	Rank   int
	Score  string
	Grade  string
}

// Scored reports whether the standing has a score.
func (s Standing) Scored() bool { return s.Score != "" }

// Indicator is one indicator of the subject beside its peers: values as
// decimals with 4 places, "" where not applicable.
type Indicator struct {
	Name           string
	Num, Den       string
	Value          string
	Weight         string
	Pending        int
	Median, Best   string
	PeersWithValue int
}

// TopRow is one of the peer group's top ten.
type TopRow struct {
	Rank  int
	ID    string
	Name  string
	Score string
	Grade string
}

// ProblemList is one problem list's issues of the subject's period: those
// still open (never closed, or reopened after their last closing) and those
// overdue (no closing that stands by their due, as the score counts them).
type ProblemList struct {
	List    string
	Listed  int
	Open    []string
	Overdue []string
}

// Correction is a run after the final run and the subject's standing in it
// beside its standing in the final run.
type Correction struct {
	RunID  string
	AsOf   string
	Before Standing
	After  Standing
}

// Movement is how many places the subject rose since the previous period
// (negative: fell), and whether both periods ranked it.
func (r Report) Movement() (int, bool) {
	if r.Previous == nil || !r.Previous.Scored() || !r.Standing.Scored() {
		return 0, false
	}
	return r.Previous.Rank - r.Standing.Rank, true
}

// MovementText is the movement in words: "上升 2", "下降 1", "持平", "新进".
func (r Report) MovementText() string {
	l := r.Lang
	d, ok := r.Movement()
	switch {
	case r.Previous == nil: // no run of the previous period
		return "–"
	case !ok && r.Standing.Scored():
		return l.T("new_entry")
	case !ok:
		return "–"
	case d > 0:
		return l.T("up") + " " + itoa(d)
	case d < 0:
		return l.T("down") + " " + itoa(-d)
	}
	return l.T("same")
}

// TrendPoints are the trend as chart points.
func (r Report) TrendPoints() []chart.Point {
	out := make([]chart.Point, len(r.Trend))
	for i, s := range r.Trend {
		out[i] = chart.Point{Label: s.Period, Has: s.Scored(), Grade: s.Grade}
		if s.Scored() {
			out[i].Score = parse(s.Score)
		}
	}
	return out
}
