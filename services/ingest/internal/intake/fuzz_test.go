package intake

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/sources"
)

// seedFile holds one valid event of every type, of /sources/dev; the fuzz
// tests of intake and of the handler (package main) start from it.
const seedFile = "../../testdata/events-of-every-type.json"

// seedEvents reads seedFile: each event as compact JSON, by type.
func seedEvents(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for _, raw := range raws {
		var e struct{ Type string }
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		out[e.Type] = raw
	}
	return out
}

// TestSeedsCoverEveryType: the seed file has a valid event of every type.
func TestSeedsCoverEveryType(t *testing.T) {
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	seeds := seedEvents(t)
	for _, ty := range event.Types {
		raw, ok := seeds[ty]
		if !ok {
			t.Errorf("no seed of %s in %s", ty, seedFile)
			continue
		}
		if _, err := v.Parse(raw); err != nil {
			t.Errorf("seed of %s: %v", ty, err)
		}
	}
	if len(seeds) != len(event.Types) {
		t.Errorf("%d seeds for %d types", len(seeds), len(event.Types))
	}
}

// FuzzDecodeAndCheck feeds arbitrary bodies and headers through everything
// ingest does to a request before publishing: it must never panic, every
// submission must come out either as an event or as a rejection with its
// index, no answer lists more rejections than its bound, and an event of
// another source or of a type the token may not send is forbidden whatever
// else is wrong with it. The seeds are an event of every type in structured
// mode, in a batch and in binary mode (its attributes in ce- headers).
func FuzzDecodeAndCheck(f *testing.F) {
	v, err := event.NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 7, 3, 0, 0, 0, 0, time.UTC)
	contentTypes := []string{"", MediaStructured, MediaBatch, MediaJSON, MediaJSON + "; charset=utf-8", "text/plain", "a/b; x"}
	// The grants a request may come with: the dev token (every type), a dev
	// token of the org types only, and a token of another source.
	grants := []sources.Grant{
		devGrant(f),
		grantOf(f, "sources:\n  - source: /sources/dev\n    token: org-token\n    types: [kaoping.org.unit.upserted, kaoping.org.cadre.upserted]\n", "org-token"),
		grantOf(f, "sources:\n  - source: /sources/hotline\n    token: hotline-token\n    types: [\"*\"]\n", "hotline-token"),
	}
	dev := `{"specversion":"1.0","id":"d-1","source":"/sources/dev","type":"kaoping.review.rated","time":"2026-07-01T00:00:00Z","data":{"review_id":"R1","subject_kind":"unit","subject":"u","period":"2026Q3","rater_group":"peers","score":87.345}}`
	f.Add(uint8(1), uint8(0), "", "", "", dev)
	f.Add(uint8(2), uint8(0), "", "", "", "["+dev+","+dev+",null,{},[],\"x\"]")
	f.Add(uint8(3), uint8(0), "1.0", event.TypeComplaintResolved, "2026-07-01T00:00:00%2B08:00", `{"complaint_id":"HX1"}`)
	f.Add(uint8(3), uint8(0), "1.0", event.TypeComplaintResolved, "%zz", `{"complaint_id":"HX1","resolved":true}`)
	f.Add(uint8(0), uint8(0), "", "", "", `[{"id":1},{"data":{"due":"2026-13-01T00:00:00Z"}}]`)
	f.Add(uint8(1), uint8(0), "", "", "", `{"specversion":"1.0","id":"i","source":"/sources/dev","type":"kaoping.issue.listed","time":"2026-07-01T00:00:00Z","data":{"issue_id":"I","list":"audit","severity":"major","unit":"u","due":"2026-07-01T25:00:00+08:00"}}`)
	f.Add(uint8(2), uint8(0), "", "", "", "[")
	f.Add(uint8(5), uint8(0), "", "", "", "\xff")
	f.Add(uint8(2), uint8(2), "", "", "", "["+dev+`,{"source":"/sources/dev","data":{"phone":"1"}}]`)
	seeds := seedEvents(f)
	all := make([]string, 0, len(seeds))
	for _, ty := range event.Types {
		raw := string(seeds[ty])
		all = append(all, raw)
		f.Add(uint8(1), uint8(0), "", "", "", raw)
		f.Add(uint8(1), uint8(1), "", "", "", raw)
		var e struct {
			Time string          `json:"time"`
			Data json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal([]byte(raw), &e)
		f.Add(uint8(3), uint8(0), "1.0", ty, e.Time, string(e.Data))
	}
	f.Add(uint8(2), uint8(1), "", "", "", "["+join(all)+"]")
	f.Fuzz(func(t *testing.T, ct, grantIdx uint8, specversion, ceType, ceTime, body string) {
		h := http.Header{}
		if c := contentTypes[int(ct)%len(contentTypes)]; c != "" {
			h.Set("Content-Type", c)
		}
		if specversion != "" {
			h.Set("ce-specversion", specversion)
			h.Set("ce-id", "fz-1")
			h.Set("ce-source", "/sources/dev")
			h.Set("ce-type", ceType)
			h.Set("ce-time", ceTime)
		}
		src := grants[int(grantIdx)%len(grants)]
		req, err := DecodeRequest(h, []byte(body))
		subs, derr := Decode(h, []byte(body))
		if (err == nil) != (derr == nil) {
			t.Fatalf("DecodeRequest: %v, Decode: %v", err, derr)
		}
		if err != nil {
			if subs != nil {
				t.Fatalf("submissions with an error: %v", err)
			}
			return
		}
		if req.Len() != len(subs) {
			t.Fatalf("DecodeRequest counts %d submissions, Decode %d", req.Len(), len(subs))
		}
		rules := Rules{Grant: src, Now: now, MaxMessageBytes: 4096}
		events, rejected := Check(v, rules, subs)
		if len(events)+len(rejected) != len(subs) {
			t.Fatalf("%d submissions became %d events and %d rejections", len(subs), len(events), len(rejected))
		}
		for _, r := range rejected {
			if r.Index < 0 || r.Index >= len(subs) || r.Error == "" {
				t.Fatalf("bad rejection %+v", r)
			}
			a := subs[r.Index].attributes()
			foreign := a.Source != "" && a.Source != src.Source.URI || a.Type != "" && !src.Allows(a.Type)
			if foreign && r.Error != Forbidden {
				t.Fatalf("an event of %q, type %q, for a token of %s is rejected for %q, not %q",
					a.Source, a.Type, src.Source.URI, r.Error, Forbidden)
			}
		}
		for _, e := range events {
			if e.Source != src.Source.URI || !src.Allows(e.Type) || len(e.Raw) == 0 {
				t.Fatalf("bad event %+v", e)
			}
		}
		// The bounded answer agrees with the whole one, unless the body is
		// not JSON after all: a batch passes whole exactly when it is a JSON
		// array, although its elements were found by their shape only.
		rules.MaxRejections = 2
		out := CheckRequest(v, rules, req)
		whole := error(nil)
		if req.batch != nil {
			_, _, whole = event.CountArrayUpTo([]byte(body), 0)
		}
		if (out.NotJSON == nil) != (whole == nil) {
			t.Fatalf("%q: CheckRequest says %v, the whole check %v", body, out.NotJSON, whole)
		}
		if out.NotJSON != nil {
			if !errors.Is(out.NotJSON, ErrNotJSON) {
				t.Fatalf("NotJSON is %v", out.NotJSON)
			}
			return
		}
		if out.RejectedTotal != len(rejected) || len(out.Events) != len(events) ||
			!slices.Equal(out.Rejected, rejected[:min(2, len(rejected))]) {
			t.Fatalf("CheckRequest: %d events, %d rejected of %d; Check: %d events, %d rejected",
				len(out.Events), len(out.Rejected), out.RejectedTotal, len(events), len(rejected))
		}
	})
}

func join(raws []string) string {
	out := ""
	for i, r := range raws {
		if i > 0 {
			out += ","
		}
		out += r
	}
	return out
}
