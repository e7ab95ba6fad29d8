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
	n := len(records)
	strs := func(f func(*event.Record) string) []string {
		out := make([]string, n)
		for i, r := range records {
			out[i] = f(r)
		}
		return out
	}
	ints := func(f func(*event.Record) int64) []int64 {
		out := make([]int64, n)
		for i, r := range records {
			out[i] = f(r)
		}
		return out
	}
	seqs, pos, resolved, rating := make([]uint64, n), make([]uint32, n), make([]uint8, n), make([]uint8, n)
	for i, r := range records {
		seqs[i], pos[i], rating[i] = r.StreamSeq, r.MsgPos, r.Rating
		if r.Resolved {
			resolved[i] = 1
		}
	}
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
