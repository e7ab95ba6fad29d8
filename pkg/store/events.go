package store

import (
	"context"
	"fmt"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// InsertEvents writes records in one native batch. A failed insert may be
// retried with the same records: duplicates are harmless, queries keep the
// first copy.
func (s *Store) InsertEvents(ctx context.Context, records []event.Record) error {
	if len(records) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, qInsertEvents)
	if err != nil {
		return fmt.Errorf("prepare events batch: %w", err)
	}
	for _, r := range records {
		var resolved uint8
		if r.Resolved {
			resolved = 1
		}
		if err := batch.Append(r.Source, r.ID, r.Type, r.TimeNs, r.IngestNs, r.StreamSeq, r.MsgPos, r.CaseID, r.PeriodNs,
			r.Unit, r.Cadre, r.Name, r.Level, r.Parent, r.Position, r.Category, r.List, r.Severity, r.Reason,
			r.ResponseDueNs, r.ResolveDueNs, r.DueNs, resolved, r.Rating,
			r.DecisionID, r.Basis, r.Summary, r.SubjectKind, r.Subject, r.ReviewPeriod, r.RaterGroup, r.Score, r.Raw); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("append event %s: %w", r.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d events: %w", len(records), err)
	}
	return nil
}

// PeriodEvents returns every stored copy, up to stream sequence highWater, of
// the events that may concern period p (see qPeriodEvents), in stream order.
func (s *Store) PeriodEvents(ctx context.Context, p period.Period, highWater uint64) ([]event.Record, error) {
	start, end := p.StartNs(), p.EndNs()
	rows, err := s.conn.Query(ctx, qPeriodEvents,
		highWater, highWater, end,
		highWater, start, end,
		highWater, start, end,
		highWater, start, end,
		highWater, p.Label)
	if err != nil {
		return nil, fmt.Errorf("query events of %s: %w", p.Label, err)
	}
	defer rows.Close()
	var out []event.Record
	for rows.Next() {
		var r event.Record
		var resolved uint8
		if err := rows.Scan(&r.Source, &r.ID, &r.Type, &r.TimeNs, &r.IngestNs, &r.StreamSeq, &r.MsgPos, &r.CaseID, &r.PeriodNs,
			&r.Unit, &r.Cadre, &r.Name, &r.Level, &r.Parent, &r.Position, &r.Category, &r.List, &r.Severity, &r.Reason,
			&r.ResponseDueNs, &r.ResolveDueNs, &r.DueNs, &resolved, &r.Rating,
			&r.DecisionID, &r.Basis, &r.Summary, &r.SubjectKind, &r.Subject, &r.ReviewPeriod, &r.RaterGroup, &r.Score, &r.Raw); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		r.Resolved = resolved == 1
		out = append(out, r)
	}
	return out, rows.Err()
}

// CountEvents is the number of distinct events stored.
func (s *Store) CountEvents(ctx context.Context) (uint64, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, qCountEvents).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
