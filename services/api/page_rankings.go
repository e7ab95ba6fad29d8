package main

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/ranking"
	"kaoping/services/api/internal/text"
)

// pageRows is how many rows a rankings page shows.
const pageRows = 100

type rankingQuery struct {
	Period, Level, Subject, Parent, Run string
}

type rankingLine struct {
	Row             ranking.Row
	Grade           string
	Link            string
	Move, MoveClass string
	Values          []string
}

type rankingsPage struct {
	pageBase
	Q                    rankingQuery
	Periods, Levels      []string
	Subjects, Indicators []string
	Model, RunID, Status string
	AsOf, PrevPeriod     string
	Total                int
	Rows                 []rankingLine
	CSV, XLSX            string
	PrevPage, NextPage   string
}

// rankingsPage answers GET /: a ranking with filters for period (the newest
// quarter with a run when none is asked), level (street), subject (unit) and
// subtree (parent; a viewer's own unit by default), grades in colour, the
// movement since the previous period of the same kind, the run's status and
// the download buttons; 100 rows a page (offset=).
func (h *handlers) rankingsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l := text.FromQuery(q)
	rq := rankingQuery{Period: q.Get("period"), Level: cmpOr(q.Get("level"), "street"), Subject: cmpOr(q.Get("subject"), scoring.SubjectUnit), Run: q.Get("run")}
	version, err := requestModel(q)
	if err != nil {
		h.pageFail(w, r, err)
		return
	}
	periods, err := h.store.RunPeriods(r.Context(), cmpOr(version, scoring.DefaultVersion))
	if err != nil {
		h.pageFail(w, r, err)
		return
	}
	slices.Reverse(periods)
	if rq.Period == "" {
		rq.Period = newestQuarter(periods)
	}
	switch {
	case rq.Period == "":
		h.pageFail(w, r, obs.Errorf(http.StatusNotFound, "no period has a run yet"))
		return
	case rq.Subject != scoring.SubjectUnit && rq.Subject != scoring.SubjectCadre:
		h.pageFail(w, r, obs.Errorf(http.StatusBadRequest, "subject must be unit or cadre"))
		return
	case !ranking.ValidLevel(rq.Level):
		h.pageFail(w, r, obs.Errorf(http.StatusBadRequest, "%s", "level must be one of "+strings.Join(ranking.Levels, ", ")))
		return
	}
	s, err := h.servedRun(r.Context(), rq.Period, rq.Run, version)
	if err != nil {
		h.pageFail(w, r, err)
		return
	}
	if rq.Parent, err = h.rankingParent(r, s, strings.TrimSpace(q.Get("parent"))); err != nil {
		h.pageFail(w, r, err)
		return
	}
	offset := atoiOr(q.Get("offset"), 0)
	rows, total, err := h.rankingRows(r, s, rq.Subject, rq.Level, rq.Parent, page{paged: true, offset: offset, limit: pageRows})
	if err != nil {
		h.pageFail(w, r, err)
		return
	}
	p := rankingsPage{pageBase: newPageBase(r, l.T("rankings")), Q: rq, Periods: periods, Levels: ranking.Levels,
		Subjects: []string{scoring.SubjectUnit, scoring.SubjectCadre}, Indicators: scoring.Indicators,
		Model: s.run.Model, RunID: s.run.ID, Status: s.status, AsOf: time.Unix(0, s.run.AsOfNs).In(s.model.Location).Format("2006-01-02 15:04"), Total: total}
	if !slices.Contains(p.Periods, rq.Period) {
		p.Periods = append([]string{rq.Period}, p.Periods...)
	}
	before, prevLabel, err := h.previousRanks(r, s, rq, rows)
	if err != nil {
		h.pageFail(w, r, err)
		return
	}
	p.PrevPeriod = prevLabel
	for _, row := range rows {
		link := url.Values{"period": {s.period.Label}, "run": {rq.Run}}
		keepModel(link, q)
		line := rankingLine{Row: row, Link: "/" + rq.Subject + "s/" + url.PathEscape(row.ID) + "?" + link.Encode() + p.LangAmp}
		if row.Grade != nil {
			line.Grade = *row.Grade
		}
		line.Move, line.MoveClass = movement(l, row.Rank, before, row.ID, prevLabel != "")
		for _, name := range scoring.Indicators {
			line.Values = append(line.Values, row.Indicators[name].Value)
		}
		p.Rows = append(p.Rows, line)
	}
	dl := url.Values{"period": {s.period.Label}, "level": {rq.Level}, "subject": {rq.Subject}}
	if rq.Parent != "" {
		dl.Set("parent", rq.Parent)
	}
	if rq.Run != "" {
		dl.Set("run", rq.Run)
	}
	keepModel(dl, q)
	if l == text.EN {
		dl.Set("lang", "en")
	}
	dl.Set("format", "csv")
	p.CSV = "/v1/rankings?" + dl.Encode()
	dl.Set("format", "xlsx")
	p.XLSX = "/v1/rankings?" + dl.Encode()
	here := url.Values{}
	for k, v := range q {
		here[k] = v
	}
	here.Set("period", rq.Period)
	if offset > 0 {
		here.Set("offset", strconv.Itoa(max(0, offset-pageRows)))
		p.PrevPage = "/?" + here.Encode()
	}
	if offset+pageRows < total {
		here.Set("offset", strconv.Itoa(offset+pageRows))
		p.NextPage = "/?" + here.Encode()
	}
	h.render(w, r, http.StatusOK, "rankings", p)
}

// newestQuarter is the newest quarter of labels (newest first), else the
// first label: departments rank by quarter.
func newestQuarter(labels []string) string {
	for _, l := range labels {
		if strings.Contains(l, "Q") {
			return l
		}
	}
	if len(labels) > 0 {
		return labels[0]
	}
	return ""
}

// previousRanks are the ranks of the rows' subjects in the previous period of
// the same kind, ranked the same way (among the level's peers, or within the
// same subtree), and that period's label ("" when it has no done run).
func (h *handlers) previousRanks(r *http.Request, s served, rq rankingQuery, rows []ranking.Row) (map[string]int, string, error) {
	prev, ok := s.period.Previous()
	if !ok {
		return nil, "", nil
	}
	ps, err := h.servedRun(r.Context(), prev.Label, "", s.run.Model)
	if notFound(err) {
		return nil, "", nil
	} else if err != nil {
		return nil, "", err
	}
	ranks := map[string]int{}
	if rq.Parent == "" {
		ids := make([]string, len(rows))
		for i, row := range rows {
			ids[i] = row.ID
		}
		placed, err := h.store.ScoresIn(r.Context(), ps.run.ID, rq.Subject, rq.Level, ids)
		if err != nil {
			return nil, "", err
		}
		for _, x := range placed {
			if x.Scored {
				ranks[x.Subject] = x.Rank
			}
		}
		if len(placed) > 0 {
			return ranks, prev.Label, nil
		}
	}
	before, _, err := h.rankingRows(r, ps, rq.Subject, rq.Level, rq.Parent, page{limit: -1})
	var se *obs.StatusError
	if asStatus(err, &se) {
		return nil, "", nil // the subtree was not in the tree then
	} else if err != nil {
		return nil, "", err
	}
	for _, row := range before {
		if row.Rank != nil {
			ranks[row.ID] = *row.Rank
		}
	}
	return ranks, prev.Label, nil
}

// movement is a row's movement since the previous period: ↑n, ↓n, = or new.
func movement(l text.Lang, rank *int, before map[string]int, id string, hasPrevious bool) (string, string) {
	if rank == nil || !hasPrevious {
		return "–", ""
	}
	was, ok := before[id]
	switch {
	case !ok:
		return l.T("new_entry"), ""
	case was > *rank:
		return "↑" + strconv.Itoa(was-*rank), "up"
	case was < *rank:
		return "↓" + strconv.Itoa(*rank-was), "down"
	}
	return "=", ""
}

// keepModel sets on v the model= of the page's query q, when it has one: a
// page of another model than the default links to that model's answers.
func keepModel(v, q url.Values) {
	if m := q.Get("model"); m != "" {
		v.Set("model", m)
	}
}
