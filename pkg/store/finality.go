package store

import (
	"context"
	"fmt"
	"time"

	"kaoping/pkg/scoring"
)

// Finalize records a finalisation of a period for a model: the run frozen
// and how it came. The earliest finalisation counts (scoring.FinalOf).
func (s *Store) Finalize(ctx context.Context, period, model, principal string, f scoring.Finalization) error {
	batch, err := s.conn.PrepareBatch(ctx, qInsertFinalization)
	if err != nil {
		return fmt.Errorf("prepare finalization: %w", err)
	}
	if err := batch.Append(period, f.AtNs, principal, f.RunID, model, f.How); err != nil {
		_ = batch.Abort()
		return err
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("finalize %s: %w", period, err)
	}
	return nil
}

// Finalizations returns a period's finalisations for a model, oldest first.
func (s *Store) Finalizations(ctx context.Context, period, model string) ([]scoring.Finalization, error) {
	rows, err := s.conn.Query(ctx, qFinalizations, period, model)
	if err != nil {
		return nil, fmt.Errorf("finalizations of %s: %w", period, err)
	}
	defer rows.Close()
	var out []scoring.Finalization
	for rows.Next() {
		var f scoring.Finalization
		if err := rows.Scan(&f.AtNs, &f.RunID, &f.How); err != nil {
			return nil, fmt.Errorf("scan finalization: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// RunPeriods lists the periods that have runs of a model.
func (s *Store) RunPeriods(ctx context.Context, model string) ([]string, error) {
	rows, err := s.conn.Query(ctx, qRunPeriods, model)
	if err != nil {
		return nil, fmt.Errorf("periods with runs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SaveDiff stores a run's diff against another (its answer's JSON).
func (s *Store) SaveDiff(ctx context.Context, runID, against string, body []byte) error {
	batch, err := s.conn.PrepareBatch(ctx, qInsertDiff)
	if err != nil {
		return fmt.Errorf("prepare diff: %w", err)
	}
	if err := batch.Append(runID, against, string(body), time.Now().UnixNano()); err != nil {
		_ = batch.Abort()
		return err
	}
	return batch.Send()
}

// Diff returns a run's stored diff, or ErrNotFound.
func (s *Store) Diff(ctx context.Context, runID string) (against string, body []byte, err error) {
	var b string
	if err := s.conn.QueryRow(ctx, qDiff, runID).Scan(&against, &b); err != nil {
		if isNoRows(err) {
			return "", nil, fmt.Errorf("diff of %s: %w", runID, ErrNotFound)
		}
		return "", nil, fmt.Errorf("diff of %s: %w", runID, err)
	}
	return against, []byte(b), nil
}
