package store

import (
	"context"
	"fmt"
	"time"
)

// CatchUpDuplicates brings the index of duplicated events (event_duplicates)
// up to stream sequence through, which must be at or below the aggregator's
// ack floor: a message at or below it is never stored again, so a key with a
// single copy there keeps it. It scans only the events stored since the last
// scan. When the events at or below the last scan are not the ones it counted
// (the table was rebuilt), it scans the whole history again; keys already in
// the index stay (a stale key only costs a few rows read). It is safe to call
// concurrently from one process; it reports whether it scanned anything.
func (s *Store) CatchUpDuplicates(ctx context.Context, through uint64) (bool, error) {
	s.dupMu.Lock()
	defer s.dupMu.Unlock()
	var done, rows uint64
	if err := s.conn.QueryRow(ctx, qNewestDuplicateScan).Scan(&done, &rows); err != nil && !isNoRows(err) {
		return false, fmt.Errorf("duplicate scans: %w", err)
	}
	if done > 0 {
		var now uint64
		if err := s.conn.QueryRow(ctx, qCountEventsThrough, done).Scan(&now); err != nil {
			return false, fmt.Errorf("count events: %w", err)
		}
		if now != rows {
			s.log.Warn("the events below the last duplicate scan changed; scanning the whole history again",
				"through_seq", done, "rows_then", rows, "rows_now", now)
			done = 0
		}
	}
	if done >= through {
		return false, nil
	}
	if err := s.conn.Exec(ctx, qScanDuplicates, through, done, through, through); err != nil {
		return false, fmt.Errorf("scan duplicates in (%d, %d]: %w", done, through, err)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, qCountEventsThrough, through).Scan(&n); err != nil {
		return false, fmt.Errorf("count events: %w", err)
	}
	batch, err := s.conn.PrepareBatch(ctx, qInsertDuplicateScan)
	if err != nil {
		return false, fmt.Errorf("prepare duplicate scan: %w", err)
	}
	if err := batch.Append(through, n, time.Now().UnixNano()); err != nil {
		_ = batch.Abort()
		return false, err
	}
	if err := batch.Send(); err != nil {
		return false, fmt.Errorf("record duplicate scan: %w", err)
	}
	return true, nil
}

// place is a stored row's place in the stream: its message's sequence and its
// position inside the message. Two rows with one place are the same event
// stored twice (an insert retried after a crash), never two events.
type place struct {
	seq uint64
	pos uint32
}

// FirstCopies tells a reader which stored rows of the events with several
// copies to keep: for each (source, id), the first copy by stream order, once.
// Rows of other events are kept; most events have one copy and never meet it.
type FirstCopies struct {
	// seqs marks the sequences of the messages that hold a copy, one bit
	// each: most rows' sequence is not among them, and a bit answers in a
	// nanosecond where a map takes fifty (a run asks five million times).
	// Sequences past bitsetSeqs (32 MB of bits) are kept in a map of words.
	seqs []uint64
	high map[uint64]uint64
	// first is true for a first copy's place, false for a later one.
	first map[place]bool
	// kept holds the first copies already handed over once.
	kept map[place]bool
}

// Keep reports whether the row at (seq, pos) is the first copy of its event,
// seen for the first time.
func (f *FirstCopies) Keep(seq uint64, pos uint32) bool {
	if !f.marked(seq) {
		return true
	}
	at := place{seq, pos}
	first, dup := f.first[at]
	switch {
	case !dup:
		return true
	case !first || f.kept[at]:
		return false
	}
	f.kept[at] = true
	return true
}

// IsFirst reports whether the row at (seq, pos) is a first copy, however
// often it is asked: two identical rows of one place both are.
func (f *FirstCopies) IsFirst(seq uint64, pos uint32) bool {
	if !f.marked(seq) {
		return true
	}
	first, dup := f.first[place{seq, pos}]
	return !dup || first
}

// bitsetSeqs bounds the sequences kept as a plain bitset.
const bitsetSeqs = 1 << 28

func (f *FirstCopies) mark(seq uint64) {
	w, bit := seq/64, uint64(1)<<(seq%64)
	if seq >= bitsetSeqs {
		f.high[w] |= bit
		return
	}
	if w >= uint64(len(f.seqs)) {
		f.seqs = append(f.seqs, make([]uint64, w+1-uint64(len(f.seqs)))...)
	}
	f.seqs[w] |= bit
}

func (f *FirstCopies) marked(seq uint64) bool {
	w, bit := seq/64, uint64(1)<<(seq%64)
	if seq >= bitsetSeqs {
		return f.high[w]&bit != 0
	}
	return w < uint64(len(f.seqs)) && f.seqs[w]&bit != 0
}

// Len is the number of places that have copies.
func (f *FirstCopies) Len() int { return len(f.first) }

// FirstCopiesAt reads the copies of every event with more than one, up to
// highWater, and decides which is first. CatchUpDuplicates(highWater) must have
// run.
func (s *Store) FirstCopiesAt(ctx context.Context, highWater uint64) (*FirstCopies, error) {
	rows, err := s.conn.Query(ctx, qDuplicateCopies, highWater)
	if err != nil {
		return nil, fmt.Errorf("query copies: %w", err)
	}
	defer rows.Close()
	type key struct{ source, id string }
	firsts := map[key]place{}
	var all []struct {
		k  key
		at place
	}
	for rows.Next() {
		var k key
		var at place
		if err := rows.Scan(&k.source, &k.id, &at.seq, &at.pos); err != nil {
			return nil, fmt.Errorf("scan copy: %w", err)
		}
		if cur, ok := firsts[k]; !ok || at.seq < cur.seq || (at.seq == cur.seq && at.pos < cur.pos) {
			firsts[k] = at
		}
		all = append(all, struct {
			k  key
			at place
		}{k, at})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f := &FirstCopies{first: make(map[place]bool, len(all)), kept: map[place]bool{}, high: map[uint64]uint64{}}
	for _, c := range all {
		f.first[c.at] = firsts[c.k] == c.at
		f.mark(c.at.seq)
	}
	return f, nil
}
