package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	cejsm "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"kaoping/pkg/stream"
)

// TestOfficialCloudEventsSenderStraightToNATS sends events with the official
// CloudEvents Go SDK's JetStream sender, in binary mode (its default) and in
// structured mode, on the development source's subject: each is stored and
// scored once, also the one sent twice (the sender sets no message id, so
// both copies are stored; the first wins at scoring).
func TestOfficialCloudEventsSenderStraightToNATS(t *testing.T) {
	s := startStack(t)
	sender, err := cejsm.NewSender(s.natsURL, stream.EventsStream, stream.SourceSubject("dev"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close(context.Background())
	client, err := cloudevents.NewClient(sender)
	if err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	send := func(structured bool, id, typ string, at time.Time, data map[string]any) {
		t.Helper()
		e := cloudevents.NewEvent()
		e.SetID(id)
		e.SetSource("/sources/dev")
		e.SetType(typ)
		e.SetTime(at)
		if err := e.SetData(cloudevents.ApplicationJSON, data); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if structured {
			ctx = cloudevents.WithEncodingStructured(ctx)
		}
		if res := client.Send(ctx, e); cloudevents.IsUndelivered(res) || !cloudevents.IsACK(res) {
			t.Fatalf("send %s: %v", id, res)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, cst)
	send(false, "u-d", "kaoping.org.unit.upserted", t0, map[string]any{"unit": "d", "name": "南湖区", "level": "district"})
	send(true, "u-s1", "kaoping.org.unit.upserted", t0, map[string]any{"unit": "s1", "name": "建设街道", "level": "street", "parent": "d"})
	at := time.Date(2026, 8, 3, 9, 0, 0, 0, cst)
	for i := range 6 {
		c := fmt.Sprintf("CE%d", i)
		structured := i%2 == 1
		send(structured, "a-"+c, "kaoping.complaint.assigned", at, map[string]any{"complaint_id": c, "unit": "s1", "category": "noise",
			"response_due": at.Add(2 * time.Hour).Format(time.RFC3339), "resolve_due": at.Add(72 * time.Hour).Format(time.RFC3339)})
		if i < 4 { // four of six answered in time
			send(!structured, "r-"+c, "kaoping.complaint.responded", at.Add(time.Hour), map[string]any{"complaint_id": c})
		}
	}
	// The same event again: a second copy in the stream, one case at scoring.
	send(false, "a-CE0", "kaoping.complaint.assigned", at, map[string]any{"complaint_id": "CE0", "unit": "s1", "category": "noise",
		"response_due": at.Add(2 * time.Hour).Format(time.RFC3339), "resolve_due": at.Add(72 * time.Hour).Format(time.RFC3339)})

	run := s.runPeriod("2026Q3")
	if c := run["counts"].(map[string]any); c["complaints"] != float64(6) || c["events"] != float64(12) {
		t.Fatalf("counts = %v, want 6 complaints of 12 distinct events", c)
	}
	code, b := s.call("GET", "http://"+s.api+"/v1/units/s1/scores?period=2026Q3", "", nil)
	if code != http.StatusOK || !contains(string(b), `"response_rate":{"num":4,"den":6`) {
		t.Fatalf("explanation of s1: %d %s", code, b)
	}
	code, b = s.call("GET", "http://"+s.aggregator+"/v1/deadletters", "", nil)
	if code != http.StatusOK || !contains(string(b), `"dead_letters":[]`) {
		t.Errorf("dead letters: %d %s", code, b)
	}
}
