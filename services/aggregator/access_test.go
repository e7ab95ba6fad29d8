package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/audit"
	"kaoping/pkg/auth"
	"kaoping/pkg/store"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

// TestEachRoleOnEachEndpoint: the dead-letter endpoints × no token, an
// unknown one, and each role: an admin's only (SPEC §6 "Access"); every
// request, refused ones included, is in the audit log with who made it and
// its answer.
func TestEachRoleOnEachEndpoint(t *testing.T) {
	n := testkit.StartNATS(t)
	js := n.EnsureStreams(t, stream.Config{})
	ch := testkit.SharedClickHouse(t)
	db := ch.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Options{Addr: ch.Addr, Database: db, MaxExecutionTime: time.Minute}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens, err := auth.ParseTokens("ops-token=ops:admin,read-token=analyst:reader,view-token=leader:viewer:d")
	if err != nil {
		t.Fatal(err)
	}
	trail := audit.New(st, "aggregator", time.Hour, nil, log)
	h := NewServer(js, trail, tokens, log)
	// Two dead letters, the second of which the admin replays.
	for i := 1; i <= 2; i++ {
		m := nats.NewMsg(fmt.Sprintf("%s%d", stream.DeadLetterSubjectPrefix, i))
		m.Header.Set(stream.HeaderOriginalSubject, stream.SourceSubject("dev"))
		m.Header.Set(stream.HeaderReason, "not an event")
		m.Data = []byte(`{"not":"an event"}`)
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	endpoints := []struct {
		method, path string
		admin        int
	}{
		{"GET", "/v1/deadletters", 200},
		{"GET", "/v1/deadletters?after=1&limit=10", 200},
		{"POST", "/v1/deadletters/2/replay", 200},
	}
	callers := []struct{ name, token, principal, role string }{
		{"no token", "", "", ""},
		{"unknown token", "not-a-token", "", ""},
		{"reader", "read-token", "analyst", "reader"},
		{"viewer", "view-token", "leader", "viewer"},
		{"admin", "ops-token", "ops", "admin"}, // last: its replay deletes the letter
	}
	type key struct {
		principal, role, method, path string
		status                        int
	}
	expected := map[key]int{}
	for i, c := range callers {
		for _, e := range endpoints {
			want := map[int]int{0: 401, 1: 401, 2: 403, 3: 403, 4: e.admin}[i]
			req := httptest.NewRequest(e.method, e.path, nil)
			req.RemoteAddr = "203.0.113.9:4000"
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != want {
				t.Errorf("%s %s as %s = %d, want %d: %s", e.method, e.path, c.name, rec.Code, want, rec.Body.String())
			}
			if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error"`) {
				t.Errorf("%s %s as %s: %d without a JSON error", e.method, e.path, c.name, rec.Code)
			}
			path, _, _ := strings.Cut(e.path, "?")
			expected[key{c.principal, c.role, e.method, path, want}]++
		}
	}
	trail.Flush(ctx)
	if err := trail.Ready(); err != nil {
		t.Fatal(err)
	}
	rows, err := ch.Connect(t, db).Query(ctx, "SELECT principal, role, method, path, status, count() FROM audit_log WHERE service = 'aggregator' AND remote = '203.0.113.9' GROUP BY principal, role, method, path, status")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[key]int{}
	for rows.Next() {
		var k key
		var status uint16
		var n uint64
		if err := rows.Scan(&k.principal, &k.role, &k.method, &k.path, &status, &n); err != nil {
			t.Fatal(err)
		}
		k.status = int(status)
		got[k] = int(n)
	}
	if fmt.Sprint(got) != fmt.Sprint(expected) {
		t.Errorf("audit entries\n got %v\nwant %v", got, expected)
	}
}
