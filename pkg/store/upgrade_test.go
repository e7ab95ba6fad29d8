package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
)

// TestPartsStoredBeforeTheHashesAreScanned upgrades a database whose events
// were stored before migration 004 added key_hash and case_hash: ClickHouse
// 18.16 cannot compute such a missing column in a PREWHERE that does not read
// what it is computed from, so a run failed with "Unknown identifier:
// case_id" until migration 009 rewrote the old parts.
func TestPartsStoredBeforeTheHashesAreScanned(t *testing.T) {
	ctx := context.Background()
	ch := testkit.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	conn := ch.Connect(t, db)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *store.Store {
		s, err := store.Open(ctx, store.Options{Addr: ch.Addr, Database: db, MaxExecutionTime: time.Minute}, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := open()
	// The events table as it was before 004, holding a quarter's events.
	for _, stmt := range []string{"ALTER TABLE events DROP COLUMN key_hash", "ALTER TABLE events DROP COLUMN case_hash"} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	recs := []event.Record{
		record(t, v, 1, "/org", "u1", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", map[string]any{"unit": "s1", "name": "建设街道", "level": "street"}),
		record(t, v, 2, "/sv", "l1", event.TypeIssueListed, "2026-07-02T09:00:00+08:00", map[string]any{"issue_id": "I1", "unit": "s1", "list": "inspection", "severity": "major", "due": "2026-07-20T00:00:00+08:00"}),
		record(t, v, 3, "/sv", "c1", event.TypeIssueClosed, "2026-07-10T09:00:00+08:00", map[string]any{"issue_id": "I1"}),
		record(t, v, 4, "/h", "a1", event.TypeComplaintAssigned, "2026-07-01T09:00:00+08:00", map[string]any{"complaint_id": "A", "unit": "s1", "category": "x", "response_due": "2026-07-01T11:00:00+08:00", "resolve_due": "2026-07-08T09:00:00+08:00"}),
		record(t, v, 5, "/h", "r1", event.TypeComplaintResponded, "2026-07-01T10:00:00+08:00", map[string]any{"complaint_id": "A"}),
	}
	if err := s.InsertEvents(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// Migration 004 as an old installation met it, then every migration
	// from the start (each is idempotent) as a service starting again.
	for _, stmt := range []string{
		"ALTER TABLE events ADD COLUMN key_hash UInt64 MATERIALIZED cityHash64(source, id)",
		"ALTER TABLE events ADD COLUMN case_hash UInt64 MATERIALIZED cityHash64(case_id)",
		"DROP TABLE schema_migrations",
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	s = open()
	p, _ := period.Parse("2026Q3", time.FixedZone("CST", 8*3600))
	cases := map[event.Kind]int{}
	if _, err := s.ScanPeriod(ctx, p, 5, store.PeriodScan{
		Org:  func(*event.Record) {},
		Case: func(kind event.Kind, events []event.Record) { cases[kind] += len(events) },
	}); err != nil {
		t.Fatalf("a run of the upgraded database: %v", err)
	}
	if cases[event.KindIssue] != 2 || cases[event.KindComplaint] != 2 {
		t.Errorf("events of the cases read: %v, want 2 issue and 2 complaint events", cases)
	}
}
