package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/stream"
)

// crashQuarter is a district of four streets, each with its communities and
// complaints whose outcomes differ by street, in batches of 200 events.
func crashQuarter() [][]map[string]any {
	at := time.Date(2026, 8, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	org := []map[string]any{ce("u-d", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", map[string]any{"unit": "d", "name": "南湖区", "level": "district"})}
	for st := range 4 {
		id := fmt.Sprintf("s%d", st)
		org = append(org, ce("u-"+id, event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", map[string]any{"unit": id, "name": "街道" + id, "level": "street", "parent": "d"}))
	}
	batches := [][]map[string]any{org}
	var batch []map[string]any
	for i := range 6000 {
		id, unit := fmt.Sprintf("K%05d", i), fmt.Sprintf("s%d", i%4)
		t := at.Add(time.Duration(i) * time.Minute)
		batch = append(batch, ce("a-"+id, event.TypeComplaintAssigned, t.Format(time.RFC3339), map[string]any{"complaint_id": id, "unit": unit, "category": "noise",
			"response_due": t.Add(time.Hour).Format(time.RFC3339), "resolve_due": t.Add(72 * time.Hour).Format(time.RFC3339)}))
		if i%(5+i%4) != 0 { // each street answers a different share in time
			batch = append(batch, ce("r-"+id, event.TypeComplaintResponded, t.Add(30*time.Minute).Format(time.RFC3339), map[string]any{"complaint_id": id}))
		}
		if len(batch) >= 200 {
			batches, batch = append(batches, batch), nil
		}
	}
	return append(batches, batch)
}

// sendUntilStored posts a batch until ingest answers 200, as a source system
// does: a refused connection (ingest down) or a 503 is tried again.
func (s *stack) sendUntilStored(batch []map[string]any) {
	body, err := json.Marshal(batch)
	if err != nil {
		s.t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.ingest+"/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+devToken)
		req.Header.Set("Content-Type", "application/cloudevents-batch+json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var ans ingestResult
			_ = json.NewDecoder(resp.Body).Decode(&ans)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if len(ans.Rejected) > 0 || ans.Accepted+ans.Duplicates != len(batch) {
					s.t.Errorf("answer %+v for %d events", ans, len(batch))
				}
				return
			}
		}
		if attempt > 600 {
			s.t.Fatalf("batch not stored after %d attempts: %v", attempt, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill9 kills a service with SIGKILL and starts it again.
func (s *stack) kill9(svc string) {
	if err := s.procs[svc].Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	_ = s.procs[svc].Wait()
	s.start(svc)
}

// rankingRows is the street ranking of a period, rows only.
func (s *stack) rankingRows(label, level string) string {
	code, b := s.call("GET", "http://"+s.api+"/v1/rankings?period="+label+"&level="+level, "", nil)
	if code != http.StatusOK {
		s.t.Fatalf("ranking: %d %s", code, b)
	}
	var r struct{ Rows json.RawMessage }
	mustJSON(s.t, b, &r)
	return string(r.Rows)
}

// TestKillsWhileEventsFlow kills the aggregator and ingest with SIGKILL at
// random moments while a source keeps sending (and resending what was not
// answered), then checks that the pipeline catches up within 10 s of the last
// restart and that the rankings equal those of an undisturbed run.
func TestKillsWhileEventsFlow(t *testing.T) {
	batches := crashQuarter()
	calm := startStack(t)
	for _, b := range batches {
		calm.sendUntilStored(b)
	}
	calm.runPeriod("2026Q3")
	want := calm.rankingRows("2026Q3", "street")

	s := startStack(t, "KAOPING_AGGREGATOR_ACK_WAIT=5s")
	rng := rand.New(rand.NewPCG(12, 1))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, b := range batches { // a steady stream: 20 requests a second
			s.sendUntilStored(b)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	kills := 0
	for sending := true; sending; {
		select {
		case <-done:
			sending = false
		case <-time.After(time.Duration(300+rng.IntN(700)) * time.Millisecond):
			svc := []string{"aggregator", "ingest"}[rng.IntN(2)]
			s.kill9(svc)
			kills++
		}
	}
	s.kill9("aggregator")
	restarted := time.Now()
	s.waitCaughtUp(10 * time.Second)
	t.Logf("%d kills; caught up %s after the last restart", kills+1, time.Since(restarted).Round(time.Millisecond))
	if kills < 3 {
		t.Errorf("only %d kills while events flowed", kills)
	}
	s.runPeriod("2026Q3")
	if got := s.rankingRows("2026Q3", "street"); got != want {
		t.Errorf("rankings after kills differ from the undisturbed run:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(want, `"den":1500`) {
		t.Errorf("the undisturbed ranking does not count 1,500 complaints a street: %s", want)
	}
}

// waitCaughtUp waits until the aggregator has stored everything in the stream.
func (s *stack) waitCaughtUp(within time.Duration) {
	s.t.Helper()
	js := s.connectNATS()
	ctx := context.Background()
	hw, err := stream.HighWater(ctx, js)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := stream.WaitProcessed(ctx, js, hw, within); err != nil {
		c, _ := js.Consumer(ctx, stream.EventsStream, stream.AggregatorConsumer)
		var info *jetstream.ConsumerInfo
		if c != nil {
			info, _ = c.Info(ctx)
		}
		s.t.Fatalf("not caught up within %s: %v (consumer %+v)", within, err, info)
	}
}
