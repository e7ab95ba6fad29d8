package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestViewerSeesItsSubtreeOnly: a viewer of city c1 (streets s01–s06) gets
// 403 with a JSON error for a parent, an explanation, a download or a report
// outside c1, and within it rankings narrowed to c1 by default, explanations
// and reports with the rank among all twelve streets.
func TestViewerSeesItsSubtreeOnly(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-q2", "2026Q2")
	for _, tt := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/rankings?period=2026Q2&level=street&parent=c2", 403, "outside the subtree of c1"},
		{"/v1/rankings?period=2026Q2&level=street&parent=d", 403, "outside the subtree of c1"},
		{"/v1/rankings?period=2026Q2&level=street&parent=nowhere", 403, "outside the subtree of c1"},
		{"/v1/rankings?period=2026Q2&level=street&parent=c2&format=csv", 403, "outside the subtree"},
		{"/v1/rankings?period=2026Q2&level=street&parent=c2&format=xlsx", 403, "outside the subtree"},
		{"/v1/units/s08/scores?period=2026Q2", 403, "unit s08 is outside the subtree of c1"},
		{"/v1/units/d/scores?period=2026Q2", 403, "outside the subtree"},
		{"/v1/units/nowhere/scores?period=2026Q2", 403, "outside the subtree"},
		{"/v1/cadres/k1/scores?period=2026Q2", 403, "outside the subtree"},
		{"/v1/reports/review?unit=s08&period=2026Q2", 403, "outside the subtree"},
		{"/v1/reports/review?unit=s08&period=2026Q2&format=xlsx", 403, "outside the subtree"},
	} {
		code, hdr, body := f.getAs(viewerToken, tt.path)
		if code != tt.code || !strings.Contains(body, tt.want) || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("viewer %s = %d %s, want %d with %q", tt.path, code, body, tt.code, tt.want)
		}
	}

	// Rankings default to the viewer's subtree, ranked within it.
	var a rankingAnswer
	code, _, body := f.getAs(viewerToken, "/v1/rankings?period=2026Q2&level=street")
	if err := json.Unmarshal([]byte(body), &a); code != 200 || err != nil || len(a.Rows) != 6 || a.Rows[0].ID != "s01" || a.Rows[5].ID != "s06" ||
		!strings.Contains(body, `"parent":"c1"`) {
		t.Errorf("viewer default ranking = %d %s", code, body)
	}
	if code, _, body := f.getAs(viewerToken, "/v1/rankings?period=2026Q2&level=community&parent=s03"); code != 200 || !strings.Contains(body, `"id":"s03.m"`) || strings.Contains(body, `"s04.m"`) {
		t.Errorf("viewer ranking under s03 = %d %s", code, body)
	}
	// Downloads obey the same.
	code, _, body = f.getAs(viewerToken, "/v1/rankings?period=2026Q2&level=street&format=csv")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if code != 200 || err != nil || len(recs) != 7 || recs[6][1] != "s06" {
		t.Errorf("viewer csv = %d %v %q", code, err, recs)
	}
	code, _, body = f.getAs(viewerToken, "/v1/rankings?period=2026Q2&format=xlsx")
	book, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if code != 200 || err != nil {
		t.Fatalf("viewer xlsx = %d %v", code, err)
	}
	if got := strings.Join(book.GetSheetList(), ","); got != "市,街道乡镇,社区村,说明" { // c1 itself is of level city
		t.Errorf("viewer workbook of every level: sheets %s", got)
	}
	streets, _ := book.GetRows("街道乡镇")
	cities, _ := book.GetRows("说明")
	if len(streets) != 7 || !strings.Contains(strings.Join(cities[len(cities)-1], "="), "c1") {
		t.Errorf("viewer xlsx rows %q info %q", streets, cities)
	}
	// An explanation inside: the rank among all twelve streets.
	code, _, body = f.getAs(viewerToken, "/v1/units/s02/scores?period=2026Q2")
	if code != 200 || !strings.Contains(body, `"rank":2`) || !strings.Contains(body, `"peers":12`) {
		t.Errorf("viewer explanation of s02 = %d %s", code, body)
	}
	// … and the whole peer group's median, best and top ten by name and
	// score, peers outside the viewer's subtree included (SPEC §6).
	for _, want := range []string{`"peer_median":89.5`, `"peer_best":95`, `"peer_top":[{"rank":1,"id":"s01","name":"街道 s01","score":95,"grade":"excellent"}`,
		`{"rank":10,"id":"s10","name":"街道 s10","score":86,"grade":"good"}]`} {
		if !strings.Contains(body, want) {
			t.Errorf("viewer explanation of s02 lacks %s: %s", want, body)
		}
	}
	// A report inside: the rank among all, the whole peer group's top ten by name and score.
	code, _, body = f.getAs(viewerToken, "/v1/reports/review?unit=s02&period=2026Q2&format=md")
	if code != 200 || !strings.Contains(body, "第 2 名 / 共 12") || !strings.Contains(body, "| 10 | 街道 s10 | 86 | 良好 |") || !strings.Contains(body, "| **得分** | | 94 | 89.5 | 95 | |") {
		t.Errorf("viewer report of s02 = %d %s", code, body)
	}
	// Without a token: 401.
	if code, _, body := f.getAs("", "/v1/reports/review?unit=s02&period=2026Q2"); code != 401 {
		t.Errorf("report without a token = %d %s", code, body)
	}
}
