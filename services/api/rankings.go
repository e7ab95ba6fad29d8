package main

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/ranking"
)

// rankingJSON is the body of GET /v1/rankings.
type rankingJSON struct {
	Period  string        `json:"period"`
	Model   string        `json:"model"`
	RunID   string        `json:"run_id"`
	Final   bool          `json:"final"`
	Subject string        `json:"subject"`
	Level   string        `json:"level"`
	Parent  *string       `json:"parent"`
	Rows    []ranking.Row `json:"rows"`
}

func (h *handlers) rankings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	subject := q.Get("subject")
	if subject == "" {
		subject = scoring.SubjectUnit
	}
	level, parent := q.Get("level"), q.Get("parent")
	format, err := responseFormat(r)
	switch {
	case err != nil:
		h.fail(w, r, err)
		return
	case subject != scoring.SubjectUnit && subject != scoring.SubjectCadre:
		h.fail(w, r, obs.Errorf(http.StatusBadRequest, "subject must be unit or cadre"))
		return
	case !ranking.ValidLevel(level):
		h.fail(w, r, obs.Errorf(http.StatusBadRequest, "%s", "level must be one of "+strings.Join(ranking.Levels, ", ")))
		return
	case q.Has("parent") && parent == "":
		h.fail(w, r, obs.Errorf(http.StatusBadRequest, "parent must be a unit id"))
		return
	}
	s, err := h.pickRun(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if parent != "" {
		found, err := h.store.Results(r.Context(), s.run.ID, scoring.SubjectUnit, parent)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(found) == 0 {
			h.fail(w, r, obs.Errorf(http.StatusBadRequest, "parent %s is not a unit of the tree of %s", parent, s.period.Label))
			return
		}
	}
	results, err := h.store.Results(r.Context(), s.run.ID, subject, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows, err := ranking.Rank(s.model, ranking.Peers(results, level, parent))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := rankingJSON{Period: s.period.Label, Model: s.run.Model, RunID: s.run.ID, Final: s.final,
		Subject: subject, Level: level, Rows: rows}
	if parent != "" {
		body.Parent = &parent
	}
	name := fmt.Sprintf("rankings-%s-%s-%s", s.period.Label, subject, level)
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".csv"}))
		writeCSV(w, rows)
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".xlsx"}))
		if err := writeXLSX(w, s.period.Label, rows); err != nil {
			h.log.Error("xlsx not written", "err", err)
		}
	default:
		obs.WriteJSON(w, http.StatusOK, body)
	}
}
