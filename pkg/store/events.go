package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

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
	block := make([]*event.Record, 0, min(n, insertBlockRows))
	sent := 0
	flush := func() error {
		if err := appendBlock(batch, block, sent == 0); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("%w (block of %d events)", err, len(block))
		}
		sent += len(block)
		block = block[:0]
		if sent == n {
			return nil
		}
		if err := batch.Flush(); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("insert %d events: send a block: %w", n, err)
		}
		return nil
	}
	for _, c := range chunks {
		for j := range c {
			if block = append(block, &c[j]); len(block) == insertBlockRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if len(block) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d events: %w", n, err)
	}
	return nil
}

// insertBlockRows is the most records encoded at once. A larger insert is
// sent as blocks of this many in one INSERT, which the server gathers into one
// part (min_insert_block_size_rows): ClickHouse pays much of its insert cost
// per part (storing 196,000 events as 20 inserts of 10,000 cost it 0.9–1.8 s
// of CPU, as one insert 0.4 s), while the client's column buffers stay the
// size of a block and serve every block.
const insertBlockRows = 10000

// appendBlock appends records to the batch's columns, a slice per column and
// no per-value boxing (the aggregator's hot path); fresh is true for the
// first block of a batch, whose columns are still empty.
func appendBlock(batch driver.Batch, records []*event.Record, fresh bool) error {
	// In the order of eventColumns.
	columns := []any{
		valuesOf(records, func(r *event.Record) string { return r.Source }),
		valuesOf(records, func(r *event.Record) string { return r.ID }),
		valuesOf(records, func(r *event.Record) string { return r.Type }),
		valuesOf(records, func(r *event.Record) int64 { return r.TimeNs }),
		valuesOf(records, func(r *event.Record) int64 { return r.IngestNs }),
		valuesOf(records, func(r *event.Record) uint64 { return r.StreamSeq }),
		valuesOf(records, func(r *event.Record) uint32 { return r.MsgPos }),
		valuesOf(records, func(r *event.Record) string { return r.CaseID }),
		valuesOf(records, func(r *event.Record) int64 { return r.PeriodNs }),
		valuesOf(records, func(r *event.Record) string { return r.Unit }),
		valuesOf(records, func(r *event.Record) string { return r.Cadre }),
		valuesOf(records, func(r *event.Record) string { return r.Name }),
		valuesOf(records, func(r *event.Record) string { return r.Level }),
		valuesOf(records, func(r *event.Record) string { return r.Parent }),
		valuesOf(records, func(r *event.Record) string { return r.Position }),
		valuesOf(records, func(r *event.Record) string { return r.Category }),
		valuesOf(records, func(r *event.Record) string { return r.List }),
		valuesOf(records, func(r *event.Record) string { return r.Severity }),
		valuesOf(records, func(r *event.Record) string { return r.Reason }),
		valuesOf(records, func(r *event.Record) int64 { return r.ResponseDueNs }),
		valuesOf(records, func(r *event.Record) int64 { return r.ResolveDueNs }),
		valuesOf(records, func(r *event.Record) int64 { return r.DueNs }),
		valuesOf(records, func(r *event.Record) uint8 { return u8(r.Resolved) }),
		valuesOf(records, func(r *event.Record) uint8 { return r.Rating }),
		valuesOf(records, func(r *event.Record) string { return r.DecisionID }),
		valuesOf(records, func(r *event.Record) string { return r.Basis }),
		valuesOf(records, func(r *event.Record) string { return r.Summary }),
		valuesOf(records, func(r *event.Record) string { return r.SubjectKind }),
		valuesOf(records, func(r *event.Record) string { return r.Subject }),
		valuesOf(records, func(r *event.Record) string { return r.ReviewPeriod }),
		valuesOf(records, func(r *event.Record) string { return r.RaterGroup }),
		valuesOf(records, func(r *event.Record) string { return r.Score }),
		valuesOf(records, func(r *event.Record) string { return r.Raw }),
	}
	if fresh {
		reserveStrings(batch.Columns(), columns)
	}
	for i, col := range columns {
		if err := batch.Column(i).Append(col); err != nil {
			return fmt.Errorf("append column %d: %w", i, err)
		}
	}
	return nil
}

// valuesOf is one column of a block: f of every record, in order.
func valuesOf[T any](records []*event.Record, f func(*event.Record) T) []T {
	out := make([]T, len(records))
	for i, r := range records {
		out[i] = f(r)
	}
	return out
}

// reserveStrings gives each String column of a fresh batch the capacity its
// values need before they are appended. A column's buffer otherwise grows by
// append, copying its bytes some four times over (Go grows large slices by a
// quarter) and leaving the garbage to collect: 40% of the aggregator's insert
// CPU. clickhouse-go has no way to reserve, but a column's Reset keeps its
// capacity: one padding value of the total length is appended and reset.
func reserveStrings(cols []column.Interface, values []any) {
	longest := 0
	totals := make([]int, len(values))
	for i, v := range values {
		if strs, ok := v.([]string); ok {
			for _, s := range strs {
				totals[i] += len(s)
			}
			longest = max(longest, totals[i])
		}
	}
	if longest == 0 || len(cols) != len(values) {
		return
	}
	padding := strings.Repeat("\x00", longest)
	for i, total := range totals {
		if total > 0 {
			if _, err := cols[i].Append([]string{padding[:total]}); err == nil {
				cols[i].Reset()
			}
		}
	}
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
