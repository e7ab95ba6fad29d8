package main

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"kaoping/services/ingest/internal/intake"
)

// FuzzPostEvents is the HTTP decoder under fire: arbitrary bodies, media
// types, tokens and CloudEvents binary headers sent to POST /v1/events on a
// real embedded NATS. No request may be answered 500 (or panic), every other
// status carries a JSON error, and a 200 accounts for every event the request
// carried (accepted + duplicates + rejected_total) while listing at most
// maxListedRejections of them. The seeds are an event of every type
// (testdata/events-of-every-type.json) in structured, batch and binary mode.
func FuzzPostEvents(f *testing.F) {
	b, err := os.ReadFile("testdata/events-of-every-type.json")
	if err != nil {
		f.Fatal(err)
	}
	var seeds []json.RawMessage
	if err := json.Unmarshal(b, &seeds); err != nil {
		f.Fatal(err)
	}
	var all []byte
	for i, raw := range seeds {
		var e struct {
			Type, Time string
			Data       json.RawMessage
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(1), uint8(0), "", "", string(raw))
		f.Add(uint8(3), uint8(1), "", "", string(raw))
		f.Add(uint8(4), uint8(0), e.Type, e.Time, string(e.Data))
		if i > 0 {
			all = append(all, ',')
		}
		all = append(all, raw...)
	}
	f.Add(uint8(2), uint8(0), "", "", "["+string(all)+"]")
	f.Add(uint8(2), uint8(2), "", "", "["+string(all)+"]")
	f.Add(uint8(2), uint8(0), "", "", "[{},{},0,null,\"x\",[[]]]")
	f.Add(uint8(5), uint8(0), "", "", "{}")
	f.Add(uint8(2), uint8(3), "", "", "[]")

	fx := newFixture(f, fixtureOpts{maxBody: 1 << 20})
	modes := []string{"", structured, batch, "application/json", "application/json; charset=utf-8", "text/plain"}
	tokens := []string{"dev-token", "hotline-token", "nope", ""}
	f.Fuzz(func(t *testing.T, mode, token uint8, ceType, ceTime, body string) {
		h := hdr(tokens[int(token)%len(tokens)], modes[int(mode)%len(modes)])
		if int(mode)%len(modes) == 4 {
			h["ce-specversion"], h["ce-id"], h["ce-source"], h["ce-type"], h["ce-time"] = "1.0", "fz-bin", "/sources/dev", ceType, ceTime
		}
		rec := fx.post(t, h, body)
		if rec.Code >= 500 {
			t.Fatalf("answered %d: %s", rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			var e struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%d without a JSON error: %q", rec.Code, rec.Body)
			}
			return
		}
		var a answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("200 that is not an answer: %v %q", err, rec.Body)
		}
		hh := http.Header{}
		for k, v := range h {
			hh.Set(k, v)
		}
		req, err := intake.DecodeRequest(hh, []byte(body))
		if err != nil {
			t.Fatalf("200 for a body the decoder refuses: %v", err)
		}
		if a.Accepted+a.Duplicates+a.RejectedTotal != req.Len() || len(a.Rejected) > maxListedRejections || len(a.Rejected) > a.RejectedTotal {
			t.Fatalf("%d events answered %+v", req.Len(), a)
		}
		for _, r := range a.Rejected {
			if r.Error == "" || r.Index < 0 || r.Index >= req.Len() {
				t.Fatalf("bad rejection %+v", r)
			}
		}
	})
}
