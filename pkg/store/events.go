package store

import (
	"context"
	"fmt"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// InsertEvents writes records (in one or more slices, so a caller need not
// copy them into one) in one native batch, column by column: a slice per
// column, no per-value boxing (the aggregator's hot path). A failed insert may
// be retried with the same records: duplicates are harmless, queries keep the
// first copy.
func (s *Store) InsertEvents(ctx context.Context, records ...[]event.Record) error {
	return s.insertEvents(ctx, qInsertEvents, records)
}

func (s *Store) insertEvents(ctx context.Context, insert string, chunks [][]event.Record) error {
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	if n == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, insert)
	if err != nil {
		return fmt.Errorf("prepare events batch: %w", err)
	}
	each := func(f func(i int, r *event.Record)) {
		i := 0
		for _, c := range chunks {
			for j := range c {
				f(i, &c[j])
				i++
			}
		}
	}
	strs := func(f func(*event.Record) string) []string {
		out := make([]string, n)
		each(func(i int, r *event.Record) { out[i] = f(r) })
		return out
	}
	ints := func(f func(*event.Record) int64) []int64 {
		out := make([]int64, n)
		each(func(i int, r *event.Record) { out[i] = f(r) })
		return out
	}
	seqs, pos, resolved, rating := make([]uint64, n), make([]uint32, n), make([]uint8, n), make([]uint8, n)
	each(func(i int, r *event.Record) {
		seqs[i], pos[i], rating[i] = r.StreamSeq, r.MsgPos, r.Rating
		if r.Resolved {
			resolved[i] = 1
		}
	})
	// In the order of eventColumns.
	columns := []any{
		strs(func(r *event.Record) string { return r.Source }),
		strs(func(r *event.Record) string { return r.ID }),
		strs(func(r *event.Record) string { return r.Type }),
		ints(func(r *event.Record) int64 { return r.TimeNs }),
		ints(func(r *event.Record) int64 { return r.IngestNs }),
		seqs, pos,
		strs(func(r *event.Record) string { return r.CaseID }),
		ints(func(r *event.Record) int64 { return r.PeriodNs }),
		strs(func(r *event.Record) string { return r.Unit }),
		strs(func(r *event.Record) string { return r.Cadre }),
		strs(func(r *event.Record) string { return r.Name }),
		strs(func(r *event.Record) string { return r.Level }),
		strs(func(r *event.Record) string { return r.Parent }),
		strs(func(r *event.Record) string { return r.Position }),
		strs(func(r *event.Record) string { return r.Category }),
		strs(func(r *event.Record) string { return r.List }),
		strs(func(r *event.Record) string { return r.Severity }),
		strs(func(r *event.Record) string { return r.Reason }),
		ints(func(r *event.Record) int64 { return r.ResponseDueNs }),
		ints(func(r *event.Record) int64 { return r.ResolveDueNs }),
		ints(func(r *event.Record) int64 { return r.DueNs }),
		resolved, rating,
		strs(func(r *event.Record) string { return r.DecisionID }),
		strs(func(r *event.Record) string { return r.Basis }),
		strs(func(r *event.Record) string { return r.Summary }),
		strs(func(r *event.Record) string { return r.SubjectKind }),
		strs(func(r *event.Record) string { return r.Subject }),
		strs(func(r *event.Record) string { return r.ReviewPeriod }),
		strs(func(r *event.Record) string { return r.RaterGroup }),
		strs(func(r *event.Record) string { return r.Score }),
		strs(func(r *event.Record) string { return r.Raw }),
	}
	for i, col := range columns {
		if err := batch.Column(i).Append(col); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("append column %d of %d events: %w", i, n, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d events: %w", n, err)
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
