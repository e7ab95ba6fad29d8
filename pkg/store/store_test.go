package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func openStore(t testing.TB) *store.Store {
	t.Helper()
	ch := testkit.SharedClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Options{Addr: ch.Addr, Database: ch.NewDatabase(t), MaxExecutionTime: time.Minute}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func record(t *testing.T, v *event.Validator, seq uint64, source, id, typ, at string, data map[string]any) event.Record {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		t.Fatal(err)
	}
	e, err := event.New(v, source, id, typ, tm, data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := event.ToRecord(e, seq, 0, tm)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPeriodEventsReturnsWhatAPeriodNeedsAndEveryCopy(t *testing.T) {
	s := openStore(t)
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	recs := []event.Record{
		record(t, v, 1, "/org", "u1", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", map[string]any{"unit": "s1", "name": "建设街道", "level": "street"}),
		record(t, v, 2, "/org", "u2", event.TypeUnitUpserted, "2026-10-01T00:00:00+08:00", map[string]any{"unit": "s2", "name": "新街道", "level": "street"}),
		record(t, v, 3, "/h", "a1", event.TypeComplaintAssigned, "2026-07-01T09:00:00+08:00", map[string]any{"complaint_id": "A", "unit": "s1", "category": "x", "response_due": "2026-07-01T11:00:00+08:00", "resolve_due": "2026-07-08T09:00:00+08:00"}),
		record(t, v, 4, "/h", "r1", event.TypeComplaintResponded, "2026-07-01T10:00:00+08:00", map[string]any{"complaint_id": "A"}),
		// a later copy of r1 with another body: stored, returned, and dropped by the scorer
		record(t, v, 5, "/h", "r1", event.TypeComplaintResponded, "2026-07-01T10:00:00+08:00", map[string]any{"complaint_id": "Q4CASE"}),
		record(t, v, 6, "/h", "a2", event.TypeComplaintAssigned, "2026-10-02T09:00:00+08:00", map[string]any{"complaint_id": "Q4CASE", "unit": "s1", "category": "x", "response_due": "2026-10-02T11:00:00+08:00", "resolve_due": "2026-10-09T09:00:00+08:00"}),
		record(t, v, 7, "/rv", "v1", event.TypeReviewRated, "2026-12-01T09:00:00+08:00", map[string]any{"review_id": "R1", "subject_kind": "unit", "subject": "s1", "period": "2026Q3", "rater_group": "peers", "score": 87.345}),
		record(t, v, 8, "/h", "late", event.TypeComplaintResponded, "2026-07-01T10:30:00+08:00", map[string]any{"complaint_id": "A"}),
	}
	if err := s.InsertEvents(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// the aggregator may insert the same batch twice after a crash
	if err := s.InsertEvents(ctx, recs[:3]); err != nil {
		t.Fatal(err)
	}
	p, _ := period.Parse("2026Q3", time.FixedZone("CST", 8*3600))
	got, err := s.PeriodEvents(ctx, p, 7) // seq 8 arrived after the run's high-water mark
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	// u1 ×2, a1 ×2, r1 ×2 (both copies, the second names Q4CASE), v1; not u2 (after the end),
	// not a2 (Q4), not late (after the high-water mark)
	want := []string{"u1", "u1", "a1", "a1", "r1", "r1", "v1"}
	if len(ids) != len(want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
	counts := map[string]int{}
	for _, id := range ids {
		counts[id]++
	}
	for _, id := range want {
		counts[id]--
	}
	for _, n := range counts {
		if n != 0 {
			t.Fatalf("ids = %v, want %v", ids, want)
		}
	}
	for _, r := range got {
		if r.ID == "v1" && r.Score != "87.345" {
			t.Errorf("score text = %q", r.Score)
		}
	}
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	ev := scoring.Evaluate(m, p, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixNano(), got)
	if len(ev.Units) != 1 || ev.Units[0].Detail.Indicators[scoring.ResponseRate].Num != "1" || ev.Units[0].Detail.Indicators[scoring.ResponseRate].Den != "1" {
		t.Errorf("units = %+v", ev.Units)
	}
	if n, err := s.CountEvents(ctx); err != nil || n != 7 {
		t.Errorf("distinct events = %d, %v; want 7", n, err)
	}
}

func TestRunsAndResultsAreAppendedNeverOverwritten(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	run := store.Run{ID: "r1", Period: "2026Q3", Model: "kp-2026.1", ModelSHA256: "abc", Kind: "ordinary", AsOfNs: 10, HighWater: 5, Status: store.StatusRunning, UpdatedNs: 1}
	if err := s.SaveRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	run.Status, run.Counts, run.UpdatedNs = store.StatusDone, `{"units":1}`, 2
	if err := s.SaveRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRun(ctx, store.Run{ID: "r0", Period: "2026Q2", Status: store.StatusFailed, AsOfNs: 1, UpdatedNs: 3}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Run(ctx, "r1")
	if err != nil || got.Status != store.StatusDone || got.Counts != `{"units":1}` || got.HighWater != 5 {
		t.Fatalf("run = %+v, %v", got, err)
	}
	runs, err := s.Runs(ctx, "2026Q3")
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs of 2026Q3 = %+v, %v", runs, err)
	}
	if _, err := s.Run(ctx, "nope"); err == nil {
		t.Error("unknown run found")
	}
	res := []store.Result{
		{RunID: "r1", Period: "2026Q3", Kind: "unit", Subject: "s1", Name: "建设街道", Level: "street", Unit: "s1", Path: []string{"d", "s1"}, Scored: true, ScoreCenti: 8735, Detail: `{}`},
		{RunID: "r1", Period: "2026Q3", Kind: "unit", Subject: "d", Name: "南湖区", Level: "district", Unit: "d", Path: []string{"d"}, Detail: `{}`},
	}
	if err := s.SaveResults(ctx, res); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Results(ctx, "r1", "unit", "")
	if err != nil || len(rows) != 2 || rows[1].Subject != "s1" || rows[1].ScoreCenti != 8735 || !rows[1].Scored || len(rows[1].Path) != 2 || rows[1].Name != "建设街道" {
		t.Fatalf("results = %+v, %v", rows, err)
	}
	if err := s.Audit(ctx, store.AuditEntry{At: time.Now(), Principal: "dev", Method: "GET", Path: "/v1/rankings", Query: "period=2026Q3", Status: 200}); err != nil {
		t.Fatal(err)
	}
}

// TestAnInsertLargerThanABlockStoresEveryEventOnceInOnePart: records given in
// two slices, more than one block of them, land once each, every column in
// line with the others across the block and slice boundaries, and the server
// gathers the blocks into one part (what makes large inserts cheap for it).
func TestAnInsertLargerThanABlockStoresEveryEventOnceInOnePart(t *testing.T) {
	ch := testkit.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{Addr: ch.Addr, Database: db, MaxExecutionTime: time.Minute}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 25001
	recs := make([]event.Record, n)
	for i := range recs {
		recs[i] = event.Record{Source: "/h", ID: fmt.Sprint("e", i), Type: event.TypeComplaintResponded, StreamSeq: uint64(i + 1), MsgPos: uint32(i),
			CaseID: fmt.Sprint("C", i), Raw: fmt.Sprintf(`{"id":"e%d"}`, i)}
	}
	if err := s.InsertEvents(ctx, recs[:12345], recs[12345:]); err != nil {
		t.Fatal(err)
	}
	conn := ch.Connect(t, db)
	var rows, ids, aligned uint64
	if err := conn.QueryRow(ctx, `SELECT count(), uniqExact(id),
		countIf(case_id = concat('C', toString(msg_pos)) AND id = concat('e', toString(msg_pos)) AND stream_seq = msg_pos + 1 AND raw = concat('{"id":"e', toString(msg_pos), '"}'))
		FROM events`).Scan(&rows, &ids, &aligned); err != nil {
		t.Fatal(err)
	}
	if rows != n || ids != n || aligned != n {
		t.Errorf("stored %d rows, %d distinct ids, %d with every column in line; want %d of each", rows, ids, aligned, n)
	}
	var parts uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = ? AND table = 'events' AND active", db).Scan(&parts); err != nil || parts != 1 {
		t.Errorf("the insert made %d parts (%v), want 1", parts, err)
	}
}
