package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/schemas"
)

// storeModelRun stores a done run of model m with placed street rows.
func (f *fixture) storeModelRun(runID string, m *scoring.Model, asOf time.Time, rows ...store.ScoreRow) {
	f.t.Helper()
	ctx := context.Background()
	run := store.Run{ID: runID, Period: "2026Q3", Model: m.Version, ModelSHA256: m.SHA256, Kind: "ordinary", AsOfNs: asOf.UnixNano(), Status: store.StatusDone, UpdatedNs: asOf.UnixNano()}
	if err := f.store.SaveRun(ctx, run); err != nil {
		f.t.Fatal(err)
	}
	rows = append(rows, store.ScoreRow{Subject: "d", Level: "district"})
	for i := range rows {
		rows[i].RunID, rows[i].Kind, rows[i].Pos, rows[i].Unit = runID, "unit", i, rows[i].Subject
		rows[i].Path, rows[i].Name, rows[i].Base = []string{"d", rows[i].Subject}, "街道 "+rows[i].Subject, "0"
		if rows[i].Level == "" {
			rows[i].Level = "street"
		} else {
			rows[i].Path, rows[i].Pos = []string{"d"}, 0
		}
	}
	if err := f.store.SaveScores(ctx, rows); err != nil {
		f.t.Fatal(err)
	}
}

// TestRankingsServeOneModelAtATime: the newest done run of the model asked
// for (model=, default kp-2026.1) is served, never another model's; partial
// credit and insufficient indicators show as the model made them; a run of a
// model the api was not built with is explained by the file the run stored.
func TestRankingsServeOneModelAtATime(t *testing.T) {
	f := newFixture(t)
	def, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	three, err := scoring.LoadModel("kp-hotline-3rate-2026.1")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := schemas.Models.ReadFile("models/kp-2026.1.yaml")
	city, err := scoring.ParseModel([]byte(strings.Replace(strings.Replace(string(base), "version: kp-2026.1", "version: city-x", 1), "response_rate: 10", "response_rate: 30", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveModelFile(context.Background(), city.SHA256, city.Version, city.File); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f.storeModelRun("r-def", def, now.Add(-3*time.Hour),
		store.ScoreRow{Subject: "s1", Scored: true, ScoreCenti: 8000, Rank: 1, Grade: "good", Ratios: scoring.Ratios{Num: [4]int64{1, 0, 0, 0}, Den: [4]int64{1, 0, 0, 0}}})
	f.storeModelRun("r-three", three, now.Add(-2*time.Hour),
		store.ScoreRow{Subject: "s1", Scored: true, ScoreCenti: 7880, Rank: 1, Grade: "good",
			Ratios: scoring.Ratios{Num: [4]int64{9, 8, 67, 0}, Den: [4]int64{10, 10, 9, 0}, SatScale: 10, Insufficient: 1}})
	f.storeModelRun("r-city", city, now.Add(-time.Hour),
		store.ScoreRow{Subject: "s1", Scored: true, ScoreCenti: 5000, Rank: 1, Grade: "poor", Ratios: scoring.Ratios{Num: [4]int64{1, 0, 0, 0}, Den: [4]int64{2, 0, 0, 0}}})

	for _, tt := range []struct {
		query string
		code  int
		want  []string
	}{
		{"", 200, []string{`"model":"kp-2026.1"`, `"run_id":"r-def"`, `"score":80`}},
		{"&model=kp-2026.1", 200, []string{`"run_id":"r-def"`}},
		{"&model=kp-hotline-3rate-2026.1", 200, []string{`"model":"kp-hotline-3rate-2026.1"`, `"run_id":"r-three"`, `"score":78.8`,
			`"satisfaction_rate":{"num":6.7,"den":9,"value":0.7444}`, `"response_rate":{"num":9,"den":10,"value":0.9,"insufficient":true}`}},
		{"&run=r-three", 200, []string{`"run_id":"r-three"`}},
		{"&run=r-three&model=kp-2026.1", 400, []string{"run r-three is of model kp-hotline-3rate-2026.1, not kp-2026.1"}},
		{"&model=city-x", 200, []string{`"run_id":"r-city"`, `"score":50`}},
		{"&model=kp-nope", 404, []string{"no done run of model kp-nope"}},
		{"&model=", 400, []string{"model must be one model version"}},
	} {
		code, _, body := f.get("/v1/rankings?period=2026Q3&level=street" + tt.query)
		if code != tt.code {
			t.Errorf("%s: %d %s, want %d", tt.query, code, body, tt.code)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: %s\nlacks %s", tt.query, body, w)
			}
		}
	}
	// The models the api can serve: those of the runs, with their sources.
	code, _, list := f.get("/v1/models")
	for _, w := range []string{`"default":"kp-2026.1"`, `{"version":"city-x","sha256":"` + city.SHA256 + `","source":{}}`,
		`{"version":"kp-hotline-3rate-2026.1","sha256":"` + three.SHA256 + `","source":{"title":"区级 12345`} {
		if code != 200 || !strings.Contains(list, w) {
			t.Errorf("GET /v1/models = %d %s\nlacks %s", code, list, w)
		}
	}
	// The download of the three-rate ranking carries its score to 0.1.
	code, _, csv := f.get("/v1/rankings?period=2026Q3&level=street&model=kp-hotline-3rate-2026.1&format=csv")
	if code != http.StatusOK || !strings.Contains(csv, "78.8") {
		t.Errorf("three-rate CSV = %d %s", code, csv)
	}
	// The rankings page of a model keeps it in its filters, its subjects'
	// links and its downloads (and a unit's page in its report links).
	code, _, page := f.get("/?period=2026Q3&level=street&model=kp-hotline-3rate-2026.1")
	for _, w := range []string{`<input type="hidden" name="model" value="kp-hotline-3rate-2026.1">`,
		`/units/s1?model=kp-hotline-3rate-2026.1&amp;period=2026Q3`, `format=csv&amp;level=street&amp;model=kp-hotline-3rate-2026.1`} {
		if code != 200 || !strings.Contains(page, w) {
			t.Errorf("three-rate rankings page = %d, lacks %s:\n%s", code, w, page)
		}
	}
	code, _, page = f.get("/units/s1?period=2026Q3&model=kp-hotline-3rate-2026.1")
	if code != 200 || !strings.Contains(page, `format=md&amp;model=kp-hotline-3rate-2026.1`) || !strings.Contains(page, `period=2026Q3&model=kp-hotline-3rate-2026.1`) {
		t.Errorf("three-rate unit page = %d, its report links lack the model:\n%s", code, page)
	}
	// city-x is not built in: its explanation shows the weights of the file
	// the run stored.
	code, _, body := f.get("/v1/units/s1/scores?period=2026Q3&model=city-x")
	if code != 200 || !strings.Contains(body, `"model":"city-x"`) || !strings.Contains(body, `"weight":30`) {
		t.Errorf("city-x explanation = %d %s", code, body)
	}
	// In English the links keep the language (the template writes "&lang=en"
	// after the values it escapes, not a value of its own: that was %26lang%3den).
	code, _, page = f.get("/units/s1?period=2026Q3&lang=en")
	if code != 200 || !strings.Contains(page, `href="/units/d?period=2026Q3&lang=en"`) || !strings.Contains(page, `?lang=en"><code>`) {
		t.Errorf("English unit page = %d, its links lose the language:\n%s", code, page)
	}
	code, _, body = f.get("/v1/units/s1/scores?period=2026Q3&model=kp-hotline-3rate-2026.1")
	if code != 200 || !strings.Contains(body, `"exact":"67/90"`) || !strings.Contains(body, `"weight":40`) {
		t.Errorf("three-rate explanation = %d %s", code, body)
	}
}

// TestRankingsShowBandsAndLabels: a model with peer bands and labels adds
// "band" and "labels" to every row, and a column for each to the downloads;
// a subtree is ranked anew within each band.
func TestRankingsShowBandsAndLabels(t *testing.T) {
	f := newFixture(t)
	m, err := scoring.LoadModel("kp-peers-2026.1")
	if err != nil {
		t.Fatal(err)
	}
	label := `[{"label":"整改","reason":"2026Q2与本期连续为poor"}]`
	f.storeModelRun("r-peers", m, time.Now().Add(-time.Hour),
		store.ScoreRow{Subject: "s2", Scored: true, ScoreCenti: 9000, Rank: 1, Grade: "good", Band: "small", Labels: "[]"},
		store.ScoreRow{Subject: "s1", Scored: true, ScoreCenti: 4000, Rank: 2, Grade: "poor", Band: "small", Labels: label},
		store.ScoreRow{Subject: "s3", Scored: true, ScoreCenti: 8000, Rank: 1, Grade: "good", Band: "medium", Labels: "[]"})
	for _, q := range []string{"", "&parent=d"} {
		code, _, body := f.get("/v1/rankings?period=2026Q3&level=street&model=kp-peers-2026.1" + q)
		if code != 200 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
		for _, w := range []string{
			`{"rank":1,"id":"s2","name":"街道 s2","score":90,"grade":"good",`,
			`"band":"small","labels":[]}`,
			`{"rank":2,"id":"s1",`, `"band":"small","labels":` + label + `}`,
			`{"rank":1,"id":"s3",`, `"band":"medium","labels":[]}`,
		} {
			if !strings.Contains(body, w) {
				t.Errorf("%s: %s\nlacks %s", q, body, w)
			}
		}
		if i, j := strings.Index(body, `"id":"s1"`), strings.Index(body, `"id":"s3"`); i < 0 || j < i {
			t.Errorf("%s: the small band is not listed before the medium one: %s", q, body)
		}
	}
	code, _, body := f.get("/v1/units/s1/scores?period=2026Q3&model=kp-peers-2026.1")
	if code != 200 || !strings.Contains(body, `"band":"small","labels":`+label+`,"explanation":`) {
		t.Errorf("explanation of s1 = %d %s", code, body)
	}
	code, _, csv := f.get("/v1/rankings?period=2026Q3&level=street&model=kp-peers-2026.1&format=csv")
	lines := strings.Split(csv, "\n")
	if code != 200 || !strings.HasSuffix(lines[0], ",band,labels") || !strings.Contains(csv, ",small,整改：2026Q2与本期连续为poor") {
		t.Errorf("CSV = %d %s", code, csv)
	}
	// The default model's download keeps its columns.
	f.storeModelRun("r-def", mustDefault(t), time.Now().Add(-2*time.Hour), store.ScoreRow{Subject: "s1", Scored: true, ScoreCenti: 5000, Rank: 1, Grade: "poor"})
	if _, _, csv := f.get("/v1/rankings?period=2026Q3&level=street&format=csv"); strings.Contains(csv, "band") {
		t.Errorf("default CSV gained columns: %s", csv)
	}
}

func mustDefault(t *testing.T) *scoring.Model {
	t.Helper()
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
