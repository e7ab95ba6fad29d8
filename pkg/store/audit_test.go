package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kaoping/pkg/store"
)

// TestAuditEntriesArePagedNewestFirst: the listing filters by time and
// principal, pages newest first and counts every match; each column comes back
// as written, quotes and Chinese included.
func TestAuditEntriesArePagedNewestFirst(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	var batch []store.AuditEntry
	for i := range 10 {
		p := "ana"
		if i%2 == 1 {
			p = "bo'b 审计"
		}
		batch = append(batch, store.AuditEntry{At: base.Add(time.Duration(i) * time.Minute), Service: "api", Principal: p, Role: "reader",
			Method: "GET", Path: "/v1/rankings", Query: fmt.Sprintf("period=2026Q%d", i%4+1), Status: 200,
			Remote: "127.0.0.1", ForwardedFor: "10.0.0.1, 10.0.0.2"})
	}
	batch = append(batch, store.AuditEntry{At: base.Add(time.Hour), Service: "scorer", Method: "POST", Path: "/v1/runs", Status: 401, Remote: "::1"})
	if err := s.AuditBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	all := store.AuditFilter{From: base, To: base.Add(2 * time.Hour)}
	got, total, err := s.AuditEntries(ctx, all, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if total != 11 || len(got) != 3 {
		t.Fatalf("total %d, %d entries, want 11 and 3", total, len(got))
	}
	if got[0].Service != "scorer" || got[0].Status != 401 || got[0].Principal != "" || got[0].Remote != "::1" || !got[0].At.Equal(base.Add(time.Hour)) {
		t.Errorf("newest = %+v", got[0])
	}
	if got[1].Principal != "bo'b 审计" || got[1].Query != "period=2026Q2" || got[1].ForwardedFor != "10.0.0.1, 10.0.0.2" || got[1].Role != "reader" {
		t.Errorf("second = %+v", got[1])
	}
	page, _, err := s.AuditEntries(ctx, all, 9, 5)
	if err != nil || len(page) != 2 || !page[1].At.Equal(base) {
		t.Errorf("last page = %+v, %v; want the two oldest", page, err)
	}
	bob, total, err := s.AuditEntries(ctx, store.AuditFilter{From: base.Add(2 * time.Minute), To: base.Add(8 * time.Minute), Principal: "bo'b 审计"}, 0, 100)
	if err != nil || total != 3 || len(bob) != 3 {
		t.Fatalf("bob's entries in [2m, 8m) = %d of %d, %v; want 3 (3m, 5m, 7m)", len(bob), total, err)
	}
	if none, total, err := s.AuditEntries(ctx, all, 20, 5); err != nil || total != 11 || len(none) != 0 {
		t.Errorf("past the end = %d of %d, %v", len(none), total, err)
	}
}

// TestAuditPagesCutThroughOneInstant: entries of one instant that straddle
// pages come each exactly once, in one order, page after page.
func TestAuditPagesCutThroughOneInstant(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	var batch []store.AuditEntry
	for i := range 30 {
		at := base.Add(time.Duration(i/10) * time.Second) // ten entries at each of three instants
		batch = append(batch, store.AuditEntry{At: at, Service: "api", Principal: fmt.Sprintf("p%02d", i), Method: "GET", Path: "/v1/rankings", Status: 200})
	}
	if err := s.AuditBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	all := store.AuditFilter{From: base, To: base.Add(time.Minute)}
	var seen []string
	for offset := 0; offset < 30; offset += 7 {
		page, total, err := s.AuditEntries(ctx, all, offset, 7)
		if err != nil || total != 30 {
			t.Fatalf("page at %d: %v, total %d", offset, err, total)
		}
		for _, e := range page {
			seen = append(seen, fmt.Sprintf("%d/%s", e.At.Unix()-base.Unix(), e.Principal))
		}
	}
	want := []string{}
	for sec := 2; sec >= 0; sec-- {
		for i := range 10 {
			want = append(want, fmt.Sprintf("%d/p%02d", sec, sec*10+i))
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("pages\n got %v\nwant %v", seen, want)
	}
}
