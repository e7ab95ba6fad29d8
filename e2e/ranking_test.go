package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/xuri/excelize/v2"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/stream"
)

type rankingRow struct {
	Rank       *int                     `json:"rank"`
	ID         string                   `json:"id"`
	Name       string                   `json:"name"`
	Score      *float64                 `json:"score"`
	Grade      *string                  `json:"grade"`
	Indicators map[string]json_fraction `json:"indicators"`
}

type json_fraction struct {
	Num   any `json:"num"`
	Den   any `json:"den"`
	Value any `json:"value"`
}

type rankingBody struct {
	Period string       `json:"period"`
	Model  string       `json:"model"`
	RunID  string       `json:"run_id"`
	Final  bool         `json:"final"`
	Rows   []rankingRow `json:"rows"`
}

// line renders a row as "rank id score grade" with "-" for nulls.
func line(r rankingRow) string {
	rank, score, grade := "-", "-", "-"
	if r.Rank != nil {
		rank = fmt.Sprint(*r.Rank)
	}
	if r.Score != nil {
		score = fmt.Sprint(*r.Score)
	}
	if r.Grade != nil {
		grade = *r.Grade
	}
	return rank + " " + r.ID + " " + score + " " + grade
}

// TestQuarterThroughTheWholePath sends a hand-made quarter through ingest (and
// a little through the SDK straight to NATS), runs the scorer and reads the
// rankings from the api, comparing with SPEC §5 computed by hand.
func TestQuarterThroughTheWholePath(t *testing.T) {
	s := startStack(t)
	const T0 = "2026-01-01T00:00:00+08:00"
	unit := func(id, name, level, parent string) map[string]any {
		d := map[string]any{"unit": id, "name": name, "level": level}
		if parent != "" {
			d["parent"] = parent
		}
		return ce("u-"+id, event.TypeUnitUpserted, T0, d)
	}
	org := []map[string]any{unit("d", "南湖区", "district", "")}
	names := []string{"建设街道", "解放街道", "新嘉街道", "城南街道", "东栅街道", "七星街道", "大桥镇", "余新镇", "凤桥镇", "新丰镇"}
	for i, name := range names {
		st := fmt.Sprintf("st%02d", i+1)
		org = append(org, unit(st, name, "street", "d"), unit(st+".c1", name+"一社区", "community", st))
	}
	org = append(org,
		ce("k-k1", event.TypeCadreUpserted, T0, map[string]any{"cadre": "k1", "name": "张伟", "unit": "st05.c1", "position": "社区书记"}),
		ce("k-k2", event.TypeCadreUpserted, T0, map[string]any{"cadre": "k2", "name": "李娜", "unit": "st06.c1", "position": "社区主任"}),
	)
	if r := s.send(org...); r.Accepted != len(org) || len(r.Rejected) != 0 {
		t.Fatalf("org: %+v", r)
	}

	review := func(id, subject string, score any, at string) map[string]any {
		return ce(id, event.TypeReviewRated, at, map[string]any{"review_id": id, "subject_kind": "unit", "subject": subject,
			"period": "2026Q3", "rater_group": "leaders", "score": score})
	}
	assigned := func(id, complaint, unit, cadre, at string) map[string]any {
		tm, _ := time.Parse(time.RFC3339, at)
		d := map[string]any{"complaint_id": complaint, "unit": unit, "category": "property",
			"response_due": tm.Add(2 * time.Hour).Format(time.RFC3339), "resolve_due": tm.Add(7 * 24 * time.Hour).Format(time.RFC3339)}
		if cadre != "" {
			d["cadre"] = cadre
		}
		return ce(id, event.TypeComplaintAssigned, at, d)
	}
	cid := func(c string) map[string]any { return map[string]any{"complaint_id": c} }
	errorRecorded := func(id, unit, severity string) map[string]any {
		return ce(id, event.TypeErrorRecorded, "2026-08-01T09:00:00+08:00", map[string]any{"error_id": id, "unit": unit, "severity": severity, "summary": "程序瑕疵"})
	}
	events := []map[string]any{
		review("rv-01", "st01", 96, "2026-09-20T09:00:00+08:00"),
		// a later rating with the same review_id replaces the earlier
		review("rv-02", "st02", 50, "2026-09-20T09:00:00+08:00"),
		ce("rv-02b", event.TypeReviewRated, "2026-09-21T09:00:00+08:00", map[string]any{"review_id": "rv-02", "subject_kind": "unit", "subject": "st02", "period": "2026Q3", "rater_group": "leaders", "score": 93}),
		review("rv-03", "st03", 93, "2026-09-20T09:00:00+08:00"),
		// 74.995 is exactly 75.00 rounded half up; a binary float would give 74.99
		review("rv-09", "st09", 74.995, "2026-09-20T09:00:00+08:00"),

		// st05.c1: a complaint at the last second of Q3 (UTC), all good; errors cost 25, capped at 20; a tolerated one is free
		assigned("a-A", "A", "st05.c1", "k1", "2026-09-30T15:59:59Z"),
		ce("r-A", event.TypeComplaintResponded, "2026-09-30T16:30:00Z", cid("A")),
		ce("s-A", event.TypeComplaintResolved, "2026-10-01T09:00:00+08:00", map[string]any{"complaint_id": "A", "resolved": true}),
		ce("t-A", event.TypeComplaintRated, "2026-10-02T09:00:00+08:00", map[string]any{"complaint_id": "A", "rating": 5}),
		// the first instant of Q4: not in Q3, although unresolved
		assigned("a-B", "B", "st05.c1", "k1", "2026-09-30T16:00:00Z"),
		errorRecorded("e1", "st05.c1", "serious"), errorRecorded("e2", "st05.c1", "serious"), errorRecorded("e3", "st05.c1", "serious"),
		errorRecorded("e4", "st05.c1", "serious"), errorRecorded("e5", "st05.c1", "serious"), errorRecorded("e6", "st05.c1", "serious"),
		ce("tol-e6", event.TypeErrorTolerated, "2026-10-20T09:00:00+08:00", map[string]any{"error_id": "e6", "decision_id": "RC-2026-01", "basis": "先行先试"}),

		// st06.c1: responded on time, resolved, then reopened: resolution 0/1 → 100 × 10/35 = 28.57
		assigned("a-C", "C", "st06.c1", "", "2026-08-01T09:00:00+08:00"),
		ce("r-C", event.TypeComplaintResponded, "2026-08-01T09:30:00+08:00", cid("C")),
		ce("s-C", event.TypeComplaintResolved, "2026-08-02T09:00:00+08:00", map[string]any{"complaint_id": "C", "resolved": true}),
		ce("o-C", event.TypeComplaintReopened, "2026-08-03T09:00:00+08:00", map[string]any{"complaint_id": "C", "reason": "复诉"}),

		// st07: an excluded complaint and an error: no indicator, so no score
		assigned("a-D", "D", "st07.c1", "", "2026-08-01T09:00:00+08:00"),
		ce("x-D", event.TypeComplaintExcluded, "2026-10-05T09:00:00+08:00", map[string]any{"complaint_id": "D", "reason": "out_of_scope"}),
		errorRecorded("e7", "st07.c1", "minor"),

		// st08.c1: a major issue closed on time, a normal one overdue: 2/3
		ce("l-I1", event.TypeIssueListed, "2026-06-01T09:00:00+08:00", map[string]any{"issue_id": "I1", "list": "inspection", "severity": "major", "unit": "st08.c1", "due": "2026-08-31T00:00:00+08:00"}),
		ce("c-I1", event.TypeIssueClosed, "2026-08-20T09:00:00+08:00", map[string]any{"issue_id": "I1"}),
		ce("l-I2", event.TypeIssueListed, "2026-06-01T09:00:00+08:00", map[string]any{"issue_id": "I2", "list": "audit", "severity": "normal", "unit": "st08.c1", "due": "2026-08-31T00:00:00+08:00"}),
	}
	r := s.send(events...)
	if r.Accepted != len(events) || r.Duplicates != 0 || len(r.Rejected) != 0 {
		t.Fatalf("events: %+v", r)
	}
	// The same events again are all duplicates; one with the same id and
	// another body is a duplicate too, and the first copy wins.
	again := s.send(events[0], ce("t-A", event.TypeComplaintRated, "2026-10-02T09:00:00+08:00", map[string]any{"complaint_id": "A", "rating": 1}))
	if again.Accepted != 0 || again.Duplicates != 2 {
		t.Fatalf("resend: %+v", again)
	}

	// st04's rating comes through the SDK straight to NATS, with a poison
	// message beside it that must land in the dead letters, not in a score.
	js := s.connectNATS()
	pub, err := publish.New(js, "review", "/sources/review", nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := pub.Event("rv-04", event.TypeReviewRated, time.Date(2026, 9, 20, 9, 0, 0, 0, time.UTC),
		map[string]any{"review_id": "rv-04", "subject_kind": "unit", "subject": "st04", "period": "2026Q3", "rater_group": "peers", "score": 91})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	poison := `{"specversion":"1.0","id":"p1","source":"/sources/review","type":"kaoping.review.rated","time":"2026-09-20T09:00:00+08:00","data":{"review_id":"p1","subject_kind":"unit","subject":"st10","period":"2026Q3","rater_group":"peers","score":100,"name":"张三"}}`
	if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: stream.SourceSubject("review"), Data: []byte(poison)}); err != nil {
		t.Fatal(err)
	}

	// No run yet: 404 with a JSON error.
	code, b := s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&level=street", "", nil)
	if code != http.StatusNotFound || !contains(string(b), `"error"`) {
		t.Fatalf("rankings before a run: %d %s", code, b)
	}

	// The run is requested right after the last publish: the read barrier
	// makes it see everything acknowledged before.
	run := s.runPeriod("2026Q3")
	if run["model"] != "kp-2026.1" || run["period"] != "2026Q3" {
		t.Errorf("run = %v", run)
	}

	code, b = s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&level=street", "", nil)
	if code != http.StatusOK {
		t.Fatalf("rankings: %d %s", code, b)
	}
	var body rankingBody
	mustJSON(t, b, &body)
	var got []string
	for _, row := range body.Rows {
		got = append(got, line(row))
	}
	// 10 peers, quota 2: st01 excellent; the tie at 93 would make 3, so good.
	want := []string{
		"1 st01 96 excellent", "2 st02 93 good", "2 st03 93 good", "4 st04 91 good", "5 st05 80 good",
		"6 st09 75 good", "7 st08 66.67 basic", "8 st06 28.57 poor", "- st07 - -", "- st10 - -",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("street ranking\n got  %q\n want %q", got, want)
	}
	if body.Period != "2026Q3" || body.Model != "kp-2026.1" || body.RunID != run["id"] || !body.Final {
		t.Errorf("ranking header = %+v (2026Q3 ended more than 15 days ago, so it is final once it has a run)", body)
	}
	for _, row := range body.Rows {
		if row.ID == "st05" {
			if row.Name != "东栅街道" {
				t.Errorf("name = %q", row.Name)
			}
			f := row.Indicators["response_rate"]
			if fmt.Sprint(f.Num, "/", f.Den, "=", f.Value) != "1/1=1" {
				t.Errorf("st05 response_rate = %+v", f)
			}
			if v := row.Indicators["review_score"].Value; v != nil {
				t.Errorf("st05 review_score value = %v, want null", v)
			}
		}
		if row.ID == "st09" {
			f := row.Indicators["review_score"]
			if fmt.Sprint(f.Num, "/", f.Den, "=", f.Value) != "75/100=0.75" {
				t.Errorf("st09 review_score = %+v", f)
			}
		}
	}

	// parent narrows to a subtree; ranks and the quota are recomputed inside it.
	code, b = s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&level=community&parent=st05", "", nil)
	mustJSON(t, b, &body)
	if code != http.StatusOK || len(body.Rows) != 1 || line(body.Rows[0]) != "1 st05.c1 80 good" {
		t.Errorf("community ranking under st05: %d %s", code, b)
	}
	// Cadres of community units: k1 has complaint A only (the errors name no cadre).
	code, b = s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&level=community&subject=cadre", "", nil)
	mustJSON(t, b, &body)
	got = nil
	for _, row := range body.Rows {
		got = append(got, line(row)+" "+row.Name)
	}
	if code != http.StatusOK || !reflect.DeepEqual(got, []string{"1 k1 100 good 张伟", "- k2 - - 李娜"}) {
		t.Errorf("cadre ranking: %d %q", code, got)
	}

	// CSV download, by Accept and by format.
	for _, hdr := range [][]string{{"Accept", "text/csv"}, nil} {
		url := "http://" + s.api + "/v1/rankings?period=2026Q3&level=street"
		if hdr == nil {
			url += "&format=csv"
		}
		code, b = s.call("GET", url, "", nil, hdr...)
		b, bom := bytes.CutPrefix(b, []byte("\ufeff")) // for Excel and WPS
		if !bom {
			t.Errorf("csv without a UTF-8 byte-order mark")
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if code != http.StatusOK || err != nil || len(recs) != 11 {
			t.Fatalf("csv: %d %v %s", code, err, b)
		}
		if strings.Join(recs[0][:5], ",") != "rank,id,name,score,grade" || strings.Join(recs[5][:5], ",") != "5,st05,东栅街道,80,good" || strings.Join(recs[10][:5], ",") != ",st10,新丰镇,," {
			t.Errorf("csv rows: %q %q %q", recs[0], recs[5], recs[10])
		}
	}

	// Excel download: the same rows, numbers as numbers.
	code, b = s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&level=street&format=xlsx", "", nil)
	if code != http.StatusOK {
		t.Fatalf("xlsx: %d %s", code, b)
	}
	book, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := book.GetRows("街道乡镇")
	if err != nil || len(sheet) != 11 || strings.Join(sheet[5][:5], ",") != "5,st05,东栅街道,80.00,良好" || strings.Join(sheet[7][:5], ",") != "7,st08,余新镇,66.67,合格" {
		t.Errorf("xlsx rows: %v %q", err, sheet)
	}

	// The explanation names the cases behind the misses and the penalty items.
	code, b = s.call("GET", "http://"+s.api+"/v1/units/st06/scores?period=2026Q3", "", nil)
	if code != http.StatusOK || !contains(string(b), `"unresolved_complaints":["C"]`) {
		t.Errorf("explanation of st06: %d %s", code, b)
	}
	code, b = s.call("GET", "http://"+s.api+"/v1/units/st05/scores?period=2026Q3", "", nil)
	if code != http.StatusOK || !contains(string(b), `"penalty":20`) || !contains(string(b), `"decision_id":"RC-2026-01"`) {
		t.Errorf("explanation of st05: %d %s", code, b)
	}

	// The poison message is in the dead letters with its reason.
	code, b = s.call("GET", "http://"+s.aggregator+"/v1/deadletters", "", nil)
	if code != http.StatusOK || !contains(string(b), "name") || !contains(string(b), `"original_sequence"`) {
		t.Errorf("dead letters: %d %s", code, b)
	}
}

// TestBadRequests checks the answers for what a client gets wrong.
func TestBadRequests(t *testing.T) {
	s := startStack(t)
	api := "http://" + s.api
	for _, tt := range []struct {
		url  string
		code int
	}{
		{api + "/v1/rankings?period=2026-Q3&level=street", 400},
		{api + "/v1/rankings?level=street", 400},
		{api + "/v1/rankings?period=2026Q3&level=town", 400},
		{api + "/v1/rankings?period=2026Q3&level=street&subject=team", 400},
		{api + "/v1/rankings?period=2026Q3&level=street", 404},
	} {
		code, b := s.call("GET", tt.url, "", nil)
		if code != tt.code || !contains(string(b), `"error"`) {
			t.Errorf("%s: %d %s, want %d with a JSON error", tt.url, code, b, tt.code)
		}
	}
	code, b := s.call("POST", "http://"+s.scorer+"/v1/runs", "application/json", []byte(`{"period":"2026q3"}`))
	if code != http.StatusBadRequest {
		t.Errorf("run of a bad period: %d %s", code, b)
	}
	// no token
	resp, err := http.Get(api + "/v1/rankings?period=2026Q3&level=street")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("rankings without a token: %d", resp.StatusCode)
	}
	// A run of an empty period is done and ranks nobody.
	s.runPeriod("2026Q2")
	code, b = s.call("GET", api+"/v1/rankings?period=2026Q2&level=street", "", nil)
	if code != http.StatusOK || !contains(string(b), `"rows":[]`) {
		t.Errorf("empty period: %d %s", code, b)
	}
}
