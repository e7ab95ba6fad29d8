package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/audit"
	"kaoping/pkg/auth"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const token = "reader-token"

// Tokens of the other roles (access_test.go, roles_test.go): the viewer
// is one of city c1 (streets s01–s06 of storePlacedRun).
const (
	adminToken  = "admin-token"
	viewerToken = "viewer-token"
)

// fixture is the api's handler on a fresh database of the shared test
// ClickHouse, with one done run of 2026Q2 stored: a district and three streets.
type fixture struct {
	t     *testing.T
	h     http.Handler
	store *store.Store
	db    string
}

// count runs a count() query on the fixture's database over a plain connection.
func (f *fixture) count(query string) (uint64, error) {
	var n uint64
	err := testkit.SharedClickHouse(f.t).Connect(f.t, f.db).QueryRow(context.Background(), query).Scan(&n)
	return n, err
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ch := testkit.SharedClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := ch.NewDatabase(t)
	st, err := store.Open(ctx, store.Options{Addr: ch.Addr, Database: db, MaxExecutionTime: time.Minute}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens, err := auth.ParseTokens(token + "=analyst:reader," + adminToken + "=root:admin," + viewerToken + "=lead:viewer:c1")
	if err != nil {
		t.Fatal(err)
	}
	trail := audit.New(st, "api", 50*time.Millisecond, nil, log)
	actx, stop := context.WithCancel(context.Background())
	written := make(chan struct{})
	go func() { defer close(written); _ = trail.Run(actx) }()
	t.Cleanup(func() { stop(); <-written })
	return &fixture{t: t, h: NewServer(st, trail, tokens, log), store: st, db: db}
}

// storeRun stores a done run of period with results: id → score in hundredths
// (negative: unscored), all streets under district d.
func (f *fixture) storeRun(runID, period string, asOf time.Time, scores map[string]int64) {
	f.t.Helper()
	ctx := context.Background()
	run := store.Run{ID: runID, Period: period, Model: "kp-2026.1", Kind: "ordinary", AsOfNs: asOf.UnixNano(), Status: store.StatusDone, UpdatedNs: asOf.UnixNano()}
	if err := f.store.SaveRun(ctx, run); err != nil {
		f.t.Fatal(err)
	}
	detail := `{"indicators":{"response_rate":{"num":1,"den":2,"value":0.5}},"base":"50","penalty_points":0,"penalty":0,"penalty_items":[],"tolerated_errors":[],"misses":{"late_responses":["C9"],"unresolved_complaints":[],"dissatisfied":[],"overdue_issues":[]},"pending":{"responses":0,"resolutions":0,"issues":0}}`
	results := []store.Result{{RunID: runID, Period: period, Kind: "unit", Subject: "d", Name: "南湖区", Level: "district", Unit: "d", Path: []string{"d"}, Detail: detail}}
	for id, c := range scores {
		results = append(results, store.Result{RunID: runID, Period: period, Kind: "unit", Subject: id, Name: "街道 " + id, Level: "street",
			Unit: id, Path: []string{"d", id}, Scored: c >= 0, ScoreCenti: max(c, 0), Detail: detail})
	}
	if err := f.store.SaveResults(ctx, results); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) get(path string, header ...string) (int, http.Header, string) {
	f.t.Helper()
	return f.getAs(token, path, header...)
}

// getAs asks with the bearer token tok ("" for none).
func (f *fixture) getAs(tok, path string, header ...string) (int, http.Header, string) {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

func TestRankingsServeTheNewestDoneRun(t *testing.T) {
	f := newFixture(t)
	asOf := time.Now().Add(-time.Hour)
	f.storeRun("run-old", "2026Q2", asOf, map[string]int64{"s1": 5000, "s2": 9000, "s3": -1})
	f.storeRun("run-new", "2026Q2", asOf.Add(time.Minute), map[string]int64{"s1": 9300, "s2": 9300, "s3": 8000})

	code, _, body := f.get("/v1/rankings?period=2026Q2&level=street")
	if code != 200 {
		t.Fatalf("rankings = %d %s", code, body)
	}
	var got struct {
		RunID string `json:"run_id"`
		Rows  []struct {
			Rank  *int    `json:"rank"`
			ID    string  `json:"id"`
			Name  string  `json:"name"`
			Score *string `json:"-"`
			Grade *string `json:"grade"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.RunID != "run-new" || len(got.Rows) != 3 {
		t.Fatalf("answer = %s", body)
	}
	// 93, 93 share rank 1, then 3; quota ⌊3/5⌋ = 0, so 93 is good.
	want := []struct {
		rank  int
		id    string
		grade string
	}{{1, "s1", "good"}, {1, "s2", "good"}, {3, "s3", "good"}}
	for i, w := range want {
		r := got.Rows[i]
		if r.Rank == nil || *r.Rank != w.rank || r.ID != w.id || *r.Grade != w.grade || r.Name != "街道 "+w.id {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	if !strings.Contains(body, `"score":93`) {
		t.Errorf("score not a JSON number with its decimals: %s", body)
	}

	code, _, body = f.get("/v1/rankings?period=2026Q2&level=street&run=run-old")
	if code != 200 || !strings.Contains(body, `"run_id":"run-old"`) || !strings.Contains(body, `"id":"s3","name":"街道 s3","score":null`) {
		t.Errorf("an older run by id = %d %s", code, body)
	}
	// The period finalised on the newer run: the older run's answer, kept
	// while it was provisional, now says the period is final (its status
	// stays provisional: it is not the final run).
	asked := time.Now()
	if err := f.store.Finalize(context.Background(), "2026Q2", "kp-2026.1", "root", scoring.Finalization{AtNs: asked.UnixNano(), RunID: "run-new", How: scoring.FinalizedExplicitly}); err != nil {
		t.Fatal(err)
	}
	for {
		code, _, body = f.get("/v1/rankings?period=2026Q2&level=street&run=run-old")
		if code == 200 && strings.Contains(body, `"final":true`) || time.Since(asked) > 5*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != 200 || !strings.Contains(body, `"final":true`) || !strings.Contains(body, `"status":"provisional"`) {
		t.Errorf("the older run once the period is final = %d %s", code, body)
	}
	code, hdr, body := f.get("/v1/rankings?period=2026Q2&level=street&format=csv")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(body, "1,s1,街道 s1,93,good") {
		t.Errorf("csv = %d %v %s", code, hdr, body)
	}
}

func TestRankingsRefuseBadParametersInJSON(t *testing.T) {
	f := newFixture(t)
	f.storeRun("run-1", "2026Q2", time.Now().Add(-time.Hour), map[string]int64{"s1": 9000})
	for _, tt := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/rankings?period=2026-Q2&level=street", 400, "canonical"},
		{"/v1/rankings?period=2200&level=street", 400, "1970 to 2199"},
		{"/v1/rankings?level=street", 400, "period is required"},
		{"/v1/rankings?period=2026Q2&level=town", 400, "level must be one of"},
		{"/v1/rankings?period=2026Q2&level=street&subject=team", 400, "subject must be unit or cadre"},
		{"/v1/rankings?period=2026Q2&level=street&parent=nowhere", 400, "not a unit"},
		{"/v1/rankings?period=2026Q2&level=street&format=pdf", 400, "format"},
		{"/v1/rankings?period=2026Q1&level=street", 404, "no done run"},
		{"/v1/rankings?period=2026Q2&level=street&run=nope", 404, "no run nope"},
		{"/v1/units/nowhere/scores?period=2026Q2", 404, "not in the tree"},
		{"/v1/nothing", 404, "no such endpoint"},
	} {
		code, _, body := f.get(tt.path)
		var e struct{ Error string }
		if code != tt.code || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, tt.want) {
			t.Errorf("%s = %d %s, want %d with a JSON error naming %q", tt.path, code, body, tt.code, tt.want)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/rankings", nil)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != 405 || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Errorf("POST /v1/rankings = %d %s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/rankings?period=2026Q2&level=street", nil))
	if rec.Code != 401 {
		t.Errorf("without a token = %d", rec.Code)
	}
}

func TestExplanationOfAUnit(t *testing.T) {
	f := newFixture(t)
	f.storeRun("run-1", "2026Q2", time.Now().Add(-time.Hour), map[string]int64{"s1": 9000, "s2": 8000})
	code, _, body := f.get("/v1/units/s2/scores?period=2026Q2")
	if code != 200 {
		t.Fatalf("explanation = %d %s", code, body)
	}
	var got struct {
		ID          string `json:"id"`
		Rank        int    `json:"rank"`
		Peers       int    `json:"peers"`
		Explanation struct {
			Misses struct {
				LateResponses []string `json:"late_responses"`
			} `json:"misses"`
		} `json:"explanation"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "s2" || got.Rank != 2 || got.Peers != 2 || len(got.Explanation.Misses.LateResponses) != 1 || got.Explanation.Misses.LateResponses[0] != "C9" {
		t.Errorf("explanation = %s", body)
	}
}
