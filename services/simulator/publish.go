package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/stream"
	"kaoping/services/simulator/internal/district"
)

// simulatorIDKey keys the message ids of the simulator's batches.
const simulatorIDKey = "kaoping-simulator"

// publishReport counts what the stream answered, per event type.
type publishReport struct {
	Types      []typeReport // in the order of event.Types
	Events     int
	Accepted   int
	Duplicates int
	Elapsed    time.Duration
}

type typeReport struct {
	Type                         string
	Events, Accepted, Duplicates int
}

// Rate is the events published per second.
func (r publishReport) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Events) / r.Elapsed.Seconds()
}

// publishDistrict connects to NATS, declares the streams and publishes d.
func publishDistrict(ctx context.Context, cfg config, d *district.District, stdout io.Writer) (publishReport, error) {
	// One connection publishes for every source: on a server with the users
	// of deploy/nats no user may (a source publishes only its own subjects),
	// so the simulator is a tool of the local stack's NATS, which has none.
	nc, err := nats.Connect(cfg.NATS.URL, append(stream.ClientOptions(cfg.NATS.User, cfg.NATS.Password), nats.Name("kaoping-simulator"))...)
	if err != nil {
		return publishReport{}, fmt.Errorf("connect to NATS at %s: %w", stream.Redacted(cfg.NATS.URL), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return publishReport{}, fmt.Errorf("jetstream: %w", err)
	}
	if err := stream.Ensure(ctx, js, cfg.NATS.Config); err != nil {
		return publishReport{}, err
	}
	fmt.Fprintf(stdout, "publishing %s (seed %d) for %s %s: %d streets, %d communities, %d cadres, %d events to %s\n",
		d.Period.Label, d.Seed, d.District.ID, d.District.Name, len(d.Streets), len(d.Communities), len(d.Cadres), len(d.Drafts), cfg.NATS.URL)
	rep, err := publishEvents(ctx, js, d.Drafts, cfg.Chunk)
	if err != nil {
		return rep, err
	}
	printPublishReport(stdout, rep)
	return rep, nil
}

// builtChunk is one chunk of drafts, built and validated.
type builtChunk struct {
	events []event.Event
	err    error
}

// publishEvents publishes drafts in chunks, in time order: one publisher per
// source, and within a chunk the events of each source in turn. Validation
// (the SDK builds and checks every event) runs on all cores one chunk ahead of
// publishing, so at most a few chunks are in memory at once.
func publishEvents(ctx context.Context, js jetstream.JetStream, drafts []district.Draft, chunk int) (publishReport, error) {
	v, err := event.NewValidator()
	if err != nil {
		return publishReport{}, err
	}
	pubs := make(map[string]*publish.Publisher, len(district.Sources))
	for _, src := range district.Sources {
		// The simulator's sources are registered under the last segment of their
		// URI (deploy/local/sources.yaml): /sources/hotline publishes as hotline.
		// One message id key for every run, so that a second run's batches are
		// dropped as duplicates; it is public, as the simulator is a tool of
		// the local stack, whose NATS has no users.
		if pubs[src], err = publish.New(js, path.Base(src), src, v, publish.WithIDKey([]byte(simulatorIDKey))); err != nil {
			return publishReport{}, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	chunks := make(chan builtChunk, 1)
	go func() {
		defer close(chunks)
		for lo := 0; lo < len(drafts); lo += chunk {
			c := buildChunk(pubs, drafts[lo:min(lo+chunk, len(drafts))])
			select {
			case chunks <- c:
			case <-ctx.Done():
				return
			}
			if c.err != nil {
				return
			}
		}
	}()

	rep := publishReport{}
	index := make(map[string]int, len(event.Types))
	for i, t := range event.Types {
		rep.Types = append(rep.Types, typeReport{Type: t})
		index[t] = i
	}
	start := time.Now()
	bySource := make(map[string][]event.Event, len(district.Sources))
	for c := range chunks {
		if c.err != nil {
			return rep, c.err
		}
		for _, e := range c.events {
			bySource[e.Source] = append(bySource[e.Source], e)
		}
		for _, src := range district.Sources {
			events := bySource[src]
			if len(events) == 0 {
				continue
			}
			results, err := pubs[src].PublishAll(ctx, events)
			for i, r := range results {
				tr := &rep.Types[index[events[i].Type]]
				tr.Events++
				rep.Events++
				if r.Duplicate {
					tr.Duplicates++
					rep.Duplicates++
				} else {
					tr.Accepted++
					rep.Accepted++
				}
			}
			if err != nil {
				rep.Elapsed = time.Since(start)
				return rep, fmt.Errorf("after %d events: %w", rep.Events, err)
			}
			bySource[src] = events[:0]
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, ctx.Err()
}

// buildChunk builds the drafts' events on every core, keeping their order.
func buildChunk(pubs map[string]*publish.Publisher, drafts []district.Draft) builtChunk {
	events := make([]event.Event, len(drafts))
	errs := make([]error, len(drafts))
	workers := runtime.GOMAXPROCS(0)
	per := (len(drafts) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(drafts); lo += per {
		hi := min(lo+per, len(drafts))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				d := drafts[i]
				events[i], errs[i] = pubs[d.Source].Event(d.ID, d.Type, d.Time, d.Data)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return builtChunk{err: fmt.Errorf("event %s %s: %w", drafts[i].Source, drafts[i].ID, err)}
		}
	}
	return builtChunk{events: events}
}

func printPublishReport(w io.Writer, rep publishReport) {
	fmt.Fprintf(w, "%-30s %9s %9s %10s\n", "type", "events", "accepted", "duplicates")
	for _, t := range rep.Types {
		if t.Events == 0 {
			continue
		}
		fmt.Fprintf(w, "%-30s %9d %9d %10d\n", t.Type, t.Events, t.Accepted, t.Duplicates)
	}
	fmt.Fprintf(w, "%-30s %9d %9d %10d\n", "total", rep.Events, rep.Accepted, rep.Duplicates)
	fmt.Fprintf(w, "published %d events in %s (%.0f events/s): %d accepted, %d duplicates\n",
		rep.Events, rep.Elapsed.Round(time.Millisecond), rep.Rate(), rep.Accepted, rep.Duplicates)
}

// writeEvents writes every event as one line of structured-mode JSON.
func writeEvents(ctx context.Context, stdout io.Writer, d *district.District) error {
	v, err := event.NewValidator()
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	for i, dr := range d.Drafts {
		if i%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e, err := dr.Build(v)
		if err != nil {
			return fmt.Errorf("event %s %s: %w", dr.Source, dr.ID, err)
		}
		w.Write(e.Raw)
		w.WriteByte('\n')
	}
	return w.Flush()
}
