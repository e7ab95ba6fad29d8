package store

import (
	"context"
	"fmt"

	"kaoping/pkg/event"
)

// Rebuild is the events table being built again from the stream. The live
// table serves (and the live aggregator writes to it) until Finish swaps the
// new one in, so rankings never see a half-built table.
type Rebuild struct {
	s *Store
}

// BeginRebuild starts over an empty copy of the events table; what a rebuild
// that died before finishing left is dropped first (the new one reads the
// whole stream again), so a rebuild can always be run again.
func (s *Store) BeginRebuild(ctx context.Context) (*Rebuild, error) {
	for _, q := range []string{qDropRebuild, qDropOld, qCreateRebuild} {
		if err := s.ddl(ctx, q); err != nil {
			return nil, fmt.Errorf("begin rebuild: %w", err)
		}
	}
	return &Rebuild{s: s}, nil
}

// Insert stores records in the table being rebuilt.
func (r *Rebuild) Insert(ctx context.Context, records []event.Record) error {
	return r.s.insertEvents(ctx, qInsertRebuild, [][]event.Record{records})
}

// Finish swaps the rebuilt table in. upTo is the last stream sequence the
// rebuild read: what the live aggregator stored after it is copied over,
// before and after the swap (a row copied twice is a duplicate the queries
// drop). An insert the live aggregator prepared before the swap still lands in
// the replaced table, so settled must return only once every batch prepared
// before the swap is stored (the aggregator's ack floor has passed the
// stream's last sequence at the swap); then the replaced table's newer rows are
// copied and it is dropped.
func (r *Rebuild) Finish(ctx context.Context, upTo uint64, settled func(ctx context.Context) error) error {
	if err := r.s.conn.Exec(ctx, qCopyNewer, upTo); err != nil {
		return fmt.Errorf("finish rebuild: copy newer events: %w", err)
	}
	if err := r.s.ddl(ctx, qSwap); err != nil {
		return fmt.Errorf("finish rebuild: swap: %w", err)
	}
	if err := settled(ctx); err != nil {
		return fmt.Errorf("finish rebuild: the live aggregator did not settle (events_replaced is kept; run the rebuild again): %w", err)
	}
	if err := r.s.conn.Exec(ctx, qCopyLatest, upTo); err != nil {
		return fmt.Errorf("finish rebuild: copy the latest events (events_replaced is kept): %w", err)
	}
	if err := r.s.ddl(ctx, qDropOld); err != nil {
		return fmt.Errorf("finish rebuild: drop the replaced table: %w", err)
	}
	return nil
}
