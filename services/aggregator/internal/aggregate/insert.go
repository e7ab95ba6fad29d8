package aggregate

import (
	"context"
	"fmt"
	"time"

	"kaoping/pkg/backoff"
	"kaoping/pkg/event"
)

// allOf lists the positions of every message of b.
func allOf(b *batch) []int {
	idx := make([]int, len(b.msgs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// insert stores the records of the messages idx of b in one insert, retrying
// with backoff while ClickHouse is away (forever: nothing is acknowledged
// meanwhile, and the held messages are kept alive). When ClickHouse answers
// but refuses the insert three times, the batch is split to find the message
// that causes it; that message's events go to the dead letters, so one bad
// message cannot block the events behind it.
func (a *Aggregator) insert(ctx context.Context, b *batch, idx []int) error {
	records := make([][]event.Record, 0, len(idx))
	n := 0
	for _, i := range idx {
		records = append(records, b.decoded[i].records)
		n += len(b.decoded[i].records)
	}
	if n == 0 {
		return nil
	}
	wait, refusals := 100*time.Millisecond, 0
	for {
		start := time.Now()
		err := a.store.InsertEvents(ctx, records...)
		if err == nil {
			a.m.insertDuration.Observe(time.Since(start).Seconds())
			a.m.stored.Add(float64(n))
			a.health.Set("clickhouse", nil)
			return nil
		}
		a.m.insertErrors.Inc()
		if ctx.Err() != nil {
			return fmt.Errorf("insert %d events: %w", n, err)
		}
		if pingErr := a.store.Ping(ctx); pingErr != nil {
			a.health.Set("clickhouse", fmt.Errorf("insert failed and ClickHouse does not answer: %w", pingErr))
			a.log.Warn("ClickHouse away; holding the batch", "events", n, "err", excerpt(err.Error()), "retry_in", wait.String())
		} else if refusals++; refusals >= 3 {
			if len(idx) == 1 {
				a.refuse(b, idx[0], err)
				return nil
			}
			half := len(idx) / 2
			if err := a.insert(ctx, b, idx[:half]); err != nil {
				return err
			}
			return a.insert(ctx, b, idx[half:])
		} else {
			a.log.Warn("ClickHouse refused the batch; retrying", "events", n, "err", excerpt(err.Error()), "attempt", refusals)
		}
		if !backoff.Sleep(ctx, wait) {
			return fmt.Errorf("insert %d events: %w", n, ctx.Err())
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// refuse sends the events of message i, which ClickHouse refuses, to the dead letters.
func (a *Aggregator) refuse(b *batch, i int, err error) {
	d := &b.decoded[i]
	for _, r := range d.records {
		d.dead = append(d.dead, deadLetter(b.msgs[i].Subject(), r.StreamSeq, int(r.MsgPos), r.Type, []byte(r.Raw), "ClickHouse refused the insert: "+err.Error()))
	}
	d.records, d.refused = nil, true
}
