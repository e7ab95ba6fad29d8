package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaoping/pkg/event"
	"kaoping/schemas"
)

// TestAModelFromTheModelsDirectory: a user writes a model file into
// KAOPING_SCORER_MODELS_DIR and, without a rebuild, the real scorer lists
// it, runs it beside the default on the same events, and the real api serves
// each model's ranking on its own (model=) and the what-if between them.
func TestAModelFromTheModelsDirectory(t *testing.T) {
	three, err := schemas.Models.ReadFile("models/kp-hotline-3rate-2026.1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The city's method: the three rates at 20/30/50, rating 4 earning 0.8.
	city := strings.NewReplacer("version: kp-hotline-3rate-2026.1", "version: city-2027",
		"response_rate: 10", "response_rate: 20", "satisfaction_rate: 40", "satisfaction_rate: 30", "4: 0.9", "4: 0.8").Replace(string(three))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "city-2027.yaml"), []byte(city), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, "KAOPING_SCORER_MODELS_DIR="+dir)

	const T0 = "2026-01-01T00:00:00+08:00"
	events := []map[string]any{
		ce("u-d", event.TypeUnitUpserted, T0, map[string]any{"unit": "d", "name": "南湖区", "level": "district"}),
		ce("u-s1", event.TypeUnitUpserted, T0, map[string]any{"unit": "s1", "name": "建设街道", "level": "street", "parent": "d"}),
		ce("u-s2", event.TypeUnitUpserted, T0, map[string]any{"unit": "s2", "name": "解放街道", "level": "street", "parent": "d"}),
	}
	// s1: two complaints answered in time and resolved, rated 4 and 4.
	// s2: two complaints answered in time, one resolved, both rated 5.
	for _, c := range []struct {
		id, unit string
		resolved bool
		rating   int
	}{{"C1", "s1", true, 4}, {"C2", "s1", true, 4}, {"C3", "s2", true, 5}, {"C4", "s2", false, 5}} {
		events = append(events,
			ce("a-"+c.id, event.TypeComplaintAssigned, "2026-07-01T09:00:00+08:00", map[string]any{"complaint_id": c.id, "unit": c.unit,
				"category": "x", "response_due": "2026-07-01T11:00:00+08:00", "resolve_due": "2026-07-08T09:00:00+08:00"}),
			ce("r-"+c.id, event.TypeComplaintResponded, "2026-07-01T10:00:00+08:00", map[string]any{"complaint_id": c.id}),
			ce("s-"+c.id, event.TypeComplaintResolved, "2026-07-02T10:00:00+08:00", map[string]any{"complaint_id": c.id, "resolved": c.resolved}),
			ce("t-"+c.id, event.TypeComplaintRated, "2026-07-03T10:00:00+08:00", map[string]any{"complaint_id": c.id, "rating": c.rating}),
		)
	}
	if r := s.send(events...); r.Accepted != len(events) {
		t.Fatalf("events: %+v", r)
	}

	code, b := s.call("GET", "http://"+s.scorer+"/v1/models", "", nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"version":"city-2027"`) || !strings.Contains(string(b), `"default":"kp-2026.1"`) {
		t.Fatalf("GET /v1/models = %d %s", code, b)
	}
	def := s.runPeriod("2026Q3")
	code, b = s.call("POST", "http://"+s.scorer+"/v1/runs", "application/json", []byte(`{"period":"2026Q3","model":"city-2027"}`))
	var cityRun map[string]any
	if code != http.StatusCreated || json.Unmarshal(b, &cityRun) != nil || cityRun["status"] != "done" {
		t.Fatalf("city run = %d %s", code, b)
	}

	ranking := func(query string) string {
		t.Helper()
		code, b := s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&level=street"+query, "", nil)
		if code != http.StatusOK {
			t.Fatalf("rankings%s = %d %s", query, code, b)
		}
		return string(b)
	}
	// kp-2026.1: s1 100 (all three rates 1); s2 10×1 + 25×1/2 + 25×1 over 60 = 79.17.
	if got := ranking(""); !strings.Contains(got, `"run_id":"`+def["id"].(string)+`"`) ||
		!strings.Contains(got, `{"rank":1,"id":"s1","name":"建设街道","score":100,`) || !strings.Contains(got, `{"rank":2,"id":"s2","name":"解放街道","score":79.17,`) {
		t.Errorf("default ranking %s", got)
	}
	// city-2027: s1 20×1 + 30×(1.6/2) + 50×1 = 94; s2 20×1 + 30×1 + 50×1/2 = 75.
	got := ranking("&model=city-2027")
	if !strings.Contains(got, `"model":"city-2027"`) || !strings.Contains(got, `{"rank":1,"id":"s1","name":"建设街道","score":94,`) ||
		!strings.Contains(got, `"satisfaction_rate":{"num":1.6,"den":2,"value":0.8}`) || !strings.Contains(got, `{"rank":2,"id":"s2","name":"解放街道","score":75,`) {
		t.Errorf("city ranking %s", got)
	}
	// The what-if: s1 100 → 94, s2 79.17 → 75, d too; ranks unchanged.
	code, b = s.call("GET", "http://"+s.scorer+"/v1/runs/"+cityRun["id"].(string)+"/diff?against="+def["id"].(string), "", nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"models":{"run":"city-2027","against":"kp-2026.1"}`) ||
		!strings.Contains(string(b), `"id":"s2"`) || !strings.Contains(string(b), `"score_change":-4.17,"rank_change":0`) {
		t.Errorf("what-if = %d %s", code, b)
	}
}
