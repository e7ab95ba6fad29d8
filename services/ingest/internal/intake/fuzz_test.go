package intake

import (
	"net/http"
	"testing"
	"time"

	"kaoping/pkg/event"
)

// FuzzDecodeAndCheck feeds arbitrary bodies and headers through everything
// ingest does to a request before publishing: it must never panic, and every
// submission must come out either as an event or as a rejection with its index.
func FuzzDecodeAndCheck(f *testing.F) {
	v, err := event.NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	src := devGrant(f)
	now := time.Date(2026, 7, 3, 0, 0, 0, 0, time.UTC)
	contentTypes := []string{"", MediaStructured, MediaBatch, MediaJSON, MediaJSON + "; charset=utf-8", "text/plain", "a/b; x"}
	dev := `{"specversion":"1.0","id":"d-1","source":"/sources/dev","type":"kaoping.review.rated","time":"2026-07-01T00:00:00Z","data":{"review_id":"R1","subject_kind":"unit","subject":"u","period":"2026Q3","rater_group":"peers","score":87.345}}`
	f.Add(uint8(1), "", "", dev)
	f.Add(uint8(2), "", "", "["+dev+","+dev+",null,{},[],\"x\"]")
	f.Add(uint8(3), "1.0", "2026-07-01T00:00:00%2B08:00", `{"complaint_id":"HX1"}`)
	f.Add(uint8(3), "1.0", "%zz", `{"complaint_id":"HX1","resolved":true}`)
	f.Add(uint8(0), "", "", `[{"id":1},{"data":{"due":"2026-13-01T00:00:00Z"}}]`)
	f.Add(uint8(1), "", "", `{"specversion":"1.0","id":"i","source":"/sources/dev","type":"kaoping.issue.listed","time":"2026-07-01T00:00:00Z","data":{"issue_id":"I","list":"audit","severity":"major","unit":"u","due":"2026-07-01T25:00:00+08:00"}}`)
	f.Add(uint8(2), "", "", "[")
	f.Add(uint8(5), "", "", "\xff")
	f.Fuzz(func(t *testing.T, ct uint8, specversion, ceTime, body string) {
		h := http.Header{}
		if c := contentTypes[int(ct)%len(contentTypes)]; c != "" {
			h.Set("Content-Type", c)
		}
		if specversion != "" {
			h.Set("ce-specversion", specversion)
			h.Set("ce-id", "fz-1")
			h.Set("ce-source", "/sources/dev")
			h.Set("ce-type", "kaoping.complaint.resolved")
			h.Set("ce-time", ceTime)
		}
		subs, err := Decode(h, []byte(body))
		if err != nil {
			if subs != nil {
				t.Fatalf("submissions with an error: %v", err)
			}
			return
		}
		events, rejected := Check(v, Rules{Grant: src, Now: now, MaxMessageBytes: 4096}, subs)
		if len(events)+len(rejected) != len(subs) {
			t.Fatalf("%d submissions became %d events and %d rejections", len(subs), len(events), len(rejected))
		}
		for _, r := range rejected {
			if r.Index < 0 || r.Index >= len(subs) || r.Error == "" {
				t.Fatalf("bad rejection %+v", r)
			}
		}
		for _, e := range events {
			if e.Source != src.Source.URI || len(e.Raw) == 0 {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}
