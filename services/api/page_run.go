package main

import (
	"encoding/json"
	"errors"
	"net/http"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/services/api/internal/review"
	"kaoping/services/api/internal/text"
)

// storedDiff is the diff the scorer stores (GET /v1/runs/{id}/diff, table
// run_diffs), as the run page reads it.
type storedDiff struct {
	Against *string `json:"against"`
	Changes []struct {
		SubjectKind string `json:"subject_kind"`
		ID          string `json:"id"`
		Name        string `json:"name"`
		Before      *place `json:"before"`
		After       *place `json:"after"`
		Events      []struct {
			Source string `json:"source"`
			ID     string `json:"id"`
		} `json:"events"`
		EventsTotal int `json:"events_total"`
	} `json:"changes"`
}

type place struct {
	Score json.RawMessage `json:"score"`
	Rank  *int            `json:"rank"`
	Grade *string         `json:"grade"`
}

func (p *place) standing() review.Standing {
	if p == nil || p.Rank == nil || p.Grade == nil {
		return review.Standing{}
	}
	return review.Standing{Rank: *p.Rank, Score: string(p.Score), Grade: *p.Grade}
}

type runChange struct {
	SubjectKind, ID, Name string
	Before, After         review.Standing
	Events                []struct{ Source, ID string }
	EventsTotal           int
}

type runPage struct {
	pageBase
	Run     store.Run
	Status  string
	AsOf    string
	HasDiff bool
	Against string
	Changes []runChange
	// Hidden counts the changes past maxPageChanges.
	Hidden int
}

// maxPageChanges bounds the changes a run page lists.
const maxPageChanges = 1000

// runPage answers GET /runs/{id}: the run, its status among its period's
// runs, and its diff as the scorer stored it (the api reads run_diffs; it
// does not ask the scorer). A viewer sees only the changes of subjects in its
// subtree.
func (h *handlers) runPage(w http.ResponseWriter, r *http.Request) {
	l := text.FromQuery(r.URL.Query())
	run, err := h.store.Run(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.pageFail(w, r, obs.Errorf(http.StatusNotFound, "no run %s", r.PathValue("id")))
		return
	} else if err != nil {
		h.pageFail(w, r, err)
		return
	}
	p := runPage{pageBase: newPageBase(r, l.T("run_page")+" "+run.ID), Run: run}
	if run.Model != scoring.DefaultVersion { // its period's link shows this run's model
		p.ModelParam = run.Model
	}
	var s served
	if run.Status == store.StatusDone {
		if s, err = h.servedRun(r.Context(), run.Period, run.ID, ""); err != nil {
			h.pageFail(w, r, err)
			return
		}
		p.Status, p.AsOf = s.status, h.clock(s, run.AsOfNs)
	}
	_, body, err := h.store.Diff(r.Context(), run.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		h.pageFail(w, r, err)
		return
	default:
		var d storedDiff
		if err := json.Unmarshal(body, &d); err != nil {
			h.pageFail(w, r, err)
			return
		}
		p.HasDiff = true
		if d.Against != nil {
			p.Against = *d.Against
		}
		sc := scope(r)
		for _, c := range d.Changes {
			if !sc.Everything() {
				path, err := h.pathOf(r.Context(), run.ID, c.SubjectKind, c.ID)
				if err != nil {
					h.pageFail(w, r, err)
					return
				}
				if path == nil && p.Against != "" { // gone from the tree: where it stood before
					if path, err = h.pathOf(r.Context(), p.Against, c.SubjectKind, c.ID); err != nil {
						h.pageFail(w, r, err)
						return
					}
				}
				if !sc.Sees(path) {
					continue
				}
			}
			if len(p.Changes) == maxPageChanges {
				p.Hidden++
				continue
			}
			rc := runChange{SubjectKind: c.SubjectKind, ID: c.ID, Name: c.Name, Before: c.Before.standing(), After: c.After.standing(), EventsTotal: c.EventsTotal}
			for _, e := range c.Events {
				rc.Events = append(rc.Events, struct{ Source, ID string }{e.Source, e.ID})
			}
			p.Changes = append(p.Changes, rc)
		}
	}
	h.render(w, r, http.StatusOK, "run", p)
}
