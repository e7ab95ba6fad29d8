package store

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
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
		if err := appendBlock(batch, block); err != nil {
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

// insertBlockRows is the most records encoded at once (4,000 took less of
// the client's CPU than 10,000: their records and bodies stay in the cache
// while their columns are written). A larger insert is sent as blocks of this
// many in one INSERT, which the server gathers into one
// part (min_insert_block_size_rows): ClickHouse pays much of its insert cost
// per part (storing 196,000 events as 20 inserts of 10,000 cost it 0.9–1.8 s
// of CPU, as one insert 0.4 s), while the client's column buffers stay the
// size of a block and serve every block.
const insertBlockRows = 4000

// appendBlock appends records to the batch's columns, in the order of
// eventColumns: the String columns written in place, row by row (fillRows),
// any other as a slice of its values (no per-value boxing).
func appendBlock(batch driver.Batch, records []*event.Record) error {
	cols := batch.Columns()
	if len(cols) != len(eventFields) {
		return fmt.Errorf("the insert has %d columns, events %d", len(cols), len(eventFields))
	}
	var dsts []*proto.ColStr
	var strs []func(*event.Record) string
	for i, f := range eventFields {
		if f.str != nil {
			if dst := colStrOf(cols[i]); dst != nil {
				dsts, strs = append(dsts, dst), append(strs, f.str)
				continue
			}
		}
		if err := batch.Column(i).Append(f.of(records)); err != nil {
			return fmt.Errorf("append column %d: %w", i, err)
		}
	}
	fillRows(dsts, strs, records)
	return nil
}

// eventField is how one column of eventColumns is read off a record: str
// for a String column, values for any other.
type eventField struct {
	str    func(*event.Record) string
	values func([]*event.Record) any
}

func stringField(f func(*event.Record) string) eventField { return eventField{str: f} }

// of is the field of every record, as a slice for the client's Append.
func (f eventField) of(records []*event.Record) any {
	if f.str != nil {
		return valuesOf(records, f.str)
	}
	return f.values(records)
}

func valueField[T any](f func(*event.Record) T) eventField {
	return eventField{values: func(rs []*event.Record) any { return valuesOf(rs, f) }}
}

// eventFields are the columns of eventColumns, in its order.
var eventFields = []eventField{
	stringField(func(r *event.Record) string { return r.Source }),
	stringField(func(r *event.Record) string { return r.ID }),
	stringField(func(r *event.Record) string { return r.Type }),
	valueField(func(r *event.Record) int64 { return r.TimeNs }),
	valueField(func(r *event.Record) int64 { return r.IngestNs }),
	valueField(func(r *event.Record) uint64 { return r.StreamSeq }),
	valueField(func(r *event.Record) uint32 { return r.MsgPos }),
	stringField(func(r *event.Record) string { return r.CaseID }),
	valueField(func(r *event.Record) int64 { return r.PeriodNs }),
	stringField(func(r *event.Record) string { return r.Unit }),
	stringField(func(r *event.Record) string { return r.Cadre }),
	stringField(func(r *event.Record) string { return r.Name }),
	stringField(func(r *event.Record) string { return r.Level }),
	stringField(func(r *event.Record) string { return r.Parent }),
	stringField(func(r *event.Record) string { return r.Position }),
	stringField(func(r *event.Record) string { return r.Category }),
	stringField(func(r *event.Record) string { return r.List }),
	stringField(func(r *event.Record) string { return r.Severity }),
	stringField(func(r *event.Record) string { return r.Reason }),
	valueField(func(r *event.Record) int64 { return r.ResponseDueNs }),
	valueField(func(r *event.Record) int64 { return r.ResolveDueNs }),
	valueField(func(r *event.Record) int64 { return r.DueNs }),
	valueField(func(r *event.Record) uint8 { return u8(r.Resolved) }),
	valueField(func(r *event.Record) uint8 { return r.Rating }),
	stringField(func(r *event.Record) string { return r.DecisionID }),
	stringField(func(r *event.Record) string { return r.Basis }),
	stringField(func(r *event.Record) string { return r.Summary }),
	stringField(func(r *event.Record) string { return r.SubjectKind }),
	stringField(func(r *event.Record) string { return r.Subject }),
	stringField(func(r *event.Record) string { return r.ReviewPeriod }),
	stringField(func(r *event.Record) string { return r.RaterGroup }),
	stringField(func(r *event.Record) string { return r.Score }),
	stringField(func(r *event.Record) string { return r.Raw }),
}

// valuesOf is one column of a block: f of every record, in order.
func valuesOf[T any](records []*event.Record, f func(*event.Record) T) []T {
	out := make([]T, len(records))
	for i, r := range records {
		out[i] = f(r)
	}
	return out
}

// fillRows appends fields[k] of each element to the String column dsts[k],
// each buffer grown once to the size its values need. It goes row by row,
// every field of an element before the next element: the aggregator's
// records and the message bodies their strings lie in are then read once, in
// order, where a pass per column read them once per column (24 of them),
// from memory once a block outgrew the cache; writing the columns row by row took 20 %
// less of the client's CPU per 30,000 events (BenchmarkInsertEvents).
// clickhouse-go's own Append of a []string grows the buffer by append
// (copying its bytes some four times over), and a []string per column is one
// more pointer-holding slice for the collector.
func fillRows[E any](dsts []*proto.ColStr, fields []func(E) string, elems []E) {
	totals := make([]int, len(dsts))
	for _, e := range elems {
		for k, f := range fields {
			totals[k] += len(f(e))
		}
	}
	for k, d := range dsts {
		d.Buf = slices.Grow(d.Buf, totals[k])
		d.Pos = slices.Grow(d.Pos, len(elems))
	}
	for _, e := range elems {
		for k, f := range fields {
			d := dsts[k]
			start := len(d.Buf)
			d.Buf = append(d.Buf, f(e)...)
			d.Pos = append(d.Pos, proto.Position{Start: start, End: len(d.Buf)})
		}
	}
}

// appendColumn appends a column's values to a batch: a []string to a String
// column in place, anything else by the client's Append.
func appendColumn(batch driver.Batch, cols []column.Interface, i int, values any) error {
	if strs, ok := values.([]string); ok && i < len(cols) {
		if dst := colStrOf(cols[i]); dst != nil {
			fillColumn(dst, strs)
			return nil
		}
	}
	return batch.Column(i).Append(values)
}

// fillColumn appends values to one String column in place (fillRows).
func fillColumn(dst *proto.ColStr, values []string) {
	fillRows([]*proto.ColStr{dst}, []func(string) string{func(s string) string { return s }}, values)
}

// colStrOffset is where clickhouse-go's String column keeps its values (a
// proto.ColStr, unexported), found once by reflection; colStrMissing when the
// layout is not the one fillRows knows (another version of the client),
// and then columns are appended as slices.
var colStrOffset = func() uintptr {
	f, ok := reflect.TypeFor[column.String]().FieldByName("col")
	if !ok || f.Type != reflect.TypeFor[proto.ColStr]() {
		return colStrMissing
	}
	return f.Offset
}()

const colStrMissing = ^uintptr(0)

// colStrOf is the values of c when it is a String column of the known layout, else nil.
func colStrOf(c column.Interface) *proto.ColStr {
	s, ok := c.(*column.String)
	if !ok || colStrOffset == colStrMissing {
		return nil
	}
	return (*proto.ColStr)(unsafe.Add(unsafe.Pointer(s), colStrOffset))
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
