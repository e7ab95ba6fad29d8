package e2e

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"kaoping/pkg/event"
)

// TestAggregatorKilledMidStreamLosesNothingAndCountsOnce sends complaints,
// kills the aggregator with SIGKILL while it is storing them, starts it
// again, and checks that a run sees every complaint exactly once.
func TestAggregatorKilledMidStreamLosesNothingAndCountsOnce(t *testing.T) {
	s := startStack(t)
	s.send(
		ce("u-d", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", map[string]any{"unit": "d", "name": "南湖区", "level": "district"}),
	)
	const n = 4000
	at := time.Date(2026, 8, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for b := 0; b < n/500; b++ {
		var batch []map[string]any
		for i := b * 500; i < (b+1)*500; i++ {
			id := fmt.Sprintf("HX%05d", i)
			batch = append(batch,
				ce("a-"+id, event.TypeComplaintAssigned, at.Format(time.RFC3339), map[string]any{"complaint_id": id, "unit": "d", "category": "noise",
					"response_due": at.Add(time.Hour).Format(time.RFC3339), "resolve_due": at.Add(72 * time.Hour).Format(time.RFC3339)}),
				ce("r-"+id, event.TypeComplaintResponded, at.Add(time.Minute).Format(time.RFC3339), map[string]any{"complaint_id": id}))
		}
		if r := s.send(batch...); r.Accepted != len(batch) {
			t.Fatalf("batch %d: %+v", b, r)
		}
		if b == 3 {
			if err := s.procs["aggregator"].Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = s.procs["aggregator"].Wait()
		}
	}
	s.start("aggregator")
	run := s.runPeriod("2026Q3")
	counts, _ := json.Marshal(run["counts"])
	var c struct{ Complaints int }
	if err := json.Unmarshal(counts, &c); err != nil || c.Complaints != n {
		t.Fatalf("counts = %s, want %d complaints", counts, n)
	}
	code, b := s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&level=district", "", nil)
	want := fmt.Sprintf(`"response_rate":{"num":%d,"den":%d,"value":1}`, n, n)
	if code != 200 || !contains(string(b), want) {
		t.Errorf("ranking: %d %s\nwant %s", code, b, want)
	}
}

// TestPendingAndLateLifecycle checks, on the current quarter, that a case
// whose deadline has not passed at the run's instant counts nowhere, and that
// outcomes stored before their case count once it exists.
func TestPendingAndLateLifecycle(t *testing.T) {
	s := startStack(t)
	now := time.Now()
	label := fmt.Sprintf("%dQ%d", now.In(time.FixedZone("CST", 8*3600)).Year(), (int(now.In(time.FixedZone("CST", 8*3600)).Month())-1)/3+1)
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	assigned := func(id string, at, respDue, resolveDue time.Duration) map[string]any {
		return ce("a-"+id, event.TypeComplaintAssigned, ts(at), map[string]any{"complaint_id": id, "unit": "d", "category": "noise",
			"response_due": ts(respDue), "resolve_due": ts(resolveDue)})
	}
	r := s.send(
		ce("u-d", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", map[string]any{"unit": "d", "name": "南湖区", "level": "district"}),
		// the response arrives before its case
		ce("r-LATE", event.TypeComplaintResponded, ts(-30*time.Minute), map[string]any{"complaint_id": "EARLY"}),
		assigned("EARLY", -time.Hour, time.Hour, 48*time.Hour),
		// no response yet, due in an hour: pending for response and resolution
		assigned("PENDING", -time.Minute, time.Hour, 48*time.Hour),
		// no response, due a minute ago: a miss
		assigned("MISSED", -2*time.Hour, -time.Minute, 48*time.Hour),
	)
	if r.Accepted != 5 {
		t.Fatalf("%+v", r)
	}
	// The current quarter cannot be finalised before it has a run.
	if code, b := s.call("POST", "http://"+s.scorer+"/v1/periods/"+label+"/finalize", "", nil); code != 409 {
		t.Errorf("finalize without a run: %d %s", code, b)
	}
	first := s.runPeriod(label)
	code, b := s.call("GET", "http://"+s.api+"/v1/rankings?period="+label+"&level=district", "", nil)
	if code != 200 || !contains(string(b), `"response_rate":{"num":1,"den":2,"value":0.5}`) || !contains(string(b), `"resolution_rate":{"num":0,"den":0,"value":null}`) || !contains(string(b), `"final":false`) {
		t.Errorf("ranking of %s: %d %s", label, code, b)
	}
	// Finalising freezes the newest done run; the next run is a correction.
	code, b = s.call("POST", "http://"+s.scorer+"/v1/periods/"+label+"/finalize", "", nil)
	if code != 200 || !contains(string(b), `"final":true`) || !contains(string(b), first["id"].(string)) {
		t.Errorf("finalize: %d %s", code, b)
	}
	if second := s.runPeriod(label); second["kind"] != "correction" {
		t.Errorf("run after finalising: %v", second)
	}
	code, b = s.call("GET", "http://"+s.api+"/v1/rankings?period="+label+"&level=district", "", nil)
	if code != 200 || !contains(string(b), `"final":true`) {
		t.Errorf("ranking after finalising: %d %s", code, b)
	}
}
