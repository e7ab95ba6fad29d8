package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

// call sends method path body with the bearer token tok ("" for none).
func (f *fixture) call(tok, method, path, body string) (int, http.Header, string) {
	f.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

type auditKey struct {
	principal, role, method, path string
	status                        int
}

// auditEntries counts the scorer's audit entries by who, what and the answer.
func (f *fixture) auditEntries() (map[auditKey]int, error) {
	rows, err := testkit.SharedClickHouse(f.t).Connect(f.t, f.db).Query(context.Background(),
		"SELECT principal, role, method, path, status, count() FROM audit_log WHERE service = 'scorer' GROUP BY principal, role, method, path, status")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := map[auditKey]int{}
	for rows.Next() {
		var k auditKey
		var status uint16
		var n uint64
		if err := rows.Scan(&k.principal, &k.role, &k.method, &k.path, &status, &n); err != nil {
			return nil, err
		}
		k.status = int(status)
		got[k] = int(n)
	}
	return got, rows.Err()
}

// TestEachRoleOnEachEndpoint: every endpoint of the scorer × no token, an
// unknown one, and each role, with the status SPEC §6 "Access" gives (runs
// and finalising an admin's, reads every reader's, a diff not a viewer's);
// every request, refused ones included, is in the audit log.
func TestEachRoleOnEachEndpoint(t *testing.T) {
	f := newFixture(t)
	code, _, body := f.call(token, "POST", "/v1/runs", `{"period":"2027Q1"}`)
	var run struct{ ID, Status string }
	if err := json.Unmarshal([]byte(body), &run); err != nil || code != 201 || run.Status != "done" {
		t.Fatalf("setup run = %d %s", code, body)
	}
	expected := map[auditKey]int{{"admin", "admin", "POST", "/v1/runs", 201}: 1}
	endpoints := []struct {
		method, path, body string
		want               [3]int // admin, reader, viewer
	}{
		{"POST", "/v1/runs", `{"period":"2027Q1"}`, [3]int{201, 403, 403}},
		{"GET", "/v1/runs?period=2027Q1", "", [3]int{200, 200, 200}},
		{"GET", "/v1/runs", "", [3]int{200, 200, 200}},
		{"GET", "/v1/runs/" + run.ID, "", [3]int{200, 200, 200}},
		{"GET", "/v1/runs/" + run.ID + "/diff", "", [3]int{200, 200, 403}},
		{"POST", "/v1/periods/2027Q1/finalize", "", [3]int{200, 403, 403}},
	}
	callers := []struct{ name, token, principal, role string }{
		{"no token", "", "", ""},
		{"unknown token", "not-a-token", "", ""},
		{"admin", token, "admin", "admin"},
		{"reader", readerToken, "analyst", "reader"},
		{"viewer", viewerToken, "leader", "viewer"},
	}
	for i, c := range callers {
		for _, e := range endpoints {
			want := 401
			if i >= 2 {
				want = e.want[i-2]
			}
			code, _, body := f.call(c.token, e.method, e.path, e.body)
			if code != want {
				t.Errorf("%s %s as %s = %d, want %d: %.200s", e.method, e.path, c.name, code, want, body)
			}
			if code >= 400 && !strings.Contains(body, `"error"`) {
				t.Errorf("%s %s as %s: %d without a JSON error: %s", e.method, e.path, c.name, code, body)
			}
			path, _, _ := strings.Cut(e.path, "?")
			expected[auditKey{c.principal, c.role, e.method, path, want}]++
		}
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		got, err := f.auditEntries()
		if err != nil {
			return err
		}
		for k, n := range expected {
			if got[k] != n {
				return fmt.Errorf("audit entries of %+v: %d, want %d", k, got[k], n)
			}
		}
		if len(got) != len(expected) {
			return fmt.Errorf("%d kinds of audit entries, want %d: %v", len(got), len(expected), got)
		}
		return nil
	})
}

// TestRunsPastTheBoundAreTooManyRequests: with one run at most, a request
// while a run waits for the aggregator is answered 429 with Retry-After, and
// once the run ended a request is taken again.
func TestRunsPastTheBoundAreTooManyRequests(t *testing.T) {
	f := newFixtureWith(t, 1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// An event in the stream that the aggregator has not stored yet holds the
	// run at its read barrier.
	e := mustEvent(t, "u-d", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", event.UnitUpserted{Unit: "d", Name: "南湖区", Level: "district"})
	if _, err := publish.PublishBatches(ctx, f.js, stream.SourceSubject("dev"), "dev", []event.Event{e}, nil); err != nil {
		t.Fatal(err)
	}
	code, _, body := f.call(token, "POST", "/v1/runs", `{"period":"2026Q2"}`)
	var first struct{ ID, Status string }
	if err := json.Unmarshal([]byte(body), &first); err != nil || code != 201 || first.Status != "running" {
		t.Fatalf("first run = %d %s, want 201 running", code, body)
	}
	code, hdr, body := f.call(token, "POST", "/v1/runs", `{"period":"2026Q3"}`)
	if code != 429 || hdr.Get("Retry-After") != "5" || !strings.Contains(body, "at most 1 at once") {
		t.Fatalf("second run = %d (Retry-After %q) %s, want 429", code, hdr.Get("Retry-After"), body)
	}
	if code, _, body := f.call(token, "GET", "/v1/runs?period=2026Q3", ""); code != 200 || !strings.Contains(body, `"total":0`) {
		t.Errorf("the refused run is listed: %d %s", code, body)
	}
	// The aggregator's part: the message is taken and acknowledged.
	c, err := stream.EnsureAggregatorConsumer(ctx, f.js, stream.ConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if code, _, body := f.call(token, "GET", "/v1/runs/"+first.ID, ""); code != 200 || !strings.Contains(body, `"status":"done"`) {
			return fmt.Errorf("first run: %d %s", code, body)
		}
		return nil
	})
	// The run is stored done a moment before its slot is given back.
	testkit.Eventually(t, 5*time.Second, func() error {
		if code, _, body := f.call(token, "POST", "/v1/runs", `{"period":"2026Q3"}`); code != 201 {
			return fmt.Errorf("a run once the first ended = %d %s", code, body)
		}
		return nil
	})
}

// TestRunsAreListedAPageAtATime: limit and offset page the runs, oldest
// first, with the total; bad values are a JSON 400.
func TestRunsAreListedAPageAtATime(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for range 4 {
		code, run := f.do("POST", "/v1/runs", `{"period":"2027Q2"}`)
		if code != 201 {
			t.Fatalf("run = %d %v", code, run)
		}
		ids = append(ids, run["id"].(string))
	}
	code, list := f.do("GET", "/v1/runs?period=2027Q2&limit=2&offset=1", "")
	runs, _ := list["runs"].([]any)
	if code != 200 || list["total"] != float64(4) || len(runs) != 2 {
		t.Fatalf("page = %d %v", code, list)
	}
	if runs[0].(map[string]any)["id"] != ids[1] || runs[1].(map[string]any)["id"] != ids[2] {
		t.Errorf("page holds %v, want %v", runs, ids[1:3])
	}
	for _, bad := range []string{"limit=0", "limit=1001", "offset=-1", "offset=x"} {
		if code, body := f.do("GET", "/v1/runs?"+bad, ""); code != 400 || body["error"] == nil {
			t.Errorf("runs?%s = %d %v", bad, code, body)
		}
	}
}
