package audit_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"kaoping/pkg/audit"
	"kaoping/pkg/auth"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ch := testkit.SharedClickHouse(t)
	st, err := store.Open(context.Background(), store.Options{Addr: ch.Addr, Database: ch.NewDatabase(t), MaxExecutionTime: time.Minute}, discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestGuardRecordsAnsweredAndRefusedRequests: a request answered, one
// without a token, one with an unknown token and one whose role is refused
// are all in the table, with who (when known), from where and the status.
func TestGuardRecordsAnsweredAndRefusedRequests(t *testing.T) {
	st := openStore(t)
	tokens, err := auth.ParseTokens("a-tok=ana:admin,r-tok=rui:reader")
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(st, "scorer", time.Hour, nil, discard())
	h := log.Guard(tokens, auth.Require(tokens, []auth.Role{auth.Admin}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})))
	for _, c := range []struct {
		token string
		want  int
	}{{"a-tok", 418}, {"", 401}, {"nobody", 401}, {"r-tok", 403}} {
		req := httptest.NewRequest("GET", "/v1/runs?period=2026Q3&x="+c.token, nil)
		req.RemoteAddr = "192.0.2.7:50000"
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("token %q: %d, want %d", c.token, rec.Code, c.want)
		}
	}
	log.Flush(context.Background())
	if err := log.Ready(); err != nil {
		t.Fatal(err)
	}
	got, total, err := st.AuditEntries(context.Background(), store.AuditFilter{From: time.Now().Add(-time.Minute), To: time.Now().Add(time.Minute)}, 0, 10)
	if err != nil || total != 4 {
		t.Fatalf("%d entries, %v; want 4", total, err)
	}
	seen := map[string]bool{}
	for _, e := range got {
		if e.Service != "scorer" || e.Method != "GET" || e.Path != "/v1/runs" || e.Remote != "192.0.2.7" || e.ForwardedFor != "198.51.100.1" {
			t.Errorf("entry %+v", e)
		}
		seen[fmt.Sprintf("%s %s %s %d", strings.TrimPrefix(e.Query, "period=2026Q3&x="), e.Principal, e.Role, e.Status)] = true
	}
	for _, want := range []string{"a-tok ana admin 418", "   401", "nobody   401", "r-tok rui reader 403"} {
		if !seen[want] {
			t.Errorf("no entry %q in %v", want, seen)
		}
	}
}

// TestGuardRefusesWhileTheLogCannotBeWritten: once a write failed, every
// request is 503 (nothing reaches the handler) until a write succeeds, and
// the entries queued before are kept for it.
func TestGuardRefusesWhileTheLogCannotBeWritten(t *testing.T) {
	st := openStore(t)
	w := &switchable{st: st, broken: true}
	tokens, err := auth.ParseTokens("r-tok=rui:reader")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	log := audit.New(w, "api", time.Hour, reg, discard())
	served := 0
	h := log.Guard(tokens, auth.Require(tokens, auth.Readers, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served++ })))
	get := func() int {
		req := httptest.NewRequest("GET", "/v1/rankings", nil)
		req.Header.Set("Authorization", "Bearer r-tok")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == 503 && !strings.Contains(rec.Body.String(), "audit log") {
			t.Errorf("503 without naming the audit log: %s", rec.Body.String())
		}
		return rec.Code
	}
	if code := get(); code != 200 {
		t.Fatalf("before any failure: %d", code)
	}
	log.Flush(context.Background())
	if code := get(); code != 503 || served != 1 {
		t.Fatalf("while the log fails: %d, served %d; want 503 and 1", code, served)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP kaoping_api_audit_failing 1 while the last write of the audit log failed and requests are refused with 503.
# TYPE kaoping_api_audit_failing gauge
kaoping_api_audit_failing 1
# HELP kaoping_api_audit_write_failures_total Writes of the audit log that failed (each refuses requests until one succeeds).
# TYPE kaoping_api_audit_write_failures_total counter
kaoping_api_audit_write_failures_total 1
`), "kaoping_api_audit_failing", "kaoping_api_audit_write_failures_total"); err != nil {
		t.Error(err)
	}
	w.broken = false
	log.Flush(context.Background())
	if code := get(); code != 200 {
		t.Fatalf("after a write succeeded: %d", code)
	}
	log.Flush(context.Background())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP kaoping_api_audit_entries_written_total Audit log entries written to ClickHouse.
# TYPE kaoping_api_audit_entries_written_total counter
kaoping_api_audit_entries_written_total 2
# HELP kaoping_api_audit_failing 1 while the last write of the audit log failed and requests are refused with 503.
# TYPE kaoping_api_audit_failing gauge
kaoping_api_audit_failing 0
`), "kaoping_api_audit_entries_written_total", "kaoping_api_audit_failing"); err != nil {
		t.Error(err)
	}
	_, total, err := st.AuditEntries(context.Background(), store.AuditFilter{From: time.Now().Add(-time.Minute), To: time.Now().Add(time.Minute)}, 0, 10)
	if err != nil || total != 2 {
		t.Errorf("%d entries, %v; want the two reads served", total, err)
	}
}

// switchable is a store whose writes fail while broken, as when ClickHouse
// is unreachable.
type switchable struct {
	st     *store.Store
	broken bool
}

func (s *switchable) AuditBatch(ctx context.Context, e []store.AuditEntry) error {
	if s.broken {
		return fmt.Errorf("clickhouse unreachable")
	}
	return s.st.AuditBatch(ctx, e)
}
