package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"kaoping/pkg/obs"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/services/api/internal/ranking"
)

type handlers struct {
	store  *store.Store
	log    *slog.Logger
	models sync.Map // version → *scoring.Model
}

// badRequest is a parameter error, answered 400.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

// notFound is answered 404.
type notFound struct{ msg string }

func (e notFound) Error() string { return e.msg }

func (h *handlers) fail(w http.ResponseWriter, err error) {
	var br badRequest
	var nf notFound
	switch {
	case errors.As(err, &br):
		obs.WriteError(w, http.StatusBadRequest, br.msg)
	case errors.As(err, &nf):
		obs.WriteError(w, http.StatusNotFound, nf.msg)
	default:
		h.log.Error("request failed", "err", err)
		obs.WriteError(w, http.StatusServiceUnavailable, err.Error())
	}
}

func (h *handlers) model(version string) (*scoring.Model, error) {
	if m, ok := h.models.Load(version); ok {
		return m.(*scoring.Model), nil
	}
	m, err := scoring.LoadModel(version)
	if err != nil {
		return nil, err
	}
	h.models.Store(version, m)
	return m, nil
}

// served is the run a read is answered from, with its period and finality.
type served struct {
	run    store.Run
	period period.Period
	model  *scoring.Model
	final  bool
}

// pickRun finds the run of ?run=ID, or the period's newest done run.
func (h *handlers) pickRun(r *http.Request) (served, error) {
	q := r.URL.Query()
	label := q.Get("period")
	if label == "" {
		return served{}, badRequest{"period is required (2026, 2026Q3 or 2026-07)"}
	}
	m, err := h.model(scoring.DefaultVersion)
	if err != nil {
		return served{}, err
	}
	p, err := period.Parse(label, m.Location)
	if err != nil {
		return served{}, badRequest{err.Error()}
	}
	all, err := h.store.Runs(r.Context(), label)
	if err != nil {
		return served{}, err
	}
	var run store.Run
	switch id := q.Get("run"); {
	case id != "":
		found := false
		for _, x := range all {
			if x.ID == id {
				run, found = x, true
			}
		}
		if !found {
			return served{}, notFound{fmt.Sprintf("no run %s of period %s", id, label)}
		}
		if run.Status != store.StatusDone {
			return served{}, notFound{fmt.Sprintf("run %s is %s, not done", id, run.Status)}
		}
	default:
		found := false
		for _, x := range all { // oldest first: the last done one is the newest
			if x.Status == store.StatusDone {
				run, found = x, true
			}
		}
		if !found {
			return served{}, notFound{fmt.Sprintf("period %s has no done run yet", label)}
		}
	}
	if m, err = h.model(run.Model); err != nil {
		return served{}, err
	}
	_, final, err := h.store.FinalRun(r.Context(), p, all, time.Now())
	if err != nil {
		return served{}, err
	}
	return served{run: run, period: p, model: m, final: final}, nil
}

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
		h.fail(w, err)
		return
	case subject != scoring.SubjectUnit && subject != scoring.SubjectCadre:
		h.fail(w, badRequest{"subject must be unit or cadre"})
		return
	case !ranking.ValidLevel(level):
		h.fail(w, badRequest{"level must be one of " + strings.Join(ranking.Levels, ", ")})
		return
	case q.Has("parent") && parent == "":
		h.fail(w, badRequest{"parent must be a unit id"})
		return
	}
	s, err := h.pickRun(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if parent != "" {
		found, err := h.store.Results(r.Context(), s.run.ID, scoring.SubjectUnit, parent)
		if err != nil {
			h.fail(w, err)
			return
		}
		if len(found) == 0 {
			h.fail(w, badRequest{fmt.Sprintf("parent %s is not a unit of the tree of %s", parent, s.period.Label)})
			return
		}
	}
	results, err := h.store.Results(r.Context(), s.run.ID, subject, "")
	if err != nil {
		h.fail(w, err)
		return
	}
	rows, err := ranking.Rank(s.model, ranking.Peers(results, level, parent))
	if err != nil {
		h.fail(w, err)
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

// responseFormat reads ?format= or the Accept header: json (default), csv or xlsx.
func responseFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json", "csv":
		return f, nil
	case "xlsx":
		return f, nil
	case "":
	default:
		return "", badRequest{"format must be json, csv or xlsx"}
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		switch {
		case err != nil:
		case mt == "text/csv":
			return "csv", nil
		case mt == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
			return "xlsx", nil
		}
	}
	return "json", nil
}

// writeCSV writes the ranking for Excel/WPS: one row per subject, indicator
// values as decimals, empty cells where there is no rank, score or value.
func writeCSV(w http.ResponseWriter, rows []ranking.Row) {
	cw := csv.NewWriter(w)
	header := append([]string{"rank", "id", "name", "score", "grade"}, scoring.Indicators...)
	_ = cw.Write(header)
	for _, row := range rows {
		rec := []string{"", row.ID, row.Name, "", ""}
		if row.Rank != nil {
			rec[0], rec[3], rec[4] = fmt.Sprint(*row.Rank), string(row.Score), *row.Grade
		}
		for _, name := range scoring.Indicators {
			rec = append(rec, row.Indicators[name].Value)
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
}

// explanationJSON is the body of GET /v1/units/{id}/scores and /v1/cadres/{id}/scores.
type explanationJSON struct {
	Period string          `json:"period"`
	Model  string          `json:"model"`
	RunID  string          `json:"run_id"`
	Final  bool            `json:"final"`
	Kind   string          `json:"subject_kind"`
	ID     string          `json:"id"`
	Name   string          `json:"name"`
	Level  string          `json:"level"`
	Unit   string          `json:"unit"`
	Path   []string        `json:"path"`
	Rank   *int            `json:"rank"`
	Peers  int             `json:"peers"`
	Score  json.RawMessage `json:"score"`
	Grade  *string         `json:"grade"`
	Detail scoring.Detail  `json:"explanation"`
}

// explain answers the explanation of one subject: indicators with numerators
// and denominators, penalty items, tolerated errors and the cases behind every
// miss; rank and grade among the peers of its level in the whole tree.
func (h *handlers) explain(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		s, err := h.pickRun(r)
		if err != nil {
			h.fail(w, err)
			return
		}
		all, err := h.store.Results(r.Context(), s.run.ID, kind, "")
		if err != nil {
			h.fail(w, err)
			return
		}
		var me *store.Result
		for i := range all {
			if all[i].Subject == id {
				me = &all[i]
			}
		}
		if me == nil {
			h.fail(w, notFound{fmt.Sprintf("%s %s is not in the tree of %s", kind, id, s.period.Label)})
			return
		}
		peers := ranking.Peers(all, me.Level, "")
		rows, err := ranking.Rank(s.model, peers)
		if err != nil {
			h.fail(w, err)
			return
		}
		out := explanationJSON{Period: s.period.Label, Model: s.run.Model, RunID: s.run.ID, Final: s.final,
			Kind: kind, ID: id, Name: me.Name, Level: me.Level, Unit: me.Unit, Path: me.Path, Peers: len(peers), Score: json.RawMessage("null")}
		for _, row := range rows {
			if row.ID == id {
				out.Rank, out.Grade, out.Score = row.Rank, row.Grade, row.Score
			}
		}
		if err := json.Unmarshal([]byte(me.Detail), &out.Detail); err != nil {
			h.fail(w, err)
			return
		}
		obs.WriteJSON(w, http.StatusOK, out)
	}
}
