package store

import (
	"cmp"
	"context"
	"fmt"

	"kaoping/pkg/event"
	"kaoping/pkg/scoring"
)

// CaseWriter stores the cases a run's explanations list (scoring.CaseResult)
// in batches while the run goes on, one insert at a time in the background,
// so the run holds a batch, not every miss of the period.
type CaseWriter struct {
	s       *Store
	ctx     context.Context
	runID   string
	size    int
	buf     []scoring.CaseResult
	batches chan []scoring.CaseResult
	done    chan error
	n       int
}

// NewCaseWriter starts writing the cases of run runID in batches of size.
func (s *Store) NewCaseWriter(ctx context.Context, runID string, size int) *CaseWriter {
	if size <= 0 {
		size = 100_000
	}
	w := &CaseWriter{s: s, ctx: ctx, runID: runID, size: size, batches: make(chan []scoring.CaseResult, 1), done: make(chan error, 1)}
	go func() {
		var err error
		for b := range w.batches {
			if err == nil {
				err = s.saveResultCases(ctx, runID, b)
			}
		}
		w.done <- err
	}()
	return w
}

// Add queues one case.
func (w *CaseWriter) Add(c scoring.CaseResult) {
	w.buf = append(w.buf, c)
	w.n++
	if len(w.buf) == w.size {
		w.batches <- w.buf
		w.buf = make([]scoring.CaseResult, 0, w.size)
	}
}

// Close stores what is queued and reports the first error of any batch, and
// the number of cases written.
func (w *CaseWriter) Close() (int, error) {
	if len(w.buf) > 0 {
		w.batches <- w.buf
		w.buf = nil
	}
	close(w.batches)
	return w.n, <-w.done
}

func (s *Store) saveResultCases(ctx context.Context, runID string, cases []scoring.CaseResult) error {
	n := len(cases)
	run, kind, id, unit, cadre, severity, decision := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	late, unresolved, dissatisfied, overdue, tolerated, reopened := make([]uint8, n), make([]uint8, n), make([]uint8, n), make([]uint8, n), make([]uint8, n), make([]uint8, n)
	points := make([]int64, n)
	// In the order of the table's key (run_id, unit, case_kind, case_id).
	order := inKeyOrder(n, func(a, b int) int {
		x, y := &cases[a], &cases[b]
		return cmp.Or(cmp.Compare(x.Unit, y.Unit), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.ID, y.ID))
	})
	for i, at := range order {
		c := &cases[at]
		run[i], kind[i], id[i], unit[i], cadre[i], severity[i], decision[i] = runID, string(c.Kind), c.ID, c.Unit, c.Cadre, c.Severity, c.DecisionID
		late[i], unresolved[i], dissatisfied[i], overdue[i], tolerated[i] = u8(c.LateResponse), u8(c.Unresolved), u8(c.Dissatisfied), u8(c.Overdue), u8(c.Tolerated)
		points[i], reopened[i] = c.Points, u8(c.Reopened)
	}
	return s.insertColumns(ctx, qInsertResultCases, run, kind, id, unit, cadre, late, unresolved, dissatisfied, overdue, severity, points, tolerated, decision, reopened)
}

func u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// ResultCases returns the cases of a run that count for one subject: for a
// unit, the cases of every unit in its subtree of the run's tree; for a cadre,
// the cases naming them; with kind "", every case of the run, ordered.
func (s *Store) ResultCases(ctx context.Context, runID, kind, subject string) ([]scoring.CaseResult, error) {
	q, args := qUnitCases, []any{runID, runID, subject}
	switch kind {
	case scoring.SubjectCadre:
		q, args = qCadreCases, []any{runID, subject}
	case "":
		q, args = qRunCases, []any{runID}
	}
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query result cases: %w", err)
	}
	defer rows.Close()
	var out []scoring.CaseResult
	for rows.Next() {
		var c scoring.CaseResult
		var run, caseKind string
		var late, unresolved, dissatisfied, overdue, tolerated, reopened uint8
		if err := rows.Scan(&run, &caseKind, &c.ID, &c.Unit, &c.Cadre, &late, &unresolved, &dissatisfied, &overdue,
			&c.Severity, &c.Points, &tolerated, &c.DecisionID, &reopened); err != nil {
			return nil, fmt.Errorf("scan result case: %w", err)
		}
		c.Kind = event.Kind(caseKind)
		c.LateResponse, c.Unresolved, c.Dissatisfied, c.Overdue, c.Tolerated, c.Reopened = late == 1, unresolved == 1, dissatisfied == 1, overdue == 1, tolerated == 1, reopened == 1
		out = append(out, c)
	}
	return out, rows.Err()
}
