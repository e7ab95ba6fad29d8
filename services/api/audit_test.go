package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/audit"
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
		if n, err := f.count("SELECT count() FROM audit_log WHERE path = '/v1/rankings' AND service = 'api' AND principal = 'analyst' AND role = 'reader'"); err != nil || n != 3 {
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
	trail := audit.New(gone, "api", time.Hour, nil, log)
	tokens, err := auth.ParseTokens(token + "=analyst:reader")
	if err != nil {
		t.Fatal(err)
	}
	h := NewServer(f.store, trail, tokens, log)
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
	trail.Flush(context.Background())
	if code := get(); code != 503 {
		t.Errorf("read while the audit log fails = %d, want 503", code)
	}
}

type auditAnswer struct {
	Total   int `json:"total"`
	Limit   int `json:"limit"`
	Offset  int `json:"offset"`
	Entries []struct {
		At        string `json:"at"`
		Service   string `json:"service"`
		Principal string `json:"principal"`
		Role      string `json:"role"`
		Path      string `json:"path"`
		Query     string `json:"query"`
		Status    int    `json:"status"`
		Remote    string `json:"remote"`
	} `json:"entries"`
}

// TestTheAuditLogIsListedByAnAdmin: GET /v1/audit pages the entries newest
// first with the total, filters by principal and time, and refuses bad
// parameters with a JSON 400.
func TestTheAuditLogIsListedByAnAdmin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	var entries []store.AuditEntry
	for i := range 250 {
		p := "analyst"
		if i%5 == 0 {
			p = "leader"
		}
		entries = append(entries, store.AuditEntry{At: base.Add(time.Duration(i) * time.Second), Service: "scorer", Principal: p, Role: "reader",
			Method: "GET", Path: "/v1/runs", Status: 200, Remote: "127.0.0.1"})
	}
	if err := f.store.AuditBatch(ctx, entries); err != nil {
		t.Fatal(err)
	}
	list := func(query string) auditAnswer {
		t.Helper()
		code, _, body := f.as(adminToken, "/v1/audit?"+query)
		if code != 200 {
			t.Fatalf("audit?%s = %d %s", query, code, body)
		}
		var a auditAnswer
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	window := "from=2026-07-01T08:00:00%2B08:00&to=2026-07-01T00:10:00Z"
	a := list(window)
	if a.Total != 250 || a.Limit != 100 || len(a.Entries) != 100 || a.Entries[0].At != "2026-07-01T00:04:09Z" || a.Entries[99].At != "2026-07-01T00:02:30Z" {
		t.Fatalf("first page: total %d, limit %d, %d entries, %s … %s", a.Total, a.Limit, len(a.Entries), a.Entries[0].At, a.Entries[len(a.Entries)-1].At)
	}
	if e := a.Entries[0]; e.Service != "scorer" || e.Path != "/v1/runs" || e.Remote != "127.0.0.1" || e.Role != "reader" {
		t.Errorf("entry = %+v", e)
	}
	if a := list(window + "&limit=1000&offset=240"); a.Total != 250 || len(a.Entries) != 10 || a.Entries[9].At != "2026-07-01T00:00:00Z" {
		t.Errorf("last page: total %d, %d entries", a.Total, len(a.Entries))
	}
	if a := list(window + "&principal=leader&limit=1000"); a.Total != 50 || len(a.Entries) != 50 || a.Entries[0].Principal != "leader" {
		t.Errorf("leader's: total %d, %d entries", a.Total, len(a.Entries))
	}
	if a := list("from=2026-07-01T00:01:00Z&to=2026-07-01T00:02:00Z&limit=1000"); a.Total != 60 {
		t.Errorf("one minute: total %d, want 60", a.Total)
	}
	for _, bad := range []string{"limit=0", "limit=1001", "limit=x", "offset=-1", "from=2026-07-01", "to=yesterday"} {
		code, hdr, body := f.as(adminToken, "/v1/audit?"+bad)
		if code != 400 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(body, `"error"`) {
			t.Errorf("audit?%s = %d %s %s, want a JSON 400", bad, code, hdr.Get("Content-Type"), body)
		}
	}
}
