package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kaoping/pkg/event"
	"kaoping/pkg/scoring"
)

// storeIssues stores problems of 2026Q2 and an overdue case in run: IS-1 on
// the inspection list of s02's community, never closed and overdue; IS-2 on
// the audit list of s02, closed; IS-3 of s08, another subtree; IS-4 of s02,
// closed then reopened.
func (f *fixture) storeIssues(runID string) {
	f.t.Helper()
	due := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	listed := func(seq uint64, id, list, unit string) event.Record {
		return event.Record{Source: "/sources/supervision", ID: id + "-listed", Type: "kaoping.issue.listed", TimeNs: due - 1e12, StreamSeq: seq,
			CaseID: id, PeriodNs: due, Unit: unit, List: list, Severity: "normal", DueNs: due}
	}
	state := func(seq uint64, id, typ string, at int64) event.Record {
		return event.Record{Source: "/sources/supervision", ID: id + "-" + typ, Type: typ, TimeNs: at, StreamSeq: seq, CaseID: id}
	}
	if err := f.store.InsertEvents(context.Background(), []event.Record{
		listed(1, "IS-1", "inspection", "s02.m"), listed(2, "IS-2", "audit", "s02"), listed(3, "IS-3", "audit", "s08"), listed(4, "IS-4", "audit", "s02"),
		state(5, "IS-2", "kaoping.issue.closed", due-1e11), state(6, "IS-4", "kaoping.issue.closed", due-1e11), state(7, "IS-4", "kaoping.issue.reopened", due-1e10),
		listed(2000, "IS-5", "audit", "s02"), // after the run's high water: not seen
	}); err != nil {
		f.t.Fatal(err)
	}
	w := f.store.NewCaseWriter(context.Background(), runID, 0)
	w.Add(scoring.CaseResult{Kind: event.KindIssue, ID: "IS-1", Unit: "s02.m", Overdue: true})
	if _, err := w.Close(); err != nil {
		f.t.Fatal(err)
	}
}

func TestReviewReport(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-q2", "2026Q2")
	f.storeIssues("run-q2")
	// 2026Q1: s02 third of three; 2025Q4 and 2025Q3 have no run.
	f.storeRun("run-q1", "2026Q1", time.Now().Add(-2*time.Hour), map[string]int64{"s01": 9600, "s02": 8000, "s03": 9000})

	code, hdr, body := f.get("/v1/reports/review?unit=s02&period=2026Q2&format=md")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/markdown") {
		t.Fatalf("md report = %d %v %s", code, hdr, body)
	}
	for _, want := range []string{
		"# 述职评议报告：街道 s02（2026Q2）",
		"排名：第 2 名 / 共 12 · 得分：94 · 等级：优秀 · 较上期：上升 1",
		"| 及时响应率 | 1/2 | 0.5 | 0.5 | 0.5 | 10 |",
		"| **得分** | | 94 | 89.5 | 95 | |",
		"| 2026Q1 | 3 | 80 | 良好 |", "| 2025Q4 | – | – | – |", "| 2026Q2 | 2 | 94 | 优秀 |",
		"| 1 | 街道 s01 | 95 | 优秀 |", "| 10 | 街道 s10 | 86 | 良好 |",
		"| 巡视巡察 | 1 | `IS-1` | `IS-1` |", "| 审计 | 2 | `IS-4` | – |",
		"| `E2` | 轻微 | `RC-9` |", "| `E1` | 一般 | 3 |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("md report lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "街道 s11") || strings.Contains(body, "IS-3") || strings.Contains(body, "IS-5") {
		t.Errorf("md report shows more than the top ten or another subtree's problems:\n%s", body)
	}

	code, hdr, body = f.get("/v1/reports/review?unit=s02&period=2026Q2")
	if code != 200 || hdr.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(body, "<svg") || !strings.Contains(body, "@page { size: A4") {
		t.Errorf("html report = %d %v", code, hdr)
	}
	code, _, body = f.get("/v1/reports/review?unit=s02&period=2026Q2&format=xlsx&lang=en")
	if code != 200 {
		t.Fatalf("xlsx report = %d %s", code, body)
	}
	book, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows("top ten of the peers")
	if err != nil || len(rows) != 11 || strings.Join(rows[2], ",") != "2,s02,街道 s02,94.00,excellent" {
		t.Errorf("xlsx top ten %v %q", err, rows)
	}

	for _, tt := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/reports/review?period=2026Q2", 400, "unit is required"},
		{"/v1/reports/review?unit=s02&period=2026Q2&format=pdf", 400, "format must be"},
		{"/v1/reports/review?unit=s02&period=2026-Q2", 400, "canonical"},
		{"/v1/reports/review?unit=zz&period=2026Q2", 404, "not in the tree"},
		{"/v1/reports/review?unit=s02&period=2026Q4", 404, "no done run"},
	} {
		code, hdr, body := f.get(tt.path)
		if code != tt.code || !strings.Contains(body, tt.want) || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s = %d %s, want %d with %q", tt.path, code, body, tt.code, tt.want)
		}
	}
}
