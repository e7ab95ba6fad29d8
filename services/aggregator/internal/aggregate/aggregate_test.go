package aggregate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/wire"
	"kaoping/services/aggregator/internal/deadletter"
)

// memory is an Inserter that keeps records in memory and refuses any batch
// holding a record whose id starts with "refuse-" while ClickHouse would
// answer (Ping succeeds): a row the database will never take. The
// aggregator's isolation logic is what is tested here; storage itself is
// tested against the real ClickHouse elsewhere.
type memory struct {
	mu      sync.Mutex
	records []event.Record
	inserts int
}

func (m *memory) InsertEvents(_ context.Context, chunks ...[]event.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inserts++
	for _, records := range chunks {
		for _, r := range records {
			if strings.HasPrefix(r.ID, "refuse-") {
				return errors.New("code: 27, Cannot parse input")
			}
		}
	}
	for _, records := range chunks {
		m.records = append(m.records, records...)
	}
	return nil
}

func (m *memory) Ping(context.Context) error { return nil }

func (m *memory) ids() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, r := range m.records {
		out[r.ID]++
	}
	return out
}

type health struct {
	mu     sync.Mutex
	checks map[string]error
}

func (h *health) Set(check string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[check] = err
}

func start(t *testing.T, js jetstream.JetStream, store Inserter, opts Options) (stop func()) {
	t.Helper()
	return startWith(t, js, store, opts, "sources:\n  - source: /sources/dev\n    token: t\n    types: [\"*\"]\n")
}

// startWith is start with the source registry given as YAML.
func startWith(t *testing.T, js jetstream.JetStream, store Inserter, opts Options, registry string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := stream.EnsureAggregatorConsumer(ctx, js, stream.ConsumerConfig{AckWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := sources.Parse([]byte(registry))
	if err != nil {
		t.Fatal(err)
	}
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	opts.AckWait = time.Second
	if opts.FlushInterval == 0 {
		opts.FlushInterval = 50 * time.Millisecond
	}
	a := New(js, c, store, v, reg, opts, prometheus.NewRegistry(), &health{checks: map[string]error{}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	return func() { cancel(); <-done }
}

// diedHolding takes the stream's next message n times without acknowledging
// it, as n aggregators that died holding it would have.
func diedHolding(t *testing.T, js jetstream.JetStream, n int) {
	t.Helper()
	c, err := stream.EnsureAggregatorConsumer(context.Background(), js, stream.ConsumerConfig{AckWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		b, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range b.Messages() {
			_ = m.Nak()
		}
	}
}

// publishAsIngest validates raws, as ingest does, and publishes them in the
// record form on ingest's subject for the source name, as ingest would; it
// returns the events and their acks (one per event, in order).
func publishAsIngest(t *testing.T, js jetstream.JetStream, name string, raws []string) ([]event.Event, []publish.Result) {
	t.Helper()
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	events := make([]event.Event, len(raws))
	for i, raw := range raws {
		if events[i], err = v.Parse([]byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	acks, err := publish.PublishRecords(context.Background(), js, stream.IngestSubject(name), name, events, nil)
	if err != nil {
		t.Fatal(err)
	}
	return events, acks
}

func responded(id string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"/sources/dev","type":"kaoping.complaint.responded","time":"2026-07-01T09:00:00+08:00","data":{"complaint_id":"C1"}}`, id)
}

func deadLetters(t *testing.T, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(context.Background(), stream.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		if m, err := s.GetMsg(context.Background(), seq); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// TestALargeBadEventIsCutAndBlocksNothing: an event near the server's
// largest message that fails validation goes to the dead letters with a
// bounded body, its size and hash; the events behind it are stored.
func TestALargeBadEventIsCutAndBlocksNothing(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	mem := &memory{}
	stop := start(t, js, mem, Options{})
	defer stop()
	huge := strings.Replace(responded("big"), `"data":{`, `"data":{"note":"`+strings.Repeat("x", 900<<10)+`",`, 1)
	for _, body := range []string{huge, responded("after-1"), responded("after-2")} {
		if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: stream.SourceSubject("dev"), Data: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if ids := mem.ids(); ids["after-1"] != 1 || ids["after-2"] != 1 {
			return fmt.Errorf("stored %v", ids)
		}
		return nil
	})
	testkit.Eventually(t, 10*time.Second, func() error {
		dl := deadLetters(t, js)
		if len(dl) != 1 {
			return fmt.Errorf("%d dead letters", len(dl))
		}
		m := dl[0]
		if len(m.Data) != maxBodyBytes || m.Header.Get(stream.HeaderBodySize) != fmt.Sprint(len(huge)) ||
			len(m.Header.Get(stream.HeaderBodySHA256)) != 64 || !strings.Contains(m.Header.Get(stream.HeaderReason), "note") ||
			m.Header.Get(stream.HeaderOriginalSeq) != "1" {
			return fmt.Errorf("dead letter: %d bytes, headers %v", len(m.Data), m.Header)
		}
		return nil
	})
}

// TestARowTheDatabaseRefusesIsIsolated: a message whose event the database
// keeps refusing (while it answers) is found by splitting the batch and goes
// to the dead letters; the other events of the batch are stored.
func TestARowTheDatabaseRefusesIsIsolated(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	var raws []string
	for i := range 20 {
		id := fmt.Sprintf("ok-%d", i)
		if i == 13 {
			id = "refuse-13"
		}
		raws = append(raws, responded(id))
	}
	// One event per message, so the batch holds twenty messages to split.
	for _, r := range raws {
		if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: stream.SourceSubject("dev"), Data: []byte(r)}); err != nil {
			t.Fatal(err)
		}
	}
	mem := &memory{}
	stop := start(t, js, mem, Options{})
	defer stop()
	testkit.Eventually(t, 30*time.Second, func() error {
		if ids := mem.ids(); len(ids) != 19 || ids["refuse-13"] != 0 {
			return fmt.Errorf("stored %v", ids)
		}
		if dl := deadLetters(t, js); len(dl) != 1 || !strings.Contains(dl[0].Header.Get(stream.HeaderReason), "refused the insert") {
			return fmt.Errorf("%d dead letters", len(dl))
		}
		return nil
	})
}

// TestPoisonAfterBoundedDeliveries: a message delivered MaxDeliver times
// without being acknowledged (it crashed the aggregator each time) goes to
// the dead letters unread; the message behind it is stored.
func TestPoisonAfterBoundedDeliveries(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx := context.Background()
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject("dev"), Header: nats.Header{"Content-Type": {wire.MediaBatch}},
		Data: []byte("[" + responded("crashes-1") + "]")}); err != nil {
		t.Fatal(err)
	}
	diedHolding(t, js, 3)
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject("dev"), Data: []byte(responded("behind"))}); err != nil {
		t.Fatal(err)
	}
	mem := &memory{}
	stop := start(t, js, mem, Options{MaxDeliver: 3})
	defer stop()
	testkit.Eventually(t, 20*time.Second, func() error {
		if ids := mem.ids(); ids["behind"] != 1 || ids["crashes-1"] != 0 {
			return fmt.Errorf("stored %v", ids)
		}
		dl := deadLetters(t, js)
		if len(dl) != 1 || !strings.Contains(dl[0].Header.Get(stream.HeaderReason), "poison") || wire.KindOf(dl[0].Header) != wire.BatchOf {
			return fmt.Errorf("dead letters %v", dl)
		}
		return nil
	})
	// Replayed, the batch is sent again whole on its subject, checked and
	// stored; its original, a source's own message, is deleted.
	if _, err := deadletter.Replay(ctx, js, deadLetters(t, js)[0].Sequence); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if ids := mem.ids(); ids["crashes-1"] != 1 {
			return fmt.Errorf("stored %v", ids)
		}
		return nil
	})
	events, err := js.Stream(ctx, stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := events.GetMsg(ctx, 1); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("the replayed poison's original is still in the stream: %v", err)
	}
}

// TestAPoisonIsKeptAndReplayedWhole: a message of ingest's, larger than a
// dead letter keeps, that aggregators died holding until it was taken for
// poison, stays in the events stream (its events were acknowledged); its dead
// letter says so and keeps the headers of its kind; a replay sends its events
// again whole, as a JSON batch on the source's subject, where they are
// checked and stored, and the original stays.
func TestAPoisonIsKeptAndReplayedWhole(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx := context.Background()
	raws := make([]string, 400)
	for i := range raws {
		raws[i] = responded(fmt.Sprintf("kept-%03d", i))
	}
	if _, acks := publishAsIngest(t, js, "dev", raws); acks[len(acks)-1].Sequence != 1 {
		t.Fatalf("published up to %d; want one message", acks[len(acks)-1].Sequence)
	}
	diedHolding(t, js, 3)
	mem := &memory{}
	stop := start(t, js, mem, Options{MaxDeliver: 3})
	defer stop()
	var letter *jetstream.RawStreamMsg
	testkit.Eventually(t, 20*time.Second, func() error {
		if dl := deadLetters(t, js); len(dl) == 1 {
			letter = dl[0]
			return nil
		}
		return fmt.Errorf("no dead letter yet")
	})
	if letter.Header.Get(stream.HeaderOriginalKept) == "" || letter.Header.Get(stream.HeaderBodySize) == "" || !wire.IsRecords(letter.Header) {
		t.Errorf("the poison's dead letter: %v", letter.Header)
	}
	events1, err := js.Stream(ctx, stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := events1.GetMsg(ctx, 1); err != nil {
		t.Fatalf("the poison left the events stream: %v", err)
	}
	if len(mem.ids()) != 0 {
		t.Fatalf("a poison was stored: %v", mem.ids())
	}
	if _, err := deadletter.Replay(ctx, js, letter.Sequence); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if ids := mem.ids(); len(ids) != 400 || ids["kept-399"] != 1 {
			return fmt.Errorf("stored %d events", len(ids))
		}
		return nil
	})
	// Ingest's original stays: its events were acknowledged, and a copy on
	// the source's subject may be refused where they were not.
	if _, err := events1.GetMsg(ctx, 1); err != nil {
		t.Errorf("the replayed poison's original left the stream: %v", err)
	}
	if dl := deadLetters(t, js); len(dl) != 0 {
		t.Errorf("dead letters after the replay: %d", len(dl))
	}
	if _, err := deadletter.Replay(ctx, js, letter.Sequence); !errors.Is(err, deadletter.ErrNotFound) {
		t.Errorf("a second replay of the letter: %v", err)
	}
}

// TestAPoisonWhoseOriginalIsGoneReplaysFromItsLetter: when the stream no
// longer holds a poison's original (deleted by hand, or past its limits),
// a letter that kept the whole body is replayed from it, ingest's record form
// as the JSON batch of its events.
func TestAPoisonWhoseOriginalIsGoneReplaysFromItsLetter(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx := context.Background()
	publishAsIngest(t, js, "dev", []string{responded("gone-0"), responded("gone-1"), responded("gone-2")})
	diedHolding(t, js, 3)
	mem := &memory{}
	stop := start(t, js, mem, Options{MaxDeliver: 3})
	defer stop()
	testkit.Eventually(t, 20*time.Second, func() error {
		if dl := deadLetters(t, js); len(dl) != 1 {
			return fmt.Errorf("%d dead letters", len(dl))
		}
		return nil
	})
	if err := stream.DeleteEvent(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := deadletter.Replay(ctx, js, deadLetters(t, js)[0].Sequence); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if ids := mem.ids(); len(ids) != 3 || ids["gone-2"] != 1 {
			return fmt.Errorf("stored %v", ids)
		}
		return nil
	})
}

// TestIngestRecordsAreStoredAsTheirJSON: events ingest published in the
// record form are stored with the columns the validator reads from their
// JSON, the same as when ingest published the JSON itself (messages written
// before the record form); the record form on a source's subject is no
// shortcut past validation: it is one structured event there, and not JSON.
func TestIngestRecordsAreStoredAsTheirJSON(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx := context.Background()
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	raws := make([]string, 50)
	for i := range raws {
		raws[i] = responded(fmt.Sprintf("rec-%d", i))
	}
	events, _ := publishAsIngest(t, js, "dev", raws)
	// The same events as JSON, under other ids, as ingest once published them.
	old := "[" + strings.ReplaceAll(strings.Join(raws, ","), `"id":"rec-`, `"id":"json-`) + "]"
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.IngestSubject("dev"), Header: nats.Header{"Content-Type": {wire.MediaBatch}}, Data: []byte(old)}); err != nil {
		t.Fatal(err)
	}
	forged, err := publish.RecordBatches(stream.SourceSubject("dev"), "dev", []event.Event{events[0]}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	forged[0].Msg.Header.Set(jetstream.MsgIDHeader, "forged")
	if _, err := js.PublishMsg(ctx, forged[0].Msg); err != nil {
		t.Fatal(err)
	}
	mem := &memory{}
	stop := start(t, js, mem, Options{})
	defer stop()
	testkit.Eventually(t, 20*time.Second, func() error {
		if len(mem.ids()) != 100 || len(deadLetters(t, js)) != 1 {
			return fmt.Errorf("stored %d, dead letters %d", len(mem.ids()), len(deadLetters(t, js)))
		}
		return nil
	})
	stop()
	byID := map[string]event.Record{}
	for _, r := range mem.records {
		byID[r.ID] = r
	}
	for i := range 50 {
		rec, fromJSON := byID[fmt.Sprintf("rec-%d", i)], byID[fmt.Sprintf("json-%d", i)]
		if rec.StreamSeq != 1 || rec.MsgPos != uint32(i) || rec.IngestNs == 0 {
			t.Errorf("record %d placed at %d/%d, ingested %d", i, rec.StreamSeq, rec.MsgPos, rec.IngestNs)
		}
		_, want, err := v.Decode([]byte(raws[i]))
		if err != nil {
			t.Fatal(err)
		}
		want.StreamSeq, want.MsgPos, want.IngestNs = rec.StreamSeq, rec.MsgPos, rec.IngestNs
		if rec != want {
			t.Errorf("record %d stored\n%+v\nwant\n%+v", i, rec, want)
		}
		fromJSON.ID, fromJSON.Raw = rec.ID, rec.Raw
		fromJSON.StreamSeq, fromJSON.IngestNs = rec.StreamSeq, rec.IngestNs
		if fromJSON != rec {
			t.Errorf("event %d stored from JSON\n%+v\nfrom its record\n%+v", i, fromJSON, rec)
		}
	}
	if dl := deadLetters(t, js); !strings.Contains(dl[0].Header.Get(stream.HeaderReason), "JSON") &&
		!strings.Contains(dl[0].Header.Get(stream.HeaderReason), "invalid character") {
		t.Errorf("the forged message's dead letter says %q", dl[0].Header.Get(stream.HeaderReason))
	}
}

// TestIngestEventsOutliveTheirSourcesRegistration: events ingest accepted
// (acknowledged to their sender) are stored although the aggregator's
// registry no longer names their source; a message published straight on
// that source's subject is refused, as it must be.
func TestIngestEventsOutliveTheirSourcesRegistration(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx := context.Background()
	gone := func(id string) string {
		return strings.Replace(responded(id), `"/sources/dev"`, `"/sources/gone"`, 1)
	}
	publishAsIngest(t, js, "gone", []string{gone("rec-0"), gone("rec-1"), gone("rec-2")})
	for _, m := range []*nats.Msg{
		{Subject: stream.IngestSubject("gone"), Header: nats.Header{"Content-Type": {wire.MediaBatch}}, Data: []byte("[" + gone("json-0") + "]")},
		{Subject: stream.SourceSubject("gone"), Data: []byte(gone("straight-0"))},
	} {
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	mem := &memory{}
	stop := start(t, js, mem, Options{}) // its registry names only dev
	defer stop()
	testkit.Eventually(t, 20*time.Second, func() error {
		if len(mem.ids()) != 4 || len(deadLetters(t, js)) != 1 {
			return fmt.Errorf("stored %v, dead letters %d", mem.ids(), len(deadLetters(t, js)))
		}
		return nil
	})
	if ids := mem.ids(); ids["straight-0"] != 0 || ids["json-0"] != 1 || ids["rec-2"] != 1 {
		t.Errorf("stored %v", ids)
	}
	if dl := deadLetters(t, js); !strings.Contains(dl[0].Header.Get(stream.HeaderReason), "not in the source registry") {
		t.Errorf("the straight message's dead letter says %q", dl[0].Header.Get(stream.HeaderReason))
	}
}

// TestIngestMessagesRefusedWholeStay: a message of ingest's that this
// aggregator cannot read at all (a record form of a later version, a batch
// that is not an array) is dead-lettered but stays in the events stream:
// ingest acknowledged its events. A source's own such message is removed.
func TestIngestMessagesRefusedWholeStay(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx := context.Background()
	for _, m := range []*nats.Msg{
		{Subject: stream.IngestSubject("dev"), Header: nats.Header{"Content-Type": {wire.MediaRecords}}, Data: []byte("\x7fa later form")},
		{Subject: stream.IngestSubject("dev"), Header: nats.Header{"Content-Type": {wire.MediaBatch}}, Data: []byte(`{"not":"an array"}`)},
		{Subject: stream.SourceSubject("dev"), Header: nats.Header{"Content-Type": {wire.MediaBatch}}, Data: []byte(`{"not":"an array"}`)},
	} {
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	mem := &memory{}
	stop := start(t, js, mem, Options{})
	defer stop()
	testkit.Eventually(t, 20*time.Second, func() error {
		if dl := deadLetters(t, js); len(dl) != 3 {
			return fmt.Errorf("%d dead letters", len(dl))
		}
		return nil
	})
	stop()
	events, err := js.Stream(ctx, stream.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	for seq, kept := range map[uint64]bool{1: true, 2: true, 3: false} {
		_, err := events.GetMsg(ctx, seq)
		if kept != (err == nil) {
			t.Errorf("message %d in the stream: %v, want kept %v", seq, err, kept)
		}
	}
	for _, dl := range deadLetters(t, js) {
		viaIngest := strings.HasPrefix(dl.Header.Get(stream.HeaderOriginalSubject), stream.IngestSubjectPrefix)
		if (dl.Header.Get(stream.HeaderOriginalKept) != "") != viaIngest || dl.Header.Get("Content-Type") == "" {
			t.Errorf("dead letter of %s: %v", dl.Header.Get(stream.HeaderOriginalSubject), dl.Header)
		}
	}
}

// TestAStraightEventIsCheckedAsIngestChecksIt: on a source's own subject
// every event is checked as ingest checks it (SPEC §4): its source must be the
// one registered for the subject's name, the source must be allowed its type,
// and it may not be dated more than 5 minutes after it reached the stream.
// Each failing event of a batch is dead-lettered with its reason; the others
// are stored.
func TestAStraightEventIsCheckedAsIngestChecksIt(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx := context.Background()
	hotline := func(id, typ, at, data string) string {
		return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"/sources/hotline","type":%q,"time":%q,"data":%s}`, id, typ, at, data)
	}
	soon := time.Now().Add(4 * time.Minute).UTC().Format(time.RFC3339)
	late := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	body := "[" + strings.Join([]string{
		hotline("ok", event.TypeComplaintResponded, "2026-07-01T09:00:00+08:00", `{"complaint_id":"C1"}`),
		hotline("soon", event.TypeComplaintResponded, soon, `{"complaint_id":"C2"}`),
		hotline("not-allowed", event.TypeIssueClosed, "2026-07-01T09:00:00+08:00", `{"issue_id":"I1"}`),
		hotline("future", event.TypeComplaintResponded, late, `{"complaint_id":"C3"}`),
		strings.Replace(hotline("other-source", event.TypeComplaintResponded, "2026-07-01T09:00:00+08:00", `{"complaint_id":"C4"}`), "/sources/hotline", "/sources/review", 1),
	}, ",") + "]"
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject("hotline") + ".complaints", Header: nats.Header{"Content-Type": {wire.MediaBatch}}, Data: []byte(body)}); err != nil {
		t.Fatal(err)
	}
	mem := &memory{}
	stop := startWith(t, js, mem, Options{}, "sources:\n  - source: /sources/hotline\n    token: t\n    types: [kaoping.complaint.responded]\n"+
		"  - source: /sources/review\n    token: r\n    types: [kaoping.review.rated]\n")
	defer stop()
	testkit.Eventually(t, 20*time.Second, func() error {
		if ids := mem.ids(); len(ids) != 2 || ids["ok"] != 1 || ids["soon"] != 1 || len(deadLetters(t, js)) != 3 {
			return fmt.Errorf("stored %v, %d dead letters", ids, len(deadLetters(t, js)))
		}
		return nil
	})
	want := map[string]string{"2": "may not send kaoping.issue.closed", "3": "more than 5m0s after ingestion", "4": `"/sources/review" is not "/sources/hotline"`}
	for _, dl := range deadLetters(t, js) {
		pos := dl.Header.Get(stream.HeaderOriginalPos)
		if reason := dl.Header.Get(stream.HeaderReason); !strings.Contains(reason, want[pos]) {
			t.Errorf("dead letter of position %s says %q, want %q", pos, reason, want[pos])
		}
	}
}

func (m *memory) counts() (records, inserts int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records), m.inserts
}

// TestAQuietStreamClosesTheBatch: the last batch of a burst is stored once
// the stream is quiet for a tenth of the flush interval, long before the
// interval ends; a trickle of events, quiet between each, is still at most
// about one insert per interval, not one per event.
func TestAQuietStreamClosesTheBatch(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ctx := context.Background()
	mem := &memory{}
	const interval = 3 * time.Second
	stop := start(t, js, mem, Options{FlushInterval: interval})
	defer stop()
	sent := time.Now()
	for i := range 20 {
		if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject("dev"), Data: []byte(responded(fmt.Sprintf("burst-%d", i)))}); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, interval, func() error {
		if got, _ := mem.counts(); got != 20 {
			return fmt.Errorf("%d of 20 stored", got)
		}
		return nil
	})
	if took := time.Since(sent); took > interval/2 {
		t.Errorf("a burst's last batch stored %s after it was sent; the interval is %s", took, interval)
	}
	stop()

	trickle := &memory{}
	const every, gap, events = 400 * time.Millisecond, 60 * time.Millisecond, 30
	stop = start(t, js, trickle, Options{FlushInterval: every}) // idle after 40 ms: each gap is quiet
	defer stop()
	began := time.Now()
	for i := range events {
		if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject("dev"), Data: []byte(responded(fmt.Sprintf("trickle-%d", i)))}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(gap)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if got, _ := trickle.counts(); got != events { // the burst was acknowledged before
			return fmt.Errorf("%d of %d stored", got, events)
		}
		return nil
	})
	_, inserts := trickle.counts()
	if most := int(time.Since(began)/every) + 2; inserts > most {
		t.Errorf("%d events a %s apart made %d inserts; at most %d short batches fit in %s", events, gap, inserts, most, time.Since(began).Round(time.Millisecond))
	}
}
