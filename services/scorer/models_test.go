package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaoping/pkg/event"
	"kaoping/schemas"
)

// TestModelsDirIsLoadedBesideTheBuiltInOnes: a file in the directory is a
// model without a rebuild; a bad file or one taking a built-in version stops
// the scorer with a reason naming the file and key.
func TestModelsDirIsLoadedBesideTheBuiltInOnes(t *testing.T) {
	base, err := schemas.Models.ReadFile("models/kp-2026.1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mine := strings.Replace(string(base), "version: kp-2026.1", "version: city-2027", 1)
	mine = strings.Replace(mine, "response_rate: 10", "response_rate: 30", 1)
	if err := os.WriteFile(filepath.Join(dir, "city-2027.yaml"), []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	models, err := loadModels(dir)
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, m := range models {
		versions = append(versions, m.Version)
	}
	if got := strings.Join(versions, " "); got != "kp-2026.1 kp-hotline-3rate-2026.1 kp-min20-2026.1 kp-peers-2026.1 city-2027" {
		t.Fatalf("models %s", got)
	}
	if w := models[4].Weights["response_rate"].RatString(); w != "30" {
		t.Errorf("city-2027 response weight %s, want 30", w)
	}
	for _, tt := range []struct{ name, file, want string }{
		{"bad.yaml", strings.Replace(mine, "version: city-2027", "version: bad", 1) + "colour: blue\n", "model bad.yaml: colour: unknown key"},
		{"kp-2026.1.yaml", string(base), "model kp-2026.1.yaml: version kp-2026.1 is built in"},
	} {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, tt.name), []byte(tt.file), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadModels(d); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := loadModels(filepath.Join(dir, "missing")); err == nil {
		t.Error("a directory that does not exist was taken for an empty one")
	}
}

// TestRunsNameTheirModel: POST /v1/runs takes "model"; two models run on the
// same events give their own numbers, each stored with its version and hash
// and with the model's file; an unknown model is a 400; GET /v1/models lists
// them; finalising one model's period leaves the other's provisional.
func TestRunsNameTheirModel(t *testing.T) {
	f := newFixture(t)
	events := []event.Event{
		mustEvent(t, "u-d", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", event.UnitUpserted{Unit: "d", Name: "南湖区", Level: "district"}),
		mustEvent(t, "u-s1", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", event.UnitUpserted{Unit: "s1", Name: "建设街道", Level: "street", Parent: "d"}),
	}
	// Two complaints of s1, both answered in time and resolved, rated 5 and 4.
	for i, rating := range []int{5, 4} {
		id := fmt.Sprintf("C%d", i)
		events = append(events,
			mustEvent(t, "a-"+id, event.TypeComplaintAssigned, "2026-04-01T09:00:00+08:00", event.ComplaintAssigned{ComplaintID: id, Unit: "s1", Category: "x",
				ResponseDue: "2026-04-01T11:00:00+08:00", ResolveDue: "2026-04-08T09:00:00+08:00"}),
			mustEvent(t, "r-"+id, event.TypeComplaintResponded, "2026-04-01T10:00:00+08:00", event.ComplaintRef{ComplaintID: id}),
			mustEvent(t, "s-"+id, event.TypeComplaintResolved, "2026-04-02T10:00:00+08:00", event.ComplaintResolved{ComplaintID: id, Resolved: true}),
			mustEvent(t, "t-"+id, event.TypeComplaintRated, "2026-04-03T10:00:00+08:00", event.ComplaintRated{ComplaintID: id, Rating: json1(rating)}),
		)
	}
	f.deliver(events...)

	code, def := f.do("POST", "/v1/runs", `{"period":"2026Q2"}`)
	if code != 201 || def["model"] != "kp-2026.1" || def["status"] != "done" {
		t.Fatalf("default run = %d %v", code, def)
	}
	code, three := f.do("POST", "/v1/runs", `{"period":"2026Q2","model":"kp-hotline-3rate-2026.1"}`)
	if code != 201 || three["model"] != "kp-hotline-3rate-2026.1" || three["status"] != "done" {
		t.Fatalf("three-rate run = %d %v", code, three)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		run   map[string]any
		score int64
	}{
		// kp-2026.1: response, resolution, satisfaction all 1 → 100
		{def, 10000},
		// three-rate: 10×1 + 40×(1.9/2) + 50×1 = 98
		{three, 9800},
	} {
		id := tt.run["id"].(string)
		row, err := f.store.ScoreOf(ctx, id, "unit", "s1")
		if err != nil || row.ScoreCenti != tt.score {
			t.Errorf("run %s (%s): s1 scored %d hundredths (%v), want %d", id, tt.run["model"], row.ScoreCenti, err, tt.score)
		}
		file, err := f.store.ModelFile(ctx, tt.run["model_sha256"].(string))
		if err != nil || !strings.Contains(string(file), "version: "+tt.run["model"].(string)) {
			t.Errorf("stored model file of %s: %v, %.60q", tt.run["model"], err, file)
		}
	}

	code, list := f.do("GET", "/v1/runs?period=2026Q2&model=kp-hotline-3rate-2026.1", "")
	if runs, _ := list["runs"].([]any); code != 200 || len(runs) != 1 || runs[0].(map[string]any)["id"] != three["id"] {
		t.Errorf("runs of one model = %d %v", code, list)
	}
	code, body := f.do("POST", "/v1/runs", `{"period":"2026Q2","model":"kp-nope"}`)
	if code != 400 || !strings.Contains(fmt.Sprint(body["error"]), `unknown model "kp-nope"`) {
		t.Errorf("unknown model = %d %v", code, body)
	}
	code, body = f.do("POST", "/v1/periods/2026Q2/finalize?model=kp-nope", "")
	if code != 400 {
		t.Errorf("finalising an unknown model = %d %v", code, body)
	}

	code, list = f.do("GET", "/v1/models", "")
	models, _ := list["models"].([]any)
	if code != 200 || list["default"] != "kp-2026.1" || len(models) != 4 {
		t.Fatalf("GET /v1/models = %d %v", code, list)
	}
	for _, x := range models {
		m := x.(map[string]any)
		src, _ := m["source"].(map[string]any)
		switch m["version"] {
		case "kp-2026.1":
			if m["sha256"] != def["model_sha256"] || m["default"] != true {
				t.Errorf("kp-2026.1 listed as %v, run hash %v", m, def["model_sha256"])
			}
		case "kp-hotline-3rate-2026.1":
			if m["sha256"] != three["model_sha256"] || !strings.Contains(fmt.Sprint(src["title"]), "综合成绩") {
				t.Errorf("three-rate listed as %v", m)
			}
		}
	}

	// What-if: the three-rate run against the default one on the same
	// events. s1 and d: 100 → 98 (satisfaction 2/2 → 1.9/2, the closure and
	// review scores are not computed); both rank 1 among their peers.
	code, d := f.do("GET", "/v1/runs/"+three["id"].(string)+"/diff?against="+def["id"].(string), "")
	if code != 200 || d["against"] != def["id"] || fmt.Sprint(d["models"]) != "map[against:kp-2026.1 run:kp-hotline-3rate-2026.1]" {
		t.Fatalf("what-if = %d %v", code, d)
	}
	changes, _ := d["changes"].([]any)
	if len(changes) != 2 {
		t.Fatalf("what-if changes %v, want d and s1", changes)
	}
	for _, x := range changes {
		c := x.(map[string]any)
		sat := fmt.Sprint(c["indicators"].(map[string]any)["satisfaction_rate"])
		if c["score_change"] != float64(-2) || c["rank_change"] != float64(0) || sat != "map[after:map[den:2 num:1.9 value:0.95] before:map[den:2 num:2 value:1]]" ||
			fmt.Sprint(c["events"]) != "[]" {
			t.Errorf("what-if change %v", c)
		}
	}
	// 2027Q1 is still to come: final only when finalised, for each model.
	var q1 []string
	for _, m := range []string{"kp-2026.1", "kp-hotline-3rate-2026.1"} {
		code, run := f.do("POST", "/v1/runs", `{"period":"2027Q1","model":"`+m+`"}`)
		if code != 201 || run["kind"] != "ordinary" {
			t.Fatalf("a run of 2027Q1 with %s = %d %v", m, code, run)
		}
		q1 = append(q1, run["id"].(string))
	}
	code, body = f.do("GET", "/v1/runs/"+q1[0]+"/diff?against="+def["id"].(string), "")
	if code != 400 || !strings.Contains(fmt.Sprint(body["error"]), "a diff compares runs of one period") {
		t.Errorf("what-if across periods = %d %v", code, body)
	}
	if code, body = f.do("GET", "/v1/runs/"+q1[0]+"/diff?against=nope", ""); code != 404 {
		t.Errorf("what-if against no run = %d %v", code, body)
	}
	code, fin := f.do("POST", "/v1/periods/2027Q1/finalize?model=kp-hotline-3rate-2026.1", "")
	if code != 200 || fin["model"] != "kp-hotline-3rate-2026.1" {
		t.Fatalf("finalise the three-rate period = %d %v", code, fin)
	}
	code, again := f.do("POST", "/v1/runs", `{"period":"2027Q1"}`)
	if code != 201 || again["kind"] != "ordinary" {
		t.Errorf("a default run after the three-rate period was final = %d %v, want ordinary", code, again)
	}
	code, again = f.do("POST", "/v1/runs", `{"period":"2027Q1","model":"kp-hotline-3rate-2026.1"}`)
	if code != 201 || again["kind"] != "correction" {
		t.Errorf("a three-rate run after it was final = %d %v, want a correction", code, again)
	}
}

func json1(n int) json.Number { return json.Number(fmt.Sprint(n)) }

// TestPeerBandsAndLabelsOfARun: kp-peers-2026.1 ranks each street among the
// streets of its caseload band and labels it from the ranking and the
// previous quarter: s1 is poor in 2026Q1 and again in 2026Q2 (整改, poor
// twice); s2 and s1 (two complaints each) are small, s3 (thirty) medium.
func TestPeerBandsAndLabelsOfARun(t *testing.T) {
	f := newFixture(t)
	events := []event.Event{
		mustEvent(t, "u-d", event.TypeUnitUpserted, "2025-01-01T00:00:00+08:00", event.UnitUpserted{Unit: "d", Name: "南湖区", Level: "district"}),
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		events = append(events, mustEvent(t, "u-"+s, event.TypeUnitUpserted, "2025-01-01T00:00:00+08:00", event.UnitUpserted{Unit: s, Name: "街道 " + s, Level: "street", Parent: "d"}))
	}
	complaint := func(id, unit, month string, good bool) {
		at := "2026-" + month + "-02T09:00:00+08:00"
		events = append(events, mustEvent(t, "a-"+id, event.TypeComplaintAssigned, at, event.ComplaintAssigned{ComplaintID: id, Unit: unit, Category: "x",
			ResponseDue: "2026-" + month + "-02T11:00:00+08:00", ResolveDue: "2026-" + month + "-09T09:00:00+08:00"}))
		if good {
			events = append(events,
				mustEvent(t, "r-"+id, event.TypeComplaintResponded, "2026-"+month+"-02T10:00:00+08:00", event.ComplaintRef{ComplaintID: id}),
				mustEvent(t, "s-"+id, event.TypeComplaintResolved, "2026-"+month+"-03T10:00:00+08:00", event.ComplaintResolved{ComplaintID: id, Resolved: true}))
		}
	}
	for _, month := range []string{"02", "05"} { // 2026Q1, 2026Q2
		for i := range 2 {
			complaint(fmt.Sprintf("s1-%s-%d", month, i), "s1", month, false) // no response, no resolution: 0
			complaint(fmt.Sprintf("s2-%s-%d", month, i), "s2", month, true)
		}
		for i := range 30 {
			complaint(fmt.Sprintf("s3-%s-%d", month, i), "s3", month, true)
		}
	}
	f.deliver(events...)
	var runs []string
	for _, label := range []string{"2026Q1", "2026Q2"} {
		code, run := f.do("POST", "/v1/runs", `{"period":"`+label+`","model":"kp-peers-2026.1"}`)
		if code != 201 || run["status"] != "done" {
			t.Fatalf("run of %s = %d %v", label, code, run)
		}
		runs = append(runs, run["id"].(string))
	}
	rows, err := f.store.RunScores(context.Background(), runs[1])
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		if r.Level == "street" {
			got[r.Subject] = fmt.Sprintf("pos %d rank %d %s %s %s", r.Pos, r.Rank, r.Grade, r.Band, r.Labels)
		}
	}
	want := map[string]string{
		// small band (s2 100, s1 0): top 20 % and bottom 10 % of 2 are nobody
		"s2": "pos 0 rank 1 good small []",
		"s1": `pos 1 rank 2 poor small [{"label":"整改","reason":"2026Q1与本期连续为poor"}]`,
		// medium band: s3 alone, ranked 1 there
		"s3": "pos 2 rank 1 good medium []",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %s, want %s", id, got[id], w)
		}
	}
}

// TestCheckModels: --check-models lists every model that loads and exits;
// a bad file is the one-line error that names it.
func TestCheckModels(t *testing.T) {
	dir := t.TempDir()
	base, _ := schemas.Models.ReadFile("models/kp-2026.1.yaml")
	mine := strings.Replace(string(base), "version: kp-2026.1", "version: city-2027", 1)
	if err := os.WriteFile(filepath.Join(dir, "city-2027.yaml"), []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	env := map[string]string{"KAOPING_SCORER_MODELS_DIR": dir}
	if err := run(context.Background(), []string{"scorer", "--check-models"}, func(k string) string { return env[k] }, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[4], "city-2027\t") || !strings.Contains(lines[1], "综合成绩") {
		t.Errorf("--check-models printed\n%s", out.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "city-2027.yaml"), []byte(strings.Replace(mine, "cap: 20", "cap: -1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"scorer", "--check-models"}, func(k string) string { return env[k] }, &out)
	if err == nil || !strings.Contains(err.Error(), "model city-2027.yaml: penalty.cap: must be ≥ 0") {
		t.Errorf("a bad file: %v", err)
	}
}
