package main

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/services/api/internal/review"
	"kaoping/services/api/internal/text"
)

// trendPeriods is how many periods a trend shows, the served one included.
const trendPeriods = 4

// subjectReport gathers what the unit and cadre pages and the review-meeting
// report show of one subject in the served run: its explanation (for a reader
// who may see it: 403 otherwise, 404 when it is not in the tree), its place
// and the peer group's median, best and top ten among all the peers of its
// level, its standing over the last four periods of the same kind, its
// problems by list and the corrections since the final run.
func (h *handlers) subjectReport(r *http.Request, s served, kind, id string, l text.Lang) (review.Report, explanationJSON, error) {
	ex, err := h.explanation(r, s, kind, id)
	if err != nil {
		return review.Report{}, ex, err
	}
	stats, err := h.peerStats(r, s, kind, ex.Level)
	if err != nil {
		return review.Report{}, ex, err
	}
	rep := review.Report{Lang: l, Period: s.period.Label, Model: s.run.Model, RunID: s.run.ID, Status: s.status, AsOf: h.clock(s, s.run.AsOfNs),
		Kind: kind, ID: id, Name: ex.Name, Level: ex.Level, Path: ex.Path, Standing: standingOf(s, ex), Peers: ex.Peers,
		ScoreMedian: stats.Score.Median, ScoreBest: stats.Score.Best, Base: ex.View.Base, Penalty: ex.View.Penalty, PenaltyCap: ex.View.PenaltyCap,
		PenaltyItems: ex.View.PenaltyItems, Tolerated: ex.View.ToleratedItems, Misses: ex.View.Misses, Top: stats.Top}
	for _, name := range scoring.Indicators {
		x := ex.View.Indicators[name]
		sp := stats.Indicators[name]
		rep.Indicators = append(rep.Indicators, review.Indicator{Name: name, Num: x.Num, Den: x.Den, Value: x.Value, Weight: x.Weight,
			Pending: x.Pending, Median: sp.Median, Best: sp.Best, PeersWithValue: sp.N})
	}
	// The trend: the periods before, oldest first, then the served one.
	p := s.period
	rep.Trend = []review.Standing{rep.Standing}
	for len(rep.Trend) < trendPeriods {
		prev, ok := p.Previous()
		if !ok {
			break
		}
		p = prev
		st, err := h.standing(r, prev.Label, "", s.run.Model, kind, id)
		if err != nil {
			return review.Report{}, ex, err
		}
		rep.Trend = append(rep.Trend, st)
	}
	slices.Reverse(rep.Trend)
	if n := len(rep.Trend); n > 1 && rep.Trend[n-2].RunID != "" {
		rep.Previous = &rep.Trend[n-2]
	}
	if rep.Problems, err = h.problems(r, s, kind, id, ex.View.Misses.OverdueIssues); err != nil {
		return review.Report{}, ex, err
	}
	if rep.Corrections, err = h.corrections(r, s, kind, id); err != nil {
		return review.Report{}, ex, err
	}
	return rep, ex, nil
}

// clock writes an instant in the model's time zone.
func (h *handlers) clock(s served, ns int64) string {
	return time.Unix(0, ns).In(s.model.Location).Format("2006-01-02 15:04:05")
}

func standingOf(s served, ex explanationJSON) review.Standing {
	st := review.Standing{Period: s.period.Label, RunID: s.run.ID}
	if ex.Rank != nil {
		st.Rank, st.Score, st.Grade = *ex.Rank, string(ex.Score), *ex.Grade
	}
	return st
}

// standing is a subject's place in run runID of a period (its newest done
// run of the model version when ""): RunID "" when the period has no done
// run, not scored when the subject was not in its tree.
func (h *handlers) standing(r *http.Request, label, runID, version, kind, id string) (review.Standing, error) {
	none := review.Standing{Period: label}
	s, err := h.servedRun(r.Context(), label, runID, version)
	if notFound(err) {
		return none, nil
	} else if err != nil {
		return none, err
	}
	placed, err := h.store.HasScores(r.Context(), s.run.ID)
	if err != nil {
		return none, err
	}
	var ex explanationJSON
	if placed {
		ex, err = h.explainPlaced(r, s, kind, id)
	} else {
		ex, err = h.explainLegacy(r, s, kind, id)
	}
	if notFound(err) {
		return review.Standing{Period: label, RunID: s.run.ID}, nil // the subject was not in that run's tree
	} else if err != nil {
		return none, err
	}
	return standingOf(s, ex), nil
}

func notFound(err error) bool {
	var se *obs.StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// peerKey names the spreads of one level of a run.
type peerKey [3]string

// peerStats are the median, best and top ten of the peers of a level in the
// whole tree, read once per run (its results never change) from the same
// rows the rankings serve.
func (h *handlers) peerStats(r *http.Request, s served, kind, level string) (review.PeerStats, error) {
	key := peerKey{s.run.ID, kind, level}
	if v, ok := h.spreads.Load(key); ok {
		return v.(review.PeerStats), nil
	}
	rows, _, err := h.rankingRows(r, s, kind, level, "", page{limit: -1})
	if err != nil {
		return review.PeerStats{}, err
	}
	st := review.Peers(rows)
	h.spreads.Store(key, st)
	return st, nil
}

// problems are the subject's issues of the period by list: open ones as of
// the run, and the overdue ones its explanation counts (the scoring's reading
// of overdue), each under its list. A run stored before runs placed their
// results has no stored tree to find a subtree's issues in: it lists only the
// overdue ones, under the list "unknown".
func (h *handlers) problems(r *http.Request, s served, kind, id string, overdue []string) ([]review.ProblemList, error) {
	placed, err := h.store.HasScores(r.Context(), s.run.ID)
	if err != nil {
		return nil, err
	}
	var issues []store.Issue
	switch {
	case !placed:
	case kind == scoring.SubjectUnit:
		issues, err = h.store.UnitIssues(r.Context(), s.run, s.period, id)
	default:
		issues, err = h.store.CadreIssues(r.Context(), s.run, s.period, id)
	}
	if err != nil {
		return nil, err
	}
	lists := map[string]*review.ProblemList{}
	var order []string
	list := func(name string) *review.ProblemList {
		if l, ok := lists[name]; ok {
			return l
		}
		lists[name] = &review.ProblemList{List: name}
		order = append(order, name)
		return lists[name]
	}
	listOf := map[string]string{}
	for _, i := range issues {
		l := list(i.List)
		l.Listed++
		if i.Open {
			l.Open = append(l.Open, i.ID)
		}
		listOf[i.ID] = i.List
	}
	for _, id := range overdue {
		name, ok := listOf[id]
		if !ok {
			name = "unknown"
		}
		l := list(name)
		l.Overdue = append(l.Overdue, id)
	}
	slices.Sort(order)
	out := make([]review.ProblemList, len(order))
	for i, name := range order {
		out[i] = *lists[name]
	}
	return out, nil
}

// corrections are the done runs of a final period after its final run, each
// with the subject's standing in the final run and in it, oldest first.
func (h *handlers) corrections(r *http.Request, s served, kind, id string) ([]review.Correction, error) {
	if !s.final {
		return nil, nil
	}
	state, err := h.periodState(r.Context(), s.period.Label, s.run.Model)
	if err != nil {
		return nil, err
	}
	var out []review.Correction
	var before *review.Standing
	for _, run := range state.runs {
		if run.Status != store.StatusDone || run.Model != s.run.Model ||
			scoring.StatusOf(scoring.RunRef{ID: run.ID, AsOfNs: run.AsOfNs}, s.finalRun, true) != scoring.StatusCorrected {
			continue
		}
		if before == nil {
			b, err := h.standing(r, s.period.Label, s.finalRun.ID, s.run.Model, kind, id)
			if err != nil {
				return nil, err
			}
			before = &b
		}
		after, err := h.standing(r, s.period.Label, run.ID, s.run.Model, kind, id)
		if err != nil {
			return nil, err
		}
		out = append(out, review.Correction{RunID: run.ID, AsOf: h.clock(s, run.AsOfNs), Before: *before, After: after})
	}
	return out, nil
}

// asStatus reports whether err is an answer to the client (obs.StatusError).
func asStatus(err error, se **obs.StatusError) bool { return errors.As(err, se) }
