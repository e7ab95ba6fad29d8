package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	cejsm "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

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
		if res := sdkSend(t, client, structured, id, typ, at, data); cloudevents.IsUndelivered(res) || !cloudevents.IsACK(res) {
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

// TestOfficialCloudEventsSDKOverHTTP sends events to ingest with the official
// CloudEvents Go SDK's HTTP client, in binary mode (its default) and in
// structured mode, as a source system would: the SDK writes every time in UTC
// with nanoseconds. Every event is acknowledged (200), the one sent again
// too, and each is stored and scored once: ingest answers the copy
// duplicate, so the stream holds one.
func TestOfficialCloudEventsSDKOverHTTP(t *testing.T) {
	s := startStack(t)
	client, err := cloudevents.NewClientHTTP(cehttp.WithTarget("http://"+s.ingest+"/v1/events"),
		cehttp.WithHeader("Authorization", "Bearer "+devToken))
	if err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	send := func(structured bool, id, typ string, at time.Time, data map[string]any) {
		t.Helper()
		res := sdkSend(t, client, structured, id, typ, at, data)
		var answer *cehttp.Result
		if !cloudevents.IsACK(res) || !cloudevents.ResultAs(res, &answer) || answer.StatusCode != http.StatusOK {
			t.Fatalf("send %s: %v", id, res)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, cst)
	send(false, "u-d", "kaoping.org.unit.upserted", t0, map[string]any{"unit": "d", "name": "南湖区", "level": "district"})
	send(true, "u-s1", "kaoping.org.unit.upserted", t0, map[string]any{"unit": "s1", "name": "建设街道", "level": "street", "parent": "d"})
	// Sub-second instants: the SDK sends 2026-08-03T01:00:00.123456789Z.
	at := time.Date(2026, 8, 3, 9, 0, 0, 123456789, cst)
	assigned := func(c string) map[string]any {
		return map[string]any{"complaint_id": c, "unit": "s1", "category": "noise",
			"response_due": at.Add(2 * time.Hour).Format(time.RFC3339Nano), "resolve_due": at.Add(72 * time.Hour).Format(time.RFC3339)}
	}
	for i := range 6 {
		c := fmt.Sprintf("CH%d", i)
		structured := i%2 == 1
		send(structured, "a-"+c, "kaoping.complaint.assigned", at, assigned(c))
		if i < 4 { // four of six answered in time
			send(!structured, "r-"+c, "kaoping.complaint.responded", at.Add(time.Hour), map[string]any{"complaint_id": c})
		}
	}
	// Two hours after the assignment to the nanosecond is in time (the due is
	// inclusive); a nanosecond later is late.
	send(false, "a-CH6", "kaoping.complaint.assigned", at, assigned("CH6"))
	send(true, "r-CH6", "kaoping.complaint.responded", at.Add(2*time.Hour), map[string]any{"complaint_id": "CH6"})
	send(true, "a-CH7", "kaoping.complaint.assigned", at, assigned("CH7"))
	send(false, "r-CH7", "kaoping.complaint.responded", at.Add(2*time.Hour+time.Nanosecond), map[string]any{"complaint_id": "CH7"})
	// The same event again, in the other mode: acknowledged, not stored twice.
	send(true, "a-CH0", "kaoping.complaint.assigned", at, assigned("CH0"))

	code, b := s.call("GET", "http://"+s.ingest+"/metrics", "", nil)
	for _, want := range []string{`kaoping_ingest_events_total{result="accepted"} 16`, `kaoping_ingest_events_total{result="duplicate"} 1`} {
		if code != http.StatusOK || !contains(string(b), want) {
			t.Fatalf("ingest's metrics lack %s: %d\n%s", want, code, b)
		}
	}

	run := s.runPeriod("2026Q3")
	if c := run["counts"].(map[string]any); c["complaints"] != float64(8) || c["events"] != float64(16) {
		t.Fatalf("counts = %v, want 8 complaints of 16 distinct events", c)
	}
	code, b = s.call("GET", "http://"+s.api+"/v1/units/s1/scores?period=2026Q3", "", nil)
	if code != http.StatusOK || !contains(string(b), `"response_rate":{"num":5,"den":8`) {
		t.Fatalf("explanation of s1: %d %s", code, b)
	}
	code, b = s.call("GET", "http://"+s.aggregator+"/v1/deadletters", "", nil)
	if code != http.StatusOK || !contains(string(b), `"dead_letters":[]`) {
		t.Errorf("dead letters: %d %s", code, b)
	}
}

// sdkSend sends one event of the development source with an official SDK
// client, in binary mode (the SDK's default) or structured mode.
func sdkSend(t *testing.T, client cloudevents.Client, structured bool, id, typ string, at time.Time, data map[string]any) cloudevents.Result {
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
	return client.Send(ctx, e)
}
