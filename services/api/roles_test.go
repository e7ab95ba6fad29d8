package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kaoping/pkg/testkit"
)

// as sends GET path with the bearer token tok ("" for none).
func (f *fixture) as(tok, path string) (int, http.Header, string) {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

// TestEachRoleOnEachEndpoint: every endpoint of the api × no token, an
// unknown one, and each role, with the status SPEC §6 "Access" gives; every
// request, refused ones included, is in the audit log with its principal and
// role (empty when the token is not known) and its status.
func TestEachRoleOnEachEndpoint(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-p", "2026Q2")
	// The viewer's unit is the city c1 (streets s01–s06): inside its subtree
	// it reads as a reader does, outside it is refused (403).
	endpoints := []struct {
		name, path string
		// want is the status of admin, reader, viewer.
		want [3]int
	}{
		{"rankings", "/v1/rankings?period=2026Q2&level=street", [3]int{200, 200, 200}},
		{"rankings page", "/v1/rankings?period=2026Q2&level=street&limit=2&offset=1", [3]int{200, 200, 200}},
		{"explanation of a unit", "/v1/units/s02/scores?period=2026Q2", [3]int{200, 200, 200}},
		// A viewer learns nothing of what is outside its subtree: an unknown
		// cadre is refused as one outside it (docs/pages.md).
		{"explanation of a cadre", "/v1/cadres/nobody/scores?period=2026Q2", [3]int{404, 404, 403}},
		{"download csv", "/v1/rankings?period=2026Q2&level=street&format=csv", [3]int{200, 200, 200}},
		{"download xlsx", "/v1/rankings?period=2026Q2&level=street&format=xlsx", [3]int{200, 200, 200}},
		{"audit log", "/v1/audit", [3]int{200, 403, 403}},
		{"rankings of another city", "/v1/rankings?period=2026Q2&level=street&parent=c2", [3]int{200, 200, 403}},
		{"explanation outside the subtree", "/v1/units/s08/scores?period=2026Q2", [3]int{200, 200, 403}},
		{"download outside the subtree", "/v1/rankings?period=2026Q2&level=street&parent=c2&format=csv", [3]int{200, 200, 403}},
		{"report inside the subtree", "/v1/reports/review?unit=s02&period=2026Q2&format=md", [3]int{200, 200, 200}},
		{"report outside the subtree", "/v1/reports/review?unit=s08&period=2026Q2&format=md", [3]int{200, 200, 403}},
	}
	callers := []struct {
		name, token, principal, role string
	}{
		{"no token", "", "", ""},
		{"unknown token", "not-a-token", "", ""},
		{"admin", adminToken, "root", "admin"},
		{"reader", token, "analyst", "reader"},
		{"viewer", viewerToken, "lead", "viewer"},
	}
	type key struct {
		principal, role, path, query string
		status                       int
	}
	expected := map[key]int{}
	for i, c := range callers {
		for _, e := range endpoints {
			want := 401
			if i >= 2 {
				want = e.want[i-2]
			}
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				code, _, body := f.as(c.token, e.path)
				if code != want {
					t.Errorf("%s as %s = %d, want %d: %.200s", e.path, c.name, code, want, body)
				}
			})
			req := httptest.NewRequest(http.MethodGet, e.path, nil)
			expected[key{c.principal, c.role, req.URL.Path, req.URL.RawQuery, want}]++
		}
	}
	// Every request is in the audit log, as who made it and what it was
	// answered (the refused ones too).
	testkit.Eventually(t, 10*time.Second, func() error {
		rows, err := testkit.SharedClickHouse(t).Connect(t, f.db).Query(t.Context(),
			"SELECT principal, role, path, query, status, count() FROM audit_log WHERE service = 'api' GROUP BY principal, role, path, query, status")
		if err != nil {
			return err
		}
		defer rows.Close()
		got := map[key]int{}
		for rows.Next() {
			var k key
			var status uint16
			var n uint64
			if err := rows.Scan(&k.principal, &k.role, &k.path, &k.query, &status, &n); err != nil {
				return err
			}
			k.status = int(status)
			got[k] = int(n)
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
