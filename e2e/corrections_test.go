package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"kaoping/pkg/event"
)

// TestLateToleranceCorrectsAFinalPeriod: a period past its grace is final at
// its first run; a tolerance that arrives afterwards makes the next run a
// correction run, the rankings say "corrected", and the run's diff names the
// unit, the cadre and the tolerance event.
func TestLateToleranceCorrectsAFinalPeriod(t *testing.T) {
	s := startStack(t)
	const T0 = "2026-01-01T00:00:00+08:00"
	org := []map[string]any{
		ce("u-d", event.TypeUnitUpserted, T0, map[string]any{"unit": "d", "name": "南湖区", "level": "district"}),
		ce("u-s1", event.TypeUnitUpserted, T0, map[string]any{"unit": "s1", "name": "建设街道", "level": "street", "parent": "d"}),
		ce("u-c1", event.TypeUnitUpserted, T0, map[string]any{"unit": "c1", "name": "东栅社区", "level": "community", "parent": "s1"}),
		ce("u-c2", event.TypeUnitUpserted, T0, map[string]any{"unit": "c2", "name": "南溪社区", "level": "community", "parent": "s1"}),
		ce("k-k1", event.TypeCadreUpserted, T0, map[string]any{"cadre": "k1", "name": "张伟", "unit": "c1", "position": "社区书记"}),
	}
	review := func(id, subject string, score int) map[string]any {
		return ce(id, event.TypeReviewRated, "2026-09-20T09:00:00+08:00", map[string]any{"review_id": id, "subject_kind": "unit",
			"subject": subject, "period": "2026Q3", "rater_group": "leaders", "score": score})
	}
	events := append(org,
		review("rv-c1", "c1", 90), review("rv-c2", "c2", 88), review("rv-s1", "s1", 80), review("rv-d", "d", 70),
		ce("rv-k1", event.TypeReviewRated, "2026-09-20T09:00:00+08:00", map[string]any{"review_id": "rv-k1", "subject_kind": "cadre",
			"subject": "k1", "period": "2026Q3", "rater_group": "leaders", "score": 90}),
		// a serious error of k1 in c1: 5 points off c1, s1, d and k1
		ce("e-1", event.TypeErrorRecorded, "2026-08-01T09:00:00+08:00", map[string]any{"error_id": "E1", "unit": "c1", "cadre": "k1",
			"severity": "serious", "summary": "程序瑕疵"}),
	)
	if r := s.send(events...); r.Accepted != len(events) {
		t.Fatalf("events: %+v", r)
	}
	first := s.runPeriod("2026Q3")
	if first["kind"] != "ordinary" {
		t.Errorf("the first run of a period past its grace = %v, want ordinary", first["kind"])
	}
	rank := func() (string, string) {
		code, b := s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&level=community", "", nil)
		var body struct {
			RunID  string `json:"run_id"`
			Status string `json:"status"`
			Final  bool   `json:"final"`
		}
		if code != http.StatusOK || json.Unmarshal(b, &body) != nil {
			t.Fatalf("rankings: %d %s", code, b)
		}
		return body.RunID, body.Status
	}
	if id, status := rank(); id != first["id"] || status != "final" {
		t.Fatalf("after the first run: serving %s as %s, want %s as final", id, status, first["id"])
	}

	// The tolerance comes after the period was frozen.
	if r := s.send(ce("tol-1", event.TypeErrorTolerated, "2026-12-01T09:00:00+08:00", map[string]any{"error_id": "E1",
		"decision_id": "RC-2026-07", "basis": "先行先试"})); r.Accepted != 1 {
		t.Fatalf("tolerance: %+v", r)
	}
	second := s.runPeriod("2026Q3")
	if second["kind"] != "correction" {
		t.Fatalf("the run after the tolerance = %v, want a correction", second)
	}
	// The correction run's diff was stored as the run ended: its page shows
	// it before anyone asked the scorer for it.
	code, page := s.call("GET", "http://"+s.api+"/runs/"+second["id"].(string), "", nil)
	if code != http.StatusOK || strings.Contains(string(page), "差异尚未生成") || !strings.Contains(string(page), "/units/c1") {
		t.Errorf("the correction run's page: %d %s", code, page)
	}
	if id, status := rank(); id != second["id"] || status != "corrected" {
		t.Errorf("after the correction: serving %s as %s, want %s as corrected", id, status, second["id"])
	}
	// The final run stays the final one.
	code, b := s.call("POST", "http://"+s.scorer+"/v1/periods/2026Q3/finalize", "", nil)
	if code != http.StatusOK || !strings.Contains(string(b), first["id"].(string)) {
		t.Errorf("finalise again: %d %s, want the first run kept", code, b)
	}

	code, b = s.call("GET", "http://"+s.scorer+"/v1/runs/"+second["id"].(string)+"/diff", "", nil)
	if code != http.StatusOK {
		t.Fatalf("diff: %d %s", code, b)
	}
	var d struct {
		Run     string `json:"run"`
		Against string `json:"against"`
		Changes []struct {
			Kind   string `json:"subject_kind"`
			ID     string `json:"id"`
			Before struct {
				Score float64 `json:"score"`
			} `json:"before"`
			After struct {
				Score float64 `json:"score"`
			} `json:"after"`
			Events []struct{ Source, ID string } `json:"events"`
		} `json:"changes"`
	}
	mustJSON(t, b, &d)
	if d.Run != second["id"] || d.Against != first["id"] {
		t.Errorf("diff of %s against %s, want %s against the final run %s", d.Run, d.Against, second["id"], first["id"])
	}
	// c1, the units above it and k1 get their 5 points back; c2 loses its
	// first rank to c1, its score unchanged, and no event concerns it.
	changed := map[string]bool{}
	for _, c := range d.Changes {
		key := c.Kind + " " + c.ID
		changed[key] = true
		if key == "unit c2" {
			if c.After.Score != c.Before.Score || len(c.Events) != 0 {
				t.Errorf("c2: %v → %v, events %+v; want only its rank changed", c.Before.Score, c.After.Score, c.Events)
			}
			continue
		}
		if c.After.Score-c.Before.Score != 5 {
			t.Errorf("%s: %v → %v, want 5 points back", key, c.Before.Score, c.After.Score)
		}
		if len(c.Events) != 1 || c.Events[0].Source != "/sources/dev" || c.Events[0].ID != "tol-1" {
			t.Errorf("%s: events %+v, want the tolerance", key, c.Events)
		}
	}
	for _, want := range []string{"unit c1", "unit s1", "unit d", "cadre k1", "unit c2"} {
		if !changed[want] {
			t.Errorf("diff lacks %s: %s", want, b)
		}
	}
	if len(d.Changes) != 5 {
		t.Errorf("%d changes, want 5: %s", len(d.Changes), b)
	}
	// The first run's diff is empty: there is nothing before it.
	code, b = s.call("GET", "http://"+s.scorer+"/v1/runs/"+first["id"].(string)+"/diff", "", nil)
	if code != http.StatusOK || !strings.Contains(string(b), `"against":null,"changes":[]`) {
		t.Errorf("diff of the first run: %d %s", code, b)
	}
}
