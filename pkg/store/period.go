package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// PeriodScan is what a run does with its period's events while the store
// reads them: the org upserts first (to build the tree), then the cases one at
// a time, so the run holds a case, never the period.
type PeriodScan struct {
	// Org receives every org upsert dated before the period's end, first
	// copies only, in no particular order. The record is reused afterwards.
	Org func(r *event.Record)
	// TreeDone, when set, is called once after the last upsert and before the
	// first case.
	TreeDone func()
	// Case receives every case that may belong to the period: all its events
	// (first copies) in case order (SPEC §4). The slice is reused afterwards.
	Case func(kind event.Kind, events []event.Record)
	// PartitionRows is about the most rows one query sorts (default
	// DefaultPartitionRows): a family with more cases is read in several
	// partitions of its case hashes, one after another, so that no sort
	// outgrows ClickHouse's memory for a query.
	PartitionRows int
	// QueryID, when set, names the scan's queries QueryID-<name> in
	// system.query_log.
	QueryID string
}

// DefaultPartitionRows keeps one sort of a query near 1 GB on ClickHouse.
const DefaultPartitionRows = 5_000_000

// ScanStats count what a scan read.
type ScanStats struct {
	// Events are the first copies handed over; Copies the later copies dropped.
	Events, Copies int
	// Queries are the scan's queries, in order.
	Queries []QueryStat
}

// QueryStat is one query of a scan: its name (the suffix of its query id),
// the rows it returned and how long it took to read them.
type QueryStat struct {
	Name string
	Rows int
	Took time.Duration
}

// rowsPerCase bounds a family's rows per defining row, to size partitions.
var rowsPerCase = map[event.Kind]int{event.KindComplaint: 4, event.KindIssue: 2, event.KindError: 2, event.KindReview: 1}

// ScanPeriod reads what a run of p needs, every event stored up to highWater,
// first copies only (SPEC §4: the first copy by stream order over the whole
// history wins, whatever a later copy says), and hands it to scan. The
// aggregator must have stored everything up to highWater (the read barrier):
// the index of duplicates is brought up to it first.
//
// ClickHouse sorts a case query while the reader folds another: the biggest
// (the complaints) is sent first, before the copies and the org tree are
// read, and read last, the small families being read while it sorts; each
// other query is sent when the one read before it starts streaming.
func (s *Store) ScanPeriod(ctx context.Context, p period.Period, highWater uint64, scan PeriodScan) (ScanStats, error) {
	var st ScanStats
	if scan.PartitionRows <= 0 {
		scan.PartitionRows = DefaultPartitionRows
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	if _, err := s.CatchUpDuplicates(ctx, highWater); err != nil {
		return st, err
	}
	st.Queries = append(st.Queries, QueryStat{Name: "duplicate-index", Took: time.Since(start)})

	start = time.Now()
	plan, err := s.planCases(ctx, scan, p, highWater)
	if err != nil {
		return st, err
	}
	st.Queries = append(st.Queries, QueryStat{Name: "sizes", Rows: len(plan), Took: time.Since(start)})
	opened := make([]*pendingQuery, len(plan))
	send := func(i int) {
		if i < len(plan) && opened[i] == nil {
			opened[i] = s.open(s.queryCtx(ctx, scan, plan[i].name, caseSettings), plan[i])
		}
	}
	send(0)
	defer func() {
		cancel() // a query sent ahead and not read stops on the server
		for _, pq := range opened {
			pq.close()
		}
	}()

	start = time.Now()
	first, err := s.FirstCopiesAt(s.queryCtx(ctx, scan, "copies", nil), highWater)
	if err != nil {
		return st, err
	}
	st.Queries = append(st.Queries, QueryStat{Name: "copies", Rows: first.Len(), Took: time.Since(start)})

	start = time.Now()
	n, err := s.scanOrg(s.queryCtx(ctx, scan, "org", nil), p, highWater, first, scan.Org, &st)
	if err != nil {
		return st, err
	}
	st.Queries = append(st.Queries, QueryStat{Name: "org", Rows: n, Took: time.Since(start)})
	if scan.TreeDone != nil {
		scan.TreeDone()
	}

	order := readOrder(plan)
	for k, i := range order {
		q := plan[i]
		start = time.Now()
		send(i)
		rows, err := opened[i].wait()
		if err != nil {
			return st, fmt.Errorf("query %s of %s: %w", q.name, p.Label, err)
		}
		opened[i] = nil
		if k+1 < len(order) {
			send(order[k+1])
		}
		n, err := scanFamily(rows, q.family, first, scan.Case, &st)
		rows.Close()
		if err != nil {
			return st, fmt.Errorf("read %s of %s: %w", q.name, p.Label, err)
		}
		st.Queries = append(st.Queries, QueryStat{Name: q.name, Rows: n, Took: time.Since(start)})
	}
	return st, nil
}

// readOrder is the order the case queries are read in: the other families
// first, then the complaints (plan's first family, sent first to sort).
func readOrder(plan []caseQuery) []int {
	var small, big []int
	for i, q := range plan {
		if q.family.kind == plan[0].family.kind {
			big = append(big, i)
		} else {
			small = append(small, i)
		}
	}
	return append(small, big...)
}

// caseSettings are those of the case queries: bigger blocks sort faster in
// ClickHouse 18.16 (fewer blocks to merge), and a block of 131,072 narrow
// rows is still only some 20 MB in the reader.
var caseSettings = clickhouse.Settings{"max_block_size": 131072}

// pendingQuery is a case query sent ahead, so ClickHouse sorts it while the
// reader is busy with what came before.
type pendingQuery struct {
	done chan struct{}
	rows driver.Rows
	err  error
}

func (s *Store) open(ctx context.Context, q caseQuery) *pendingQuery {
	pq := &pendingQuery{done: make(chan struct{})}
	go func() {
		defer close(pq.done)
		pq.rows, pq.err = s.conn.Query(ctx, q.family.query(), q.args...)
	}()
	return pq
}

func (pq *pendingQuery) wait() (driver.Rows, error) {
	<-pq.done
	return pq.rows, pq.err
}

// close lets go of a query sent ahead that will not be read (the scan failed).
func (pq *pendingQuery) close() {
	if pq == nil {
		return
	}
	if rows, err := pq.wait(); err == nil {
		rows.Close()
	}
}

// queryCtx names a query of the scan and adds settings.
func (s *Store) queryCtx(ctx context.Context, scan PeriodScan, name string, settings clickhouse.Settings) context.Context {
	var opts []clickhouse.QueryOption
	if scan.QueryID != "" {
		opts = append(opts, clickhouse.WithQueryID(scan.QueryID+"-"+name))
	}
	if settings != nil {
		opts = append(opts, clickhouse.WithSettings(settings))
	}
	if len(opts) == 0 {
		return ctx
	}
	return clickhouse.Context(ctx, opts...)
}

// caseGroup is the events of one case while a family's rows stream past.
type caseGroup struct {
	id     string
	events []event.Record
}

// scanFamily reads one partition of a family, ordered by case hash, and hands
// each case over when its hash ends. Rows of one hash are split by case id:
// a hash collision puts two cases under one hash, never one case under two.
// It returns the rows read.
func scanFamily(rows driver.Rows, f family, first *FirstCopies, visit func(event.Kind, []event.Record), st *ScanStats) (int, error) {
	var groups []caseGroup // groups of the current hash; their slices are reused
	open := 0
	flush := func() {
		for i := range open {
			inCaseOrder(groups[i].events)
			visit(f.kind, groups[i].events)
			groups[i].events = groups[i].events[:0]
		}
		open = 0
	}
	var cur, h, code uint64
	var r event.Record
	dest := caseRowDest(f.kind, &h, &code, &r)
	n := 0
	for rows.Next() {
		r = event.Record{}
		if err := rows.Scan(dest...); err != nil {
			return n, fmt.Errorf("scan %s row: %w", f.kind, err)
		}
		r.Resolved = r.Rating&resolvedBit != 0
		r.Rating &^= resolvedBit
		n++
		if !first.Keep(r.StreamSeq, r.MsgPos) {
			st.Copies++
			continue
		}
		r.Type = f.types[code-1]
		if h != cur || n == 1 {
			flush()
			cur = h
		}
		g := 0
		for g < open && groups[g].id != r.CaseID {
			g++
		}
		if g == open {
			if open == len(groups) {
				groups = append(groups, caseGroup{})
			}
			groups[g].id = r.CaseID
			open++
		}
		groups[g].events = append(groups[g].events, r)
		st.Events++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	flush()
	return n, nil
}

// resolvedBit carries complaint.resolved inside the rating column of a
// complaint row (see the family's columns): one UInt8 to scan instead of two.
const resolvedBit = 0x80

// caseRowDest is where one row of a family's query is scanned: the hash, the
// type code and the record's fields, in the order of the query's columns.
// The destinations are made once per query, not per row.
func caseRowDest(kind event.Kind, h, code *uint64, r *event.Record) []any {
	head := []any{h, code, &r.CaseID, &r.TimeNs, &r.StreamSeq, &r.MsgPos}
	switch kind {
	case event.KindComplaint:
		return append(head, &r.Unit, &r.Cadre, &r.ResponseDueNs, &r.ResolveDueNs, &r.PeriodNs, &r.Rating)
	case event.KindIssue:
		return append(head, &r.Unit, &r.Cadre, &r.Severity, &r.DueNs, &r.PeriodNs)
	case event.KindError:
		return append(head, &r.Unit, &r.Cadre, &r.Severity, &r.DecisionID, &r.PeriodNs)
	default:
		return append(head, &r.SubjectKind, &r.Subject, &r.ReviewPeriod, &r.RaterGroup, &r.Score)
	}
}

// inCaseOrder sorts one case's events by instant, stream sequence and
// position (SPEC §4), in place: a case has a handful of events, and the
// builders then need not sort a copy.
func inCaseOrder(events []event.Record) {
	for i := 1; i < len(events); i++ {
		for j := i; j > 0 && events[j].Before(events[j-1]); j-- {
			events[j], events[j-1] = events[j-1], events[j]
		}
	}
}

// scanOrg reads the org upserts of the period's tree and hands each first
// copy to visit. It returns the rows read.
func (s *Store) scanOrg(ctx context.Context, p period.Period, highWater uint64, first *FirstCopies, visit func(*event.Record), st *ScanStats) (int, error) {
	rows, err := s.conn.Query(ctx, qPeriodOrg, highWater, p.EndNs())
	if err != nil {
		return 0, fmt.Errorf("query org of %s: %w", p.Label, err)
	}
	defer rows.Close()
	var r event.Record
	var code uint64
	dest := []any{&code, &r.CaseID, &r.Name, &r.Level, &r.Parent, &r.Unit, &r.Position, &r.TimeNs, &r.StreamSeq, &r.MsgPos}
	n := 0
	for rows.Next() {
		r = event.Record{}
		if err := rows.Scan(dest...); err != nil {
			return n, fmt.Errorf("scan org: %w", err)
		}
		n++
		if !first.Keep(r.StreamSeq, r.MsgPos) {
			st.Copies++
			continue
		}
		r.Type = orgTypes[code-1]
		if r.Type == event.TypeCadreUpserted {
			r.Cadre = r.CaseID
		}
		st.Events++
		visit(&r)
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read org of %s: %w", p.Label, err)
	}
	return n, nil
}
