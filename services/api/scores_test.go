package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/services/api/internal/ranking"
)

// storePlacedRun stores a done run the way the scorer does now: every
// subject placed among the peers of its level. Streets s01…s12 under district
// d, in two halves (s01–s06 under city c1, the others under c2), with scores
// 95, 94, …; every street has a community, unscored.
func (f *fixture) storePlacedRun(runID, period string) {
	f.t.Helper()
	ctx := context.Background()
	asOf := time.Now().Add(-time.Hour)
	if err := f.store.SaveRun(ctx, store.Run{ID: runID, Period: period, Model: "kp-2026.1", Kind: "ordinary", AsOfNs: asOf.UnixNano(),
		HighWater: 1000, Status: store.StatusDone, UpdatedNs: asOf.UnixNano()}); err != nil {
		f.t.Fatal(err)
	}
	ratios := scoring.Ratios{Num: [4]int64{1, 0, 0, 0}, Den: [4]int64{2, 0, 0, 0}}
	rows := []store.ScoreRow{{RunID: runID, Kind: "unit", Level: "district", Subject: "d", Name: "南湖区", Unit: "d", Path: []string{"d"}},
		{RunID: runID, Kind: "unit", Level: "city", Subject: "c1", Unit: "c1", Path: []string{"d", "c1"}},
		{RunID: runID, Kind: "unit", Level: "city", Pos: 1, Subject: "c2", Unit: "c2", Path: []string{"d", "c2"}}}
	for i := range 12 {
		id := fmt.Sprintf("s%02d", i+1)
		city := "c1"
		if i >= 6 {
			city = "c2"
		}
		// 12 peers, quota 2: 95 and 94 excellent, then good; ranks 1…12.
		grade := "good"
		if i < 2 {
			grade = "excellent"
		}
		rows = append(rows,
			store.ScoreRow{RunID: runID, Kind: "unit", Level: "street", Pos: i, Subject: id, Name: "街道 " + id, Unit: id, Path: []string{"d", city, id},
				Scored: true, ScoreCenti: int64(9500 - 100*i), Rank: i + 1, Grade: grade, Ratios: ratios, Base: "50", Penalty: 3, PenaltyPoints: 3},
			store.ScoreRow{RunID: runID, Kind: "unit", Level: "community", Pos: i, Subject: id + ".m", Name: "社区", Unit: id + ".m", Path: []string{"d", city, id, id + ".m"}})
	}
	if err := f.store.SaveScores(ctx, rows); err != nil {
		f.t.Fatal(err)
	}
	w := f.store.NewCaseWriter(ctx, runID, 0)
	w.Add(scoring.CaseResult{Kind: event.KindComplaint, ID: "C7", Unit: "s02.m", LateResponse: true})
	w.Add(scoring.CaseResult{Kind: event.KindError, ID: "E1", Unit: "s02", Severity: "moderate", Points: 3})
	w.Add(scoring.CaseResult{Kind: event.KindError, ID: "E2", Unit: "s02", Severity: "minor", Tolerated: true, DecisionID: "RC-9"})
	w.Add(scoring.CaseResult{Kind: event.KindComplaint, ID: "C8", Unit: "s03.m", Unresolved: true})
	if _, err := w.Close(); err != nil {
		f.t.Fatal(err)
	}
}

type rankingAnswer struct {
	Total *int `json:"total"`
	Rows  []struct {
		Rank  *int    `json:"rank"`
		ID    string  `json:"id"`
		Grade *string `json:"grade"`
	} `json:"rows"`
}

func (f *fixture) ranking(path string) rankingAnswer {
	f.t.Helper()
	code, _, body := f.get(path)
	if code != 200 {
		f.t.Fatalf("%s = %d %s", path, code, body)
	}
	var a rankingAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		f.t.Fatal(err)
	}
	return a
}

func ids(a rankingAnswer) string {
	var out []string
	for _, r := range a.Rows {
		rank, grade := "-", "-"
		if r.Rank != nil {
			rank, grade = fmt.Sprint(*r.Rank), *r.Grade
		}
		out = append(out, rank+":"+r.ID+":"+grade)
	}
	return strings.Join(out, " ")
}

// TestRankingsPageThePlacedRows: limit and offset page the rows, ranks and
// grades stay those of the whole level, total counts the peers; without them
// every row comes and no total.
func TestRankingsPageThePlacedRows(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-p", "2026Q2")
	all := f.ranking("/v1/rankings?period=2026Q2&level=street")
	if len(all.Rows) != 12 || all.Total != nil || ids(all)[:22] != "1:s01:excellent 2:s02:" {
		t.Fatalf("every row: %s (total %v)", ids(all), all.Total)
	}
	p := f.ranking("/v1/rankings?period=2026Q2&level=street&limit=3&offset=1")
	if got := ids(p); got != "2:s02:excellent 3:s03:good 4:s04:good" || p.Total == nil || *p.Total != 12 {
		t.Errorf("page = %s, total %v", got, p.Total)
	}
	if p := f.ranking("/v1/rankings?period=2026Q2&level=street&offset=11"); ids(p) != "12:s12:good" || *p.Total != 12 {
		t.Errorf("last page = %s", ids(p))
	}
	if p := f.ranking("/v1/rankings?period=2026Q2&level=street&offset=40&limit=5"); len(p.Rows) != 0 || *p.Total != 12 {
		t.Errorf("past the end = %s", ids(p))
	}
	for _, bad := range []string{"limit=0", "limit=x", "offset=-1"} {
		if code, _, body := f.get("/v1/rankings?period=2026Q2&level=street&" + bad); code != 400 || !strings.Contains(body, "must be an integer") {
			t.Errorf("%s = %d %s", bad, code, body)
		}
	}
	if code, _, body := f.get("/v1/rankings?period=2026Q2&level=street&limit=2&format=csv"); code != 200 || strings.Count(body, "\n") != 13 {
		t.Errorf("a download is never paged: %d %q", code, body)
	}
}

// TestRankingsUnderAParentRankTheSubtree: with parent, ranks and the quota
// are those of the peers inside the subtree, paged the same way.
func TestRankingsUnderAParentRankTheSubtree(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-p", "2026Q2")
	// c2 holds s07…s12: 6 peers, quota 1.
	if got := ids(f.ranking("/v1/rankings?period=2026Q2&level=street&parent=c2&limit=2")); got != "1:s07:good 2:s08:good" {
		t.Errorf("under c2 = %s", got)
	}
	if a := f.ranking("/v1/rankings?period=2026Q2&level=street&parent=c1&limit=2&offset=1"); ids(a) != "2:s02:good 3:s03:good" || *a.Total != 6 {
		t.Errorf("under c1 = %s, total %v (94 would be the second excellent of a quota of 1)", ids(a), a.Total)
	}
	if got := ids(f.ranking("/v1/rankings?period=2026Q2&level=street&parent=s05")); got != "1:s05:good" {
		t.Errorf("the parent itself = %s", got)
	}
	if code, _, body := f.get("/v1/rankings?period=2026Q2&level=street&parent=nowhere"); code != 400 || !strings.Contains(body, "not a unit") {
		t.Errorf("unknown parent = %d %s", code, body)
	}
}

// TestExplanationOfAPlacedSubject: rank and grade among the whole level, the
// indicators from the stored numbers, and the cases of its subtree.
func TestExplanationOfAPlacedSubject(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-p", "2026Q2")
	code, _, body := f.get("/v1/units/s02/scores?period=2026Q2")
	if code != 200 {
		t.Fatalf("explanation = %d %s", code, body)
	}
	for _, want := range []string{`"rank":2`, `"grade":"excellent"`, `"peers":12`, `"score":94`, `"late_responses":["C7"]`,
		`"unresolved_complaints":[]`, `"penalty_items":[{"error_id":"E1","severity":"moderate","points":3}]`,
		`"tolerated_errors":[{"error_id":"E2","severity":"minor","decision_id":"RC-9"}]`, `"response_rate":{"num":1,"den":2,"value":0.5,"exact":"1/2","pending":0,"weight":10}`, `"penalty_cap":20`} {
		if !strings.Contains(body, want) {
			t.Errorf("explanation lacks %s: %s", want, body)
		}
	}
	if code, _, body := f.get("/v1/units/c9/scores?period=2026Q2"); code != 404 {
		t.Errorf("a unit outside the run = %d %s", code, body)
	}
}

// TestARunThatEndsIsServedAtOnce: what the api read of a period's runs is
// reused only while the period has not changed, once freshFor has passed.
func TestARunThatEndsIsServedAtOnce(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-p", "2026Q2")
	served := func() string {
		_, _, body := f.get("/v1/rankings?period=2026Q2&level=street&limit=1")
		var b struct {
			RunID string `json:"run_id"`
		}
		_ = json.Unmarshal([]byte(body), &b)
		return b.RunID
	}
	if got := served(); got != "run-p" {
		t.Fatalf("served %q", got)
	}
	f.storePlacedRun("run-q", "2026Q2")
	time.Sleep(freshFor)
	if got := served(); got != "run-q" {
		t.Errorf("served %q after a newer run ended, want it", got)
	}
}

// TestPagesAcrossBlocks: a page that spans blocks of placed rows, and one
// read again from the blocks kept, gives the rows of its places.
func TestPagesAcrossBlocks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.store.SaveRun(ctx, store.Run{ID: "run-b", Period: "2026Q2", Model: "kp-2026.1", Status: store.StatusDone, AsOfNs: 1, UpdatedNs: 1}); err != nil {
		t.Fatal(err)
	}
	// A page from 4 rows before the end of the first block to 2 rows into
	// the third: it takes its rows from three blocks.
	n, from, limit := 2*blockRows+52, blockRows-4, blockRows+6
	id := func(i int) string { return fmt.Sprintf("k%05d", i) }
	var rows []store.ScoreRow
	for i := range n {
		rows = append(rows, store.ScoreRow{RunID: "run-b", Kind: "cadre", Level: "community", Pos: i, Subject: id(i),
			Scored: true, ScoreCenti: int64(100000 - i), Rank: i + 1, Grade: "good"})
	}
	if err := f.store.SaveScores(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		a := f.ranking(fmt.Sprintf("/v1/rankings?period=2026Q2&level=community&subject=cadre&offset=%d&limit=%d", from, limit))
		if len(a.Rows) != limit || a.Rows[0].ID != id(from) || a.Rows[4].ID != id(blockRows) || a.Rows[limit-1].ID != id(from+limit-1) || *a.Total != n {
			t.Fatalf("page over three blocks: %d rows, %s … %s, total %v", len(a.Rows), a.Rows[0].ID, a.Rows[len(a.Rows)-1].ID, a.Total)
		}
		if *a.Rows[limit-1].Rank != from+limit {
			t.Errorf("rank of %s = %d", id(from+limit-1), *a.Rows[limit-1].Rank)
		}
	}
	if a := f.ranking(fmt.Sprintf("/v1/rankings?period=2026Q2&level=community&subject=cadre&offset=%d", n-10)); len(a.Rows) != 10 || a.Rows[9].ID != id(n-1) {
		t.Errorf("the last page: %d rows", len(a.Rows))
	}
}

// TestRankingBodyIsWhatTheEncoderWrites: the hand-written answer is the one
// obs.WriteJSON would write for rankingJSON, paged or not, with or without a
// parent.
func TestRankingBodyIsWhatTheEncoderWrites(t *testing.T) {
	one := 1
	grade := "good"
	rows := []ranking.Row{{Rank: &one, ID: "s1", Name: "<建设>", Score: json.RawMessage("93"), Grade: &grade,
		Indicators: scoring.Ratios{Num: [4]int64{1}, Den: [4]int64{2}}.Indicators()}}
	parent := `d"1`
	total := 7
	for _, body := range []rankingJSON{
		{Period: "2026Q3", Model: "kp-2026.1", RunID: "r", Final: true, Status: "corrected", Subject: "unit", Level: "street", Rows: rows},
		{Period: "2026Q3", Model: "kp-2026.1", RunID: "r", Status: "provisional", Subject: "cadre", Level: "community", Parent: &parent, Total: &total, Rows: rows},
	} {
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			t.Fatal(err)
		}
		encoded := [][]byte{ranking.AppendRow(nil, rows[0])}
		if got := rankingBody(body, body.Total != nil, encoded, total); string(got) != want.String() {
			t.Errorf("body\n got  %s\n want %s", got, want.String())
		}
	}
}
