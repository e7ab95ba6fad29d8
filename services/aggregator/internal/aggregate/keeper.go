package aggregate

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// keeper holds the messages the aggregator has fetched and not acknowledged,
// and tells JetStream they are in progress, so that a slow insert or a
// ClickHouse outage does not make them come back after AckWait.
type keeper struct {
	mu   sync.Mutex
	msgs map[jetstream.Msg]struct{}
}

func newKeeper() *keeper { return &keeper{msgs: map[jetstream.Msg]struct{}{}} }

func (k *keeper) add(m jetstream.Msg) {
	k.mu.Lock()
	k.msgs[m] = struct{}{}
	k.mu.Unlock()
}

func (k *keeper) remove(ms ...jetstream.Msg) {
	k.mu.Lock()
	for _, m := range ms {
		delete(k.msgs, m)
	}
	k.mu.Unlock()
}

// keepAlive sends an in-progress ack for every message held longer than
// every, each every, until ctx ends.
func (k *keeper) keepAlive(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	seen := map[jetstream.Msg]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		k.mu.Lock()
		held := make([]jetstream.Msg, 0, len(k.msgs))
		for m := range k.msgs {
			held = append(held, m)
		}
		k.mu.Unlock()
		next := make(map[jetstream.Msg]bool, len(held))
		for _, m := range held {
			// A message fetched since the last tick is young: its AckWait has
			// hardly begun.
			if seen[m] {
				_ = m.InProgress()
			}
			next[m] = true
		}
		seen = next
	}
}
