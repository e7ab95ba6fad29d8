package intake

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/stream"
)

// BenchmarkRequest is ingest's CPU for one request of 1,000 complaint
// assignments, short of the network: the body read as a batch, every event
// checked (contract, token, time, size) and packed into messages in the
// record form, as POST /v1/events does before it publishes.
func BenchmarkRequest(b *testing.B) {
	v, err := event.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	grant := grantOf(b, "sources:\n  - source: /sources/hotline\n    token: t\n    types: [\"*\"]\n", "t")
	var body bytes.Buffer
	body.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"specversion":"1.0","id":"hotline-2026-07-%07d","source":"/sources/hotline","type":"kaoping.complaint.assigned","time":"2026-07-03T09:12:00+08:00","datacontenttype":"application/json","data":{"complaint_id":"HX2026-%07d","unit":"jx.nanhu.st%02d","cadre":"jx.nanhu.st%02d.c%03d","category":"property","response_due":"2026-07-03T11:12:00+08:00","resolve_due":"2026-07-10T09:12:00+08:00"}}`,
			i, i, i%80, i%80, i%300)
	}
	body.WriteByte(']')
	h := header("Content-Type", MediaBatch)
	rules := Rules{Grant: grant, Now: time.Date(2026, 7, 4, 0, 0, 0, 0, time.UTC), MaxMessageBytes: 1 << 20, MaxRejections: 1000}
	subject := stream.IngestSubject("hotline")
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		req, err := DecodeRequest(h, body.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		out := CheckRequest(v, rules, req)
		if len(out.Events) != 1000 {
			b.Fatalf("%d events accepted: %+v", len(out.Events), out.Rejected[:min(len(out.Rejected), 1)])
		}
		if _, err := publish.RecordBatches(subject, "hotline", out.Events, publish.RecordBodyLimit(rules.MaxMessageBytes, subject)); err != nil {
			b.Fatal(err)
		}
	}
}
