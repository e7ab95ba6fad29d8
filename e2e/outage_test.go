package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

// TestClickHouseOutage stops the real ClickHouse server while events flow
// (60 s, or KAOPING_TEST_OUTAGE): the aggregator stops acknowledging, says
// why on /readyz and in its metrics, retries alone and resumes once the
// server is back; nothing sent is lost or counted twice.
func TestClickHouseOutage(t *testing.T) {
	outage := 60 * time.Second
	if d, err := time.ParseDuration(os.Getenv("KAOPING_TEST_OUTAGE")); err == nil {
		outage = d
	}
	ch := testkit.StartClickHouse(t)
	s := startStackOn(t, ch)
	batches := crashQuarter()
	half := len(batches) / 2
	for _, b := range batches[:half] {
		s.sendUntilStored(b)
	}
	s.waitCaughtUp(30 * time.Second)

	ch.Stop()
	stopped := time.Now()
	js := s.connectNATS()
	floor, err := stream.Processed(context.Background(), js)
	if err != nil {
		t.Fatal(err)
	}
	// Events keep coming while ClickHouse is away: JetStream takes them.
	for _, b := range batches[half:] {
		s.sendUntilStored(b)
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		code, body := s.get("http://" + s.aggregator + "/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "clickhouse") {
			return fmt.Errorf("aggregator /readyz = %d %s", code, body)
		}
		return nil
	})
	_, metrics := s.get("http://" + s.aggregator + "/metrics")
	for _, want := range []string{`kaoping_aggregator_ready_check{check="clickhouse"} 0`, "kaoping_aggregator_ready 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics during the outage lack %s", want)
		}
	}
	// The readiness check may see the outage (its ping) before the first
	// insert fails: the error is counted within seconds, still in the outage.
	testkit.Eventually(t, 15*time.Second, func() error {
		_, metrics := s.get("http://" + s.aggregator + "/metrics")
		if !strings.Contains(metrics, "kaoping_aggregator_insert_errors_total") || strings.Contains(metrics, "kaoping_aggregator_insert_errors_total 0\n") {
			return fmt.Errorf("no insert error counted during the outage")
		}
		return nil
	})
	// Held for longer than the aggregator's stall limit (30 s), the consumer
	// itself is reported as not making progress.
	if outage >= 40*time.Second {
		time.Sleep(time.Until(stopped.Add(36 * time.Second)))
		if code, body := s.get("http://" + s.aggregator + "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, `"consumer":"no batch stored`) {
			t.Errorf("aggregator /readyz after 36 s of outage = %d %s, want the consumer's stall named", code, body)
		}
	}
	time.Sleep(time.Until(stopped.Add(outage)))
	if now, err := stream.Processed(context.Background(), js); err != nil || now != floor {
		t.Fatalf("acknowledged up to %d during the outage (from %d, %v): nothing may be acknowledged that is not stored", now, floor, err)
	}
	ch.Restart(t)
	back := time.Now()
	s.waitCaughtUp(2 * time.Minute)
	t.Logf("outage of %s; caught up %s after ClickHouse came back", outage, time.Since(back).Round(time.Millisecond))
	testkit.Eventually(t, 30*time.Second, func() error {
		if code, body := s.get("http://" + s.aggregator + "/readyz"); code != http.StatusOK {
			return fmt.Errorf("aggregator /readyz = %d %s after the outage", code, body)
		}
		return nil
	})
	run := s.runPeriod("2026Q3")
	counts, _ := json.Marshal(run["counts"])
	var c struct{ Complaints int }
	if err := json.Unmarshal(counts, &c); err != nil || c.Complaints != 6000 {
		t.Fatalf("counts after the outage = %s, want 6000 complaints", counts)
	}
}

// get is an unauthenticated GET.
func (s *stack) get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
