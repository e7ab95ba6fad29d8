package main

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/services/api/internal/ranking"
	"kaoping/services/api/internal/text"
)

// rankingJSON is the body of GET /v1/rankings.
type rankingJSON struct {
	Period  string  `json:"period"`
	Model   string  `json:"model"`
	RunID   string  `json:"run_id"`
	Final   bool    `json:"final"`
	Status  string  `json:"status"`
	Subject string  `json:"subject"`
	Level   string  `json:"level"`
	Parent  *string `json:"parent"`
	// Total is the number of peers, when the rows are paged.
	Total *int          `json:"total,omitempty"`
	Rows  []ranking.Row `json:"rows"`
}

// page is the window of rows a request asks for: limit=N and offset=K
// (SPEC §6); without them, every row.
type page struct {
	paged         bool
	offset, limit int
}

func readPage(q map[string][]string) (page, error) {
	p := page{limit: -1}
	for _, f := range []struct {
		name string
		v    *int
		min  int
	}{{"limit", &p.limit, 1}, {"offset", &p.offset, 0}} {
		vs, ok := q[f.name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(vs[0])
		if err != nil || n < f.min || len(vs) > 1 {
			return p, obs.Errorf(http.StatusBadRequest, "%s must be an integer of at least %d", f.name, f.min)
		}
		*f.v, p.paged = n, true
	}
	return p, nil
}

// window is the part [from, to) of total rows the page covers.
func (p page) window(total int) (from, to int) {
	from = min(p.offset, total)
	if p.limit < 0 {
		return from, total
	}
	return from, min(total, from+p.limit)
}

func (h *handlers) rankings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	subject := q.Get("subject")
	if subject == "" {
		subject = scoring.SubjectUnit
	}
	level, parent := q.Get("level"), q.Get("parent")
	format, err := responseFormat(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg, err := readPage(q)
	switch {
	case err != nil:
		h.fail(w, r, err)
		return
	case subject != scoring.SubjectUnit && subject != scoring.SubjectCadre:
		h.fail(w, r, obs.Errorf(http.StatusBadRequest, "subject must be unit or cadre"))
		return
	case format == "xlsx" && (level == "" || level == "all"):
		// A workbook may hold every level, one sheet each (docs/pages.md).
	case !ranking.ValidLevel(level):
		h.fail(w, r, obs.Errorf(http.StatusBadRequest, "%s", "level must be one of "+strings.Join(ranking.Levels, ", ")))
		return
	case q.Has("parent") && parent == "":
		h.fail(w, r, obs.Errorf(http.StatusBadRequest, "parent must be a unit id"))
		return
	}
	if format != "json" {
		pg = page{limit: -1} // downloads are never paged
	}
	s, err := h.pickRun(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if parent, err = h.rankingParent(r, s, parent); err != nil {
		h.fail(w, r, err)
		return
	}
	body := rankingJSON{Period: s.period.Label, Model: s.run.Model, RunID: s.run.ID, Final: s.final, Status: s.status, Subject: subject, Level: level}
	if parent != "" {
		body.Parent = &parent
	}
	if format == "json" {
		// Whole rankings are kept as answers too: the street ranking of a
		// province is 600 kB, and 200 readers a second should not each make
		// it again. A page of 100 rows is made from the blocks kept.
		key := pageKey{run: s.run.ID, subject: subject, level: level, parent: parent, answer: true, status: s.status, final: s.final}
		if a, ok := h.pages.get(key); ok && !pg.paged {
			writeJSONBody(w, a.rows[0])
			return
		}
		rows, total, err := h.jsonRows(r, s, subject, level, parent, pg)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		b := rankingBody(body, pg.paged, rows, total)
		if !pg.paged {
			h.pages.put(cachedRows{key: key, rows: [][]byte{b}, total: total})
		}
		writeJSONBody(w, b)
		return
	}
	levels := []string{level}
	if level == "" || level == "all" {
		level, levels = "all", ranking.Levels
	}
	var sheets []levelRows
	for _, l := range levels {
		rows, _, err := h.rankingRows(r, s, subject, l, parent, pg)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(rows) > 0 || len(levels) == 1 {
			sheets = append(sheets, levelRows{level: l, rows: rows})
		}
	}
	name := fmt.Sprintf("rankings-%s-%s-%s", s.period.Label, subject, level)
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".csv"}))
		writeCSV(w, sheets[0].rows)
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".xlsx"}))
		if err := writeXLSX(w, text.FromQuery(q), s, subject, parent, sheets); err != nil {
			h.log.Error("xlsx not written", "err", err)
		}
	}
}

// jsonRows returns the encoded rows of a page and the number of peers. The
// placed rows of a level are read and kept in blocks of blockRows, a page
// taking its rows from the blocks it spans; a subtree's ranking (ranked anew)
// and a run ranked at read time are kept page by page.
func (h *handlers) jsonRows(r *http.Request, s served, subject, level, parent string, pg page) ([][]byte, int, error) {
	if parent == "" {
		total, err := h.peers(r, s.run.ID, subject, level)
		if err != nil {
			return nil, 0, err
		}
		if total > 0 {
			from, to := pg.window(total)
			var rows [][]byte
			for b := from / blockRows; b*blockRows < to; b++ {
				block, err := h.block(r, s.run.ID, subject, level, b, total)
				if err != nil {
					return nil, 0, err
				}
				lo, hi := max(from-b*blockRows, 0), min(to-b*blockRows, len(block.rows))
				rows = append(rows, block.rows[lo:hi]...)
			}
			return rows, total, nil
		}
	}
	from, to := pg.window(1 << 31)
	key := pageKey{run: s.run.ID, subject: subject, level: level, parent: parent, from: from, to: to}
	if p, ok := h.pages.get(key); ok {
		return p.rows, p.total, nil
	}
	rows, total, err := h.rankingRows(r, s, subject, level, parent, pg)
	if err != nil {
		return nil, 0, err
	}
	p := encode(key, rows, total)
	h.pages.put(p)
	return p.rows, total, nil
}

// block returns the b-th block of a level's placed rows, from the cache or
// read whole (once, however many readers ask for it at the same time).
func (h *handlers) block(r *http.Request, runID, subject, level string, b, total int) (cachedRows, error) {
	key := pageKey{run: runID, subject: subject, level: level, from: b * blockRows, to: (b + 1) * blockRows}
	if p, ok := h.pages.get(key); ok {
		return p, nil
	}
	return h.reads.do(key, func() (cachedRows, error) {
		if p, ok := h.pages.get(key); ok {
			return p, nil
		}
		placed, err := h.store.ScorePage(r.Context(), runID, subject, level, key.from, key.to)
		if err != nil {
			return cachedRows{}, err
		}
		p := cachedRows{key: key, rows: make([][]byte, len(placed)), total: total}
		for i, x := range placed {
			p.rows[i] = ranking.AppendScore(nil, x, x.Rank, x.Grade)
		}
		h.pages.put(p)
		return p, nil
	})
}

// rankingRows reads the rows of a page and the number of peers: placed rows
// of the whole level, a subtree ranked anew, or, for a run stored before runs
// placed their results, a ranking made at read time.
func (h *handlers) rankingRows(r *http.Request, s served, subject, level, parent string, pg page) ([]ranking.Row, int, error) {
	var rows []ranking.Row
	var total int
	var err error
	if parent == "" {
		rows, total, err = h.levelRanking(r, s, subject, level, pg)
	} else {
		rows, total, err = h.subtreeRanking(r, s, subject, level, parent, pg)
	}
	if err != nil || total > 0 {
		return rows, total, err
	}
	// Nothing placed: the level is empty, or the run is ranked at read time.
	placed, err := h.store.HasScores(r.Context(), s.run.ID)
	if err != nil || placed {
		return rows, total, err
	}
	rows, err = h.legacyRanking(r, s, subject, level, parent)
	if err != nil {
		return nil, 0, err
	}
	from, to := pg.window(len(rows))
	return rows[from:to], len(rows), nil
}

// levelRanking reads the rows of one page of a level: the run placed them
// among all the peers of the level, so only the page's rows are read.
func (h *handlers) levelRanking(r *http.Request, s served, subject, level string, pg page) ([]ranking.Row, int, error) {
	total, err := h.peers(r, s.run.ID, subject, level)
	if err != nil {
		return nil, 0, err
	}
	from, to := pg.window(total)
	if from == to {
		return nil, total, nil
	}
	placed, err := h.store.ScorePage(r.Context(), s.run.ID, subject, level, from, to)
	if err != nil {
		return nil, 0, err
	}
	rows := make([]ranking.Row, len(placed))
	for i, x := range placed {
		rows[i] = ranking.FromScore(x, x.Rank, x.Grade)
	}
	return rows, total, nil
}

// peers is the number of peers of a level in a run, counted once: a run's
// results never change.
func (h *handlers) peers(r *http.Request, runID, subject, level string) (int, error) {
	key := [3]string{runID, subject, level}
	if n, ok := h.levels.Load(key); ok {
		return n.(int), nil
	}
	n, err := h.store.ScorePeers(r.Context(), runID, subject, level)
	if err == nil && n > 0 {
		h.levels.Store(key, n)
	}
	return n, err
}

// subtreeRanking ranks the peers of a level inside parent's subtree anew
// (ranks and the excellent quota are those of the narrowed peers, SPEC §5):
// it reads the narrow rows of the subtree, ranks them, and reads the page's
// rows whole.
func (h *handlers) subtreeRanking(r *http.Request, s served, subject, level, parent string, pg page) ([]ranking.Row, int, error) {
	if _, err := h.store.ScoreOf(r.Context(), s.run.ID, scoring.SubjectUnit, parent); errors.Is(err, store.ErrNotFound) {
		if placed, err := h.store.HasScores(r.Context(), s.run.ID); err != nil || !placed {
			return nil, 0, err // a run ranked at read time (legacyRanking) checks parent itself
		}
		return nil, 0, obs.Errorf(http.StatusBadRequest, "parent %s is not a unit of the tree of %s", parent, s.period.Label)
	} else if err != nil {
		return nil, 0, err
	}
	entries, err := h.store.SubtreeEntries(r.Context(), s.run.ID, subject, level, parent)
	if err != nil {
		return nil, 0, err
	}
	ranked := s.model.Rank(entries)
	from, to := pg.window(len(ranked))
	ranked = ranked[from:to]
	ids := make([]string, len(ranked))
	for i, x := range ranked {
		ids[i] = x.ID
	}
	placed, err := h.store.ScoresIn(r.Context(), s.run.ID, subject, level, ids)
	if err != nil {
		return nil, 0, err
	}
	byID := make(map[string]store.ScoreRow, len(placed))
	for _, x := range placed {
		byID[x.Subject] = x
	}
	rows := make([]ranking.Row, len(ranked))
	for i, x := range ranked {
		rows[i] = ranking.FromScore(byID[x.ID], x.Rank, x.Grade)
	}
	return rows, len(entries), nil
}

// legacyRanking ranks at read time from the results of a run stored before
// runs placed their results (table results).
func (h *handlers) legacyRanking(r *http.Request, s served, subject, level, parent string) ([]ranking.Row, error) {
	if parent != "" {
		found, err := h.store.Results(r.Context(), s.run.ID, scoring.SubjectUnit, parent)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, obs.Errorf(http.StatusBadRequest, "parent %s is not a unit of the tree of %s", parent, s.period.Label)
		}
	}
	results, err := h.store.Results(r.Context(), s.run.ID, subject, "")
	if err != nil {
		return nil, err
	}
	return ranking.Rank(s.model, ranking.Peers(results, level, parent))
}
