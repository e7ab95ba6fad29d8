package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/auth"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
)

// TestReadsAreAuditedInBatchesAndRefusedWhileTheLogFails: reads are written
// to audit_log by the batch insert, and once an insert failed, reads are
// answered 503 until one succeeds.
func TestReadsAreAuditedInBatchesAndRefusedWhileTheLogFails(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-p", "2026Q2")
	for range 3 {
		if code, _, body := f.get("/v1/rankings?period=2026Q2&level=street&limit=1"); code != 200 {
			t.Fatalf("read = %d %s", code, body)
		}
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if n, err := f.count("SELECT count() FROM audit_log WHERE path = '/v1/rankings'"); err != nil || n != 3 {
			return errorf("audit entries %d, %v", n, err)
		}
		return nil
	})

	// An audit log whose store is gone: the first read is served and queued,
	// its insert fails, and the next read is refused.
	ch := testkit.SharedClickHouse(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gone, err := store.Open(context.Background(), store.Options{Addr: ch.Addr, Database: ch.NewDatabase(t), MaxExecutionTime: time.Minute}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	gone.Close()
	audit := newAuditLog(gone, time.Hour, log)
	tokens, err := auth.ParseTokens(token + "=analyst:reader")
	if err != nil {
		t.Fatal(err)
	}
	h := NewServer(f.store, audit, tokens, log)
	get := func() int {
		req := httptest.NewRequest(http.MethodGet, "/v1/rankings?period=2026Q2&level=street&limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == 503 && !strings.Contains(rec.Body.String(), "audit log") {
			t.Errorf("503 without naming the audit log: %s", rec.Body.String())
		}
		return rec.Code
	}
	if code := get(); code != 200 {
		t.Fatalf("read before any failure = %d", code)
	}
	audit.flush(context.Background())
	if code := get(); code != 503 {
		t.Errorf("read while the audit log fails = %d, want 503", code)
	}
}
