package main

import (
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strconv"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/services/api/internal/ranking"
)

// explanationJSON is the body of GET /v1/units/{id}/scores and /v1/cadres/{id}/scores.
type explanationJSON struct {
	Period string          `json:"period"`
	Model  string          `json:"model"`
	RunID  string          `json:"run_id"`
	Final  bool            `json:"final"`
	Status string          `json:"status"`
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
	// The peer group's median and best score and its top ten, among all the
	// peers of the level (SPEC §6: a viewer's explanation shows them too,
	// names of peers outside its subtree included); set by GET …/scores.
	PeerMedian json.RawMessage `json:"peer_median"`
	PeerBest   json.RawMessage `json:"peer_best"`
	PeerTop    []peerTopJSON   `json:"peer_top"`
	// Band and Labels are the subject's peer band (its rank counts within
	// it) and labels, for a model that declares them (docs/models.md).
	Band   string          `json:"band,omitempty"`
	Labels json.RawMessage `json:"labels,omitempty"`
	// Detail is what the explanation is made of; View what it shows.
	Detail scoring.Detail  `json:"-"`
	View   explanationView `json:"explanation"`
	ratios *scoring.Ratios
}

// explanationView is a subject's explanation (SPEC §5, §6): every indicator
// with its numerator, denominator, value, exact value, pending cases and
// weight; the penalty, its items and its cap; the tolerated errors with their
// decisions; the cases behind every miss. A score is recomputed from it
// alone: base = 100 × Σ weight × exact / Σ weight over the indicators with a
// value, penalty = min(cap, Σ points), score = max(0, base − penalty)
// rounded half up to hundredths.
type explanationView struct {
	Indicators     map[string]scoring.IndicatorExplanation `json:"indicators"`
	Base           string                                  `json:"base"`
	PenaltyPoints  int64                                   `json:"penalty_points"`
	Penalty        int64                                   `json:"penalty"`
	PenaltyCap     int64                                   `json:"penalty_cap"`
	PenaltyItems   []scoring.PenaltyItem                   `json:"penalty_items"`
	ToleratedItems []scoring.ToleratedError                `json:"tolerated_errors"`
	Misses         scoring.Misses                          `json:"misses"`
	ReopenedIssues []string                                `json:"reopened_issues"`
	Pending        scoring.PendingCounts                   `json:"pending"`
}

// view writes the explanation of a detail with the model's weights and cap:
// from the stored numbers for a placed run, from the detail's fractions for
// a run stored before (its review score's exact value is then the one shown).
func view(m *scoring.Model, d scoring.Detail, ratios *scoring.Ratios) explanationView {
	v := explanationView{Base: d.Base, PenaltyPoints: d.PenaltyPoints, Penalty: d.Penalty, PenaltyCap: m.PenaltyCap,
		PenaltyItems: d.PenaltyItems, ToleratedItems: d.ToleratedItems, Misses: d.Misses, ReopenedIssues: d.ReopenedIssues, Pending: d.Pending}
	if ratios != nil {
		v.Indicators = m.Explain(*ratios, d.Pending)
		return v
	}
	var r scoring.Ratios
	for i, name := range scoring.Indicators[:4] {
		f := d.Indicators[name]
		r.Num[i], _ = strconv.ParseInt(f.Num, 10, 64)
		r.Den[i], _ = strconv.ParseInt(f.Den, 10, 64)
	}
	if f := d.Indicators[scoring.ReviewScore]; f.Applicable() {
		r.ReviewNum, r.ReviewValue = f.Num, f.Value
		if x, ok := new(big.Rat).SetString(f.Num); ok {
			r.ReviewExact = x.Quo(x, big.NewRat(100, 1)).String()
		}
	}
	v.Indicators = m.Explain(r, d.Pending)
	return v
}

// explain answers the explanation of one subject: indicators with numerators
// and denominators, penalty items, tolerated errors and the cases behind every
// miss; rank and grade among the peers of its level in the whole tree.
func (h *handlers) explain(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := h.pickRun(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out, err := h.explanation(r, s, kind, r.PathValue("id"))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		stats, err := h.peerStats(r, s, kind, out.Level)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out.PeerMedian, out.PeerBest = jsonNumber(stats.Score.Median), jsonNumber(stats.Score.Best)
		out.PeerTop = make([]peerTopJSON, 0, len(stats.Top))
		for _, t := range stats.Top {
			out.PeerTop = append(out.PeerTop, peerTopJSON{Rank: t.Rank, ID: t.ID, Name: t.Name, Score: json.RawMessage(t.Score), Grade: t.Grade})
		}
		obs.WriteJSON(w, http.StatusOK, out)
	}
}

// peerTopJSON is one of the peer group's top ten in an explanation.
type peerTopJSON struct {
	Rank  int             `json:"rank"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Score json.RawMessage `json:"score"`
	Grade string          `json:"grade"`
}

// jsonNumber is a decimal as a JSON number, null when there is none (no
// scored peer).
func jsonNumber(decimal string) json.RawMessage {
	if decimal == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(decimal)
}

// explanation is the explanation of one subject in the served run, for a
// reader who may see it (403 otherwise, 404 for a subject not in the tree).
func (h *handlers) explanation(r *http.Request, s served, kind, id string) (explanationJSON, error) {
	if err := h.authorize(r, s, kind, id); err != nil {
		return explanationJSON{}, err
	}
	placed, err := h.store.HasScores(r.Context(), s.run.ID)
	if err != nil {
		return explanationJSON{}, err
	}
	var out explanationJSON
	if placed {
		out, err = h.explainPlaced(r, s, kind, id)
	} else {
		out, err = h.explainLegacy(r, s, kind, id)
	}
	if err != nil {
		return explanationJSON{}, err
	}
	// A run stores each case it lists once (result_cases), not in every
	// detail it counts for; runs stored before that have their lists in
	// the detail and no cases.
	cases, err := h.store.ResultCases(r.Context(), s.run.ID, kind, id)
	if err != nil {
		return explanationJSON{}, err
	}
	for _, c := range cases {
		out.Detail.AddCase(c)
	}
	out.Detail.SortLists()
	out.View = view(s.model, out.Detail, out.ratios)
	return out, nil
}

// explainPlaced reads the subject's placed row: its rank and grade among all
// the peers of its level were stored by the run.
func (h *handlers) explainPlaced(r *http.Request, s served, kind, id string) (explanationJSON, error) {
	me, err := h.store.ScoreOf(r.Context(), s.run.ID, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return explanationJSON{}, obs.Errorf(http.StatusNotFound, "%s %s is not in the tree of %s", kind, id, s.period.Label)
	} else if err != nil {
		return explanationJSON{}, err
	}
	peers, err := h.peers(r, s.run.ID, kind, me.Level)
	if err != nil {
		return explanationJSON{}, err
	}
	row := ranking.FromScore(me, me.Rank, me.Grade)
	return explanationJSON{Period: s.period.Label, Model: s.run.Model, RunID: s.run.ID, Final: s.final, Status: s.status,
		Kind: kind, ID: id, Name: me.Name, Level: me.Level, Unit: me.Unit, Path: me.Path, Peers: peers,
		Rank: row.Rank, Grade: row.Grade, Score: row.Score, Band: row.Band, Labels: row.Labels, ratios: &me.Ratios,
		Detail: scoring.Detail{Indicators: me.Ratios.Indicators(), Base: me.Base, PenaltyPoints: me.PenaltyPoints,
			Penalty: me.Penalty, Pending: me.Pending}}, nil
}

// explainLegacy ranks the subject among its peers at read time, for a run
// stored before runs placed their results.
func (h *handlers) explainLegacy(r *http.Request, s served, kind, id string) (explanationJSON, error) {
	all, err := h.store.Results(r.Context(), s.run.ID, kind, "")
	if err != nil {
		return explanationJSON{}, err
	}
	var me *store.Result
	for i := range all {
		if all[i].Subject == id {
			me = &all[i]
		}
	}
	if me == nil {
		return explanationJSON{}, obs.Errorf(http.StatusNotFound, "%s %s is not in the tree of %s", kind, id, s.period.Label)
	}
	peers := ranking.Peers(all, me.Level, "")
	rows, err := ranking.Rank(s.model, peers)
	if err != nil {
		return explanationJSON{}, err
	}
	out := explanationJSON{Period: s.period.Label, Model: s.run.Model, RunID: s.run.ID, Final: s.final, Status: s.status,
		Kind: kind, ID: id, Name: me.Name, Level: me.Level, Unit: me.Unit, Path: me.Path, Peers: len(peers), Score: json.RawMessage("null")}
	for _, row := range rows {
		if row.ID == id {
			out.Rank, out.Grade, out.Score = row.Rank, row.Grade, row.Score
		}
	}
	if err := json.Unmarshal([]byte(me.Detail), &out.Detail); err != nil {
		return explanationJSON{}, err
	}
	return out, nil
}
