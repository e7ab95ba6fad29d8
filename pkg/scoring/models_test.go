package scoring

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/period"
	"kaoping/schemas"
)

// TestModelFilesAreRefusedNamingTheKey: a model file with an unknown key or a
// bad value is refused at load, and the message names the file and the key
// (SPEC §5 "The model file").
func TestModelFilesAreRefusedNamingTheKey(t *testing.T) {
	base, err := fs.ReadFile(schemas.Models, "models/kp-2026.1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := func(edit func(string) string) string { return edit(string(base)) }
	repl := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("the default model has no %q", old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	tests := []struct {
		name string
		file string
		want string
	}{
		{"negative weight", file(repl("response_rate: 10", "response_rate: -1")), "model kp-2026.1.yaml: weights.response_rate: must be > 0"},
		{"zero weight", file(repl("response_rate: 10", "response_rate: 0")), "weights.response_rate: must be > 0"},
		{"unknown top key", file(repl("timezone:", "colour: blue\ntimezone:")), "model kp-2026.1.yaml: colour: unknown key"},
		{"unknown indicator", file(repl("review_score: 15", "review_score: 15\n  happiness: 3")), "weights.happiness: unknown key"},
		{"a weight as text", file(repl("response_rate: 10", "response_rate: ten")), "weights.response_rate: must be number, not string"},
		{"a float spelled as YAML infinity", file(repl("response_rate: 10", "response_rate: .inf")), "weights.response_rate: must be number, not string"},
		{"both satisfaction keys", file(repl("satisfied_rating: 4", "satisfied_rating: 4\nsatisfaction_credit: {5: 1}")), "satisfied_rating and satisfaction_credit: a model has one of them, never both"},
		{"no satisfaction key", file(repl("satisfied_rating: 4", "")), "satisfied_rating or satisfaction_credit: missing"},
		{"credit above 1", file(repl("satisfied_rating: 4", "satisfaction_credit: {5: 1.2}")), "satisfaction_credit.5: must be ≤ 1"},
		{"credit of rating 6", file(repl("satisfied_rating: 4", "satisfaction_credit: {6: 1}")), "satisfaction_credit.6: unknown key"},
		{"credit of 5 decimals", file(repl("satisfied_rating: 4", "satisfaction_credit: {5: 1, 4: 0.33333}")), "satisfaction_credit.4: at most 4 decimals"},
		{"min_cases of 0", file(repl("satisfied_rating: 4", "satisfied_rating: 4\nmin_cases: {response_rate: 0}")), "min_cases.response_rate: must be ≥ 1"},
		{"min_cases of the review score", file(repl("satisfied_rating: 4", "satisfied_rating: 4\nmin_cases: {review_score: 3}")), "min_cases.review_score: unknown key"},
		{"score_decimals 3", file(repl("score_decimals: 2", "score_decimals: 3")), "score_decimals: must be ≤ 2"},
		{"missing penalty cap", file(repl("  cap: 20\n", "")), "penalty.cap: missing"},
		{"a grade min above 100", file(repl("{grade: excellent, min: 90}", "{grade: excellent, min: 190}")), "grades[0].min: must be ≤ 100"},
		{"grades out of order", file(repl("{grade: good, min: 75}", "{grade: good, min: 95}")), "grades[1].min: must be below the min of excellent"},
		{"a last grade above 0", file(repl("{grade: poor, min: 0}", "{grade: poor, min: 10}")), "grades[3].min: the last grade must start at 0"},
		{"a bad time zone", file(repl("timezone: Asia/Shanghai", "timezone: Mars/Olympus")), `timezone: "Mars/Olympus" is not a time zone`},
		{"a key given twice", file(repl("score_decimals: 2", "score_decimals: 2\nscore_decimals: 1")), "score_decimals: key given twice"},
		{"another version than the file name", file(repl("version: kp-2026.1", "version: kp-2026.2")), `version: "kp-2026.2", but the file is named kp-2026.1.yaml`},
		{"an unknown source key", file(repl("timezone:", "source: {title: x, author: y}\ntimezone:")), "source.author: unknown key"},
		{"two documents", file(repl("score_decimals: 2", "score_decimals: 2\n---\nversion: other")), "more than one YAML document"},
		{"not a mapping", "- version: kp-2026.1\n", "the file: must be object, not array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseModelFile("kp-2026.1.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("accepted; want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := ParseModelFile("kp-2026.1.yaml", base); err != nil {
		t.Fatalf("the default model: %v", err)
	}
}

// TestShippedModels: every embedded model loads, with its source, and the
// default one keeps the bytes every stored run's hash names.
func TestShippedModels(t *testing.T) {
	ms, err := EmbeddedModels()
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, m := range ms {
		versions = append(versions, m.Version)
		if m.Version != DefaultVersion && m.Source.Title == "" {
			t.Errorf("%s has no source title", m.Version)
		}
	}
	if got, want := strings.Join(versions, " "), "kp-2026.1 kp-hotline-3rate-2026.1 kp-min20-2026.1 kp-peers-2026.1"; got != want {
		t.Fatalf("embedded models %s, want %s", got, want)
	}
}

func loadModel(t *testing.T, version string) *Model {
	t.Helper()
	m, err := LoadModel(version)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// evaluateWith scores the scenario's events with model m and ranks the
// streets: subject id → result, and street id → "rank grade".
func (s *scenario) evaluateWith(m *Model, label, asOf string) (map[string]Result, map[string]string) {
	s.t.Helper()
	p, err := period.Parse(label, m.Location)
	if err != nil {
		s.t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339, asOf)
	if err != nil {
		s.t.Fatal(err)
	}
	ev := Evaluate(m, p, at.UnixNano(), s.records)
	out := map[string]Result{}
	var streets []Entry
	for _, r := range ev.Units {
		out[r.ID] = r
		if r.Level == "street" {
			streets = append(streets, Entry{ID: r.ID, Scored: r.Scored, ScoreCenti: r.ScoreCenti})
		}
	}
	for _, r := range ev.Cadres {
		out["cadre:"+r.ID] = r
	}
	ranks := map[string]string{}
	for _, x := range m.Rank(streets) {
		ranks[x.ID] = fmt.Sprintf("%d %s", x.Rank, x.Grade)
	}
	return out, ranks
}

// indicatorJSON is an indicator as the JSON shows it, for comparing by hand.
func indicatorJSON(r Result, name string) string {
	b, _ := r.Detail.Indicators[name].MarshalJSON()
	return string(b)
}

// TestThreeRateModelOnAHandComputedDistrict runs kp-hotline-3rate-2026.1
// (综合成绩 = 10 % response + 40 % satisfaction + 50 % resolution, rating 4
// earning 0.9, score to 0.1) on a small district and compares every number
// with one computed by hand below.
func TestThreeRateModelOnAHandComputedDistrict(t *testing.T) {
	s := newScenario(t)
	// Street s1 (community s1.c1): ten complaints A1…A10, assigned 1 July.
	//   responses: A1…A9 within the 2 hours, A10 after 3 hours  → 9/10
	//   resolutions: A1…A8 resolved, A9 not, A10 none (due passed) → 8/10
	//   ratings: A1…A4 5 (1 each), A5…A7 4 (0.9 each), A8 3, A9 1 (0),
	//            A10 none → credit 4 + 2.7 = 6.7 over 9 rated
	// Cadre k1 is named on A5 and A8.
	for i := 1; i <= 10; i++ {
		id := fmt.Sprintf("A%d", i)
		cadre := ""
		if i == 5 || i == 8 {
			cadre = "k1"
		}
		s.assign(id, "2026-07-01T09:00:00+08:00", "s1.c1", cadre)
		if i <= 9 {
			s.respond(id, "2026-07-01T10:00:00+08:00")
		} else {
			s.respond(id, "2026-07-01T12:00:00+08:00")
		}
		switch {
		case i <= 8:
			s.resolve(id, "2026-07-03T09:00:00+08:00", true)
		case i == 9:
			s.resolve(id, "2026-07-03T09:00:00+08:00", false)
		}
		switch {
		case i <= 4:
			s.rate(id, "2026-07-04T09:00:00+08:00", 5)
		case i <= 7:
			s.rate(id, "2026-07-04T09:00:00+08:00", 4)
		case i == 8:
			s.rate(id, "2026-07-04T09:00:00+08:00", 3)
		case i == 9:
			s.rate(id, "2026-07-04T09:00:00+08:00", 1)
		}
	}
	// An overdue problem and a serious error in s1: the method has no closure
	// indicator and no penalty, so neither changes anything.
	s.list("I1", "2026-07-01T09:00:00+08:00", "s1.c1", "major", "2026-07-10T00:00:00+08:00")
	s.recordError("E1", "2026-07-05T09:00:00+08:00", "s1.c1", "", "serious")
	// Street s2 (community s2.c1): four complaints B1…B4, each answered in
	// time and resolved → 4/4, 4/4; B1 and B2 rated 4 → 1.8 over 2 rated.
	for i := 1; i <= 4; i++ {
		id := fmt.Sprintf("B%d", i)
		s.assign(id, "2026-08-01T09:00:00+08:00", "s2.c1", "")
		s.respond(id, "2026-08-01T09:30:00+08:00")
		s.resolve(id, "2026-08-02T09:00:00+08:00", true)
		if i <= 2 {
			s.rate(id, "2026-08-03T09:00:00+08:00", 4)
		}
	}
	// Street s3 has no case.

	got, ranks := s.evaluateWith(loadModel(t, "kp-hotline-3rate-2026.1"), "2026Q3", "2026-11-01T00:00:00+08:00")
	want := map[string]struct {
		resp, res, sat, base, score string
	}{
		// s1: 10×9/10 + 40×(6.7/9) + 50×8/10 = 9 + 29.777… + 40 = 78.777… → 78.8
		"s1": {`{"num":9,"den":10,"value":0.9}`, `{"num":8,"den":10,"value":0.8}`, `{"num":6.7,"den":9,"value":0.7444}`, "78.7778", "78.8"},
		// s2: 10×1 + 40×(1.8/2) + 50×1 = 10 + 36 + 50 = 96
		"s2": {`{"num":4,"den":4,"value":1}`, `{"num":4,"den":4,"value":1}`, `{"num":1.8,"den":2,"value":0.9}`, "96", "96"},
		// d: 10×13/14 + 40×(8.5/11) + 50×12/14 = 365/7 + 340/11 = 6395/77 = 83.0519… → 83.1
		"d": {`{"num":13,"den":14,"value":0.9286}`, `{"num":12,"den":14,"value":0.8571}`, `{"num":8.5,"den":11,"value":0.7727}`, "83.0519", "83.1"},
		// k1 (A5, A8): 10×2/2 + 40×(0.9/2) + 50×2/2 = 10 + 18 + 50 = 78
		"cadre:k1": {`{"num":2,"den":2,"value":1}`, `{"num":2,"den":2,"value":1}`, `{"num":0.9,"den":2,"value":0.45}`, "78", "78"},
	}
	for id, w := range want {
		r := got[id]
		for name, want := range map[string]string{ResponseRate: w.resp, ResolutionRate: w.res, SatisfactionRate: w.sat,
			ClosureRate: `{"num":0,"den":0,"value":null}`, ReviewScore: `{"num":0,"den":0,"value":null}`} {
			if have := indicatorJSON(r, name); have != want {
				t.Errorf("%s %s = %s, want %s", id, name, have, want)
			}
		}
		if r.Detail.Base != w.base || score(r) != w.score || r.Detail.Penalty != 0 {
			t.Errorf("%s base %s score %s penalty %d, want %s, %s, 0", id, r.Detail.Base, score(r), r.Detail.Penalty, w.base, w.score)
		}
	}
	if score(got["s3"]) != "-" {
		t.Errorf("s3 has no case but scored %s", score(got["s3"]))
	}
	// Every rating that earned less than full credit is listed.
	if have := strings.Join(got["s1"].Detail.Misses.Dissatisfied, " "); have != "A5 A6 A7 A8 A9" {
		t.Errorf("s1 dissatisfied %s, want A5 A6 A7 A8 A9", have)
	}
	// Streets: 3 peers, excellent quota ⌊3/5⌋ = 0, so 96 is good.
	for id, want := range map[string]string{"s2": "1 good", "s1": "2 good", "s3": "0 "} {
		if ranks[id] != want {
			t.Errorf("%s ranked %q, want %q", id, ranks[id], want)
		}
	}
	// The explanation recomputes the score: its exact values and weights.
	x := loadModel(t, "kp-hotline-3rate-2026.1").Explain(got["s1"].Ratios, got["s1"].Detail.Pending)
	if x[SatisfactionRate].Exact != "67/90" || x[SatisfactionRate].Weight != "40" || x[ClosureRate].Weight != "0" {
		t.Errorf("s1 explained %+v", x[SatisfactionRate])
	}
}

// TestMinCasesModelOnAHandComputedDistrict runs kp-min20-2026.1 (kp-2026.1
// with no complaint rate on fewer than 20 cases) on a month of a small
// district beside kp-2026.1, and compares every number with one computed by
// hand below.
func TestMinCasesModelOnAHandComputedDistrict(t *testing.T) {
	s := newScenario(t)
	// Street s1 (s1.c1), July: 25 complaints C01…C25.
	//   responses: C01…C20 in time, C21…C25 late            → 20/25
	//   resolutions: C01…C22 resolved, C23…C25 not           → 22/25
	//   ratings: C01…C15 rated 5, C16…C18 rated 2, the rest none → 15/18:
	//            18 < 20, insufficient
	// and one problem closed in time → closure 1/1.
	for i := 1; i <= 25; i++ {
		id := fmt.Sprintf("C%02d", i)
		s.assign(id, "2026-07-02T09:00:00+08:00", "s1.c1", "")
		if i <= 20 {
			s.respond(id, "2026-07-02T10:00:00+08:00")
		} else {
			s.respond(id, "2026-07-02T13:00:00+08:00")
		}
		s.resolve(id, "2026-07-05T09:00:00+08:00", i <= 22)
		switch {
		case i <= 15:
			s.rate(id, "2026-07-06T09:00:00+08:00", 5)
		case i <= 18:
			s.rate(id, "2026-07-06T09:00:00+08:00", 2)
		}
	}
	s.list("I1", "2026-07-01T09:00:00+08:00", "s1.c1", "normal", "2026-07-20T00:00:00+08:00")
	s.closeIssue("I1", "2026-07-15T09:00:00+08:00")
	// Street s2 (s2.c1), July: five complaints D1…D5, all in time, resolved,
	// rated 5 → 5/5 each, all three insufficient.
	for i := 1; i <= 5; i++ {
		id := fmt.Sprintf("D%d", i)
		s.assign(id, "2026-07-10T09:00:00+08:00", "s2.c1", "")
		s.respond(id, "2026-07-10T09:30:00+08:00")
		s.resolve(id, "2026-07-11T09:00:00+08:00", true)
		s.rate(id, "2026-07-12T09:00:00+08:00", 5)
	}

	const asOf = "2026-09-01T00:00:00+08:00"
	min20, ranks := s.evaluateWith(loadModel(t, "kp-min20-2026.1"), "2026-07", asOf)
	def, defRanks := s.evaluateWith(loadModel(t, DefaultVersion), "2026-07", asOf)
	type want struct{ resp, res, sat, clo, base, score string }
	for _, tt := range []struct {
		model string
		got   map[string]Result
		want  map[string]want
	}{
		{"kp-min20-2026.1", min20, map[string]want{
			// s1: satisfaction out: 100 × (10×0.8 + 25×0.88 + 25×1) / 60 = 100 × 55/60 = 91.666… → 91.67
			"s1": {`{"num":20,"den":25,"value":0.8}`, `{"num":22,"den":25,"value":0.88}`, `{"num":15,"den":18,"value":0.8333,"insufficient":true}`, `{"num":1,"den":1,"value":1}`, "91.6667", "91.67"},
			// s2: every applicable indicator insufficient → no score
			"s2": {`{"num":5,"den":5,"value":1,"insufficient":true}`, `{"num":5,"den":5,"value":1,"insufficient":true}`, `{"num":5,"den":5,"value":1,"insufficient":true}`, `{"num":0,"den":0,"value":null}`, "", "-"},
			// d: 30 complaints, 23 rated, all enough:
			// 100 × (10×25/30 + 25×27/30 + 25×20/23 + 25×1) / 85 = 107050/1173 = 91.2617… → 91.26
			"d": {`{"num":25,"den":30,"value":0.8333}`, `{"num":27,"den":30,"value":0.9}`, `{"num":20,"den":23,"value":0.8696}`, `{"num":1,"den":1,"value":1}`, "91.2617", "91.26"},
		}},
		{"kp-2026.1", def, map[string]want{
			// s1: 100 × (8 + 22 + 25×15/18 + 25) / 85 = 89.2156… → 89.22
			"s1": {`{"num":20,"den":25,"value":0.8}`, `{"num":22,"den":25,"value":0.88}`, `{"num":15,"den":18,"value":0.8333}`, `{"num":1,"den":1,"value":1}`, "89.2157", "89.22"},
			// s2: 100 × (10 + 25 + 25) / 60 = 100
			"s2": {`{"num":5,"den":5,"value":1}`, `{"num":5,"den":5,"value":1}`, `{"num":5,"den":5,"value":1}`, `{"num":0,"den":0,"value":null}`, "100", "100"},
			"d":  {`{"num":25,"den":30,"value":0.8333}`, `{"num":27,"den":30,"value":0.9}`, `{"num":20,"den":23,"value":0.8696}`, `{"num":1,"den":1,"value":1}`, "91.2617", "91.26"},
		}},
	} {
		for id, w := range tt.want {
			r := tt.got[id]
			for name, want := range map[string]string{ResponseRate: w.resp, ResolutionRate: w.res, SatisfactionRate: w.sat, ClosureRate: w.clo} {
				if have := indicatorJSON(r, name); have != want {
					t.Errorf("%s: %s %s = %s, want %s", tt.model, id, name, have, want)
				}
			}
			if r.Detail.Base != w.base || score(r) != w.score {
				t.Errorf("%s: %s base %q score %s, want %q, %s", tt.model, id, r.Detail.Base, score(r), w.base, w.score)
			}
		}
	}
	// Streets (3 peers, quota 0): kp-min20 ranks s1 alone; kp-2026.1 puts s2's
	// 100 from five cases first.
	for id, want := range map[string]string{"s1": "1 good", "s2": "0 ", "s3": "0 "} {
		if ranks[id] != want {
			t.Errorf("kp-min20-2026.1: %s ranked %q, want %q", id, ranks[id], want)
		}
	}
	for id, want := range map[string]string{"s2": "1 good", "s1": "2 good", "s3": "0 "} {
		if defRanks[id] != want {
			t.Errorf("kp-2026.1: %s ranked %q, want %q", id, defRanks[id], want)
		}
	}
}

// BenchmarkParseModel: what loading one model file costs (schema, strict
// decoding, checks); the schema is compiled once per process.
func BenchmarkParseModel(b *testing.B) {
	file, err := fs.ReadFile(schemas.Models, "models/kp-peers-2026.1.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ParseModelFile("kp-peers-2026.1.yaml", file); err != nil {
			b.Fatal(err)
		}
	}
}
