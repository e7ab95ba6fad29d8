package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/event"
	"kaoping/services/ingest/internal/intake"
	"kaoping/services/ingest/internal/ratelimit"
)

// TestRateLimit: a source past its events per second is answered 429 with
// Retry-After before its body is read, nothing of it is stored, other sources
// go on, and it is let in again once its debt is paid.
func TestRateLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 7, 3, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	f := newFixture(t, fixtureOpts{limits: ratelimit.Limits{Rate: 10, Burst: 10}, now: clock})
	batchOf := func(from, n int) string {
		var evs []string
		for i := from; i < from+n; i++ {
			evs = append(evs, ce(fmt.Sprintf("c-%d-responded", i), event.TypeComplaintResponded, respondedData))
		}
		return "[" + strings.Join(evs, ",") + "]"
	}
	// 25 events at once: let in (the bucket was full), 15 in debt.
	f.check(t, 0, step{header: hdr("hotline-token", batch), body: batchOf(0, 25), status: 200, want: ok(25, 0)})
	rec := f.post(t, hdr("hotline-token", batch), batchOf(100, 1))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Fatalf("in debt of 15 at 10/s: %d, Retry-After %q, %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	// Another source is not held back by the first.
	dev := ceFull("/sources/dev", "d-1", event.TypeComplaintResponded, "2026-07-03T09:12:00+08:00", respondedData)
	f.check(t, 1, step{header: hdr("dev-token", structured), body: dev, status: 200, want: ok(1, 0)})
	advance(time.Second)
	if rec := f.post(t, hdr("hotline-token", batch), batchOf(200, 1)); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("in debt of 5: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	advance(time.Second / 2)
	f.check(t, 2, step{header: hdr("hotline-token", batch), body: batchOf(300, 1), status: 200, want: ok(1, 0)})
	if got := len(f.stored(t)); got != 27 {
		t.Errorf("the stream holds %d events, want 27 (nothing of a refused request)", got)
	}
	if n := plainCounter(t, f.metrics, "kaoping_ingest_rate_limited_requests_total"); n != 2 {
		t.Errorf("rate_limited_requests_total = %v, want 2", n)
	}
}

// post sends one request to the fixture's handler.
func (f *fixture) post(t testing.TB, header map[string]string, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/events", strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hostileBodies are the worst inputs we found for ingest's CPU, by name: each
// about size bytes.
func hostileBodies(size int) map[string]struct{ contentType, body string } {
	fill := func(prefix, unit, suffix string) string {
		return prefix + strings.Repeat(unit, (size-len(prefix)-len(suffix))/len(unit)) + suffix
	}
	envelope := func(data string) string {
		return `{"specversion":"1.0","id":"h-1","source":"/sources/hotline","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00+08:00","data":` + data + `}`
	}
	valid := ce("c-%d", event.TypeComplaintResponded, respondedData)
	var validBatch strings.Builder
	validBatch.WriteByte('[')
	for i := 0; validBatch.Len() < size-len(valid)-16; i++ {
		if i > 0 {
			validBatch.WriteByte(',')
		}
		fmt.Fprintf(&validBatch, valid, i)
	}
	validBatch.WriteByte(']')
	var spaced bytes.Buffer
	_ = json.Indent(&spaced, []byte(strings.ReplaceAll(validBatch.String(), `"c-`, `"s-`)), "\n", "\t  ")
	return map[string]struct{ contentType, body string }{
		"{}, repeated":                    {batch, fill("[", "{},", "{}]")},
		"0, repeated":                     {batch, fill("[", "0,", "0]")},
		"valid events, distinct ids":      {batch, validBatch.String()},
		"valid events, spaced":            {batch, spaced.String()},
		"another source's events":         {batch, fill("[", `{"source":"/sources/dev"},`, "{}]")},
		"deep nesting, unclosed":          {structured, envelope(fill(`{"complaint_id":"HX1","x":`, "[", ""))},
		"deep nesting, closed":            {batch, "[" + envelope(`{"complaint_id":"HX1","x":`+strings.Repeat("[", size/2-200)+strings.Repeat("]", size/2-200)+"}") + "]"},
		"escapes in a string":             {structured, envelope(`{"complaint_id":"` + fill("", `\u00e9`, "") + `"}`)},
		"escaped surrogates":              {structured, envelope(`{"complaint_id":"` + fill("", `\ud83d\ude00`, "") + `"}`)},
		"long member name":                {structured, envelope(`{"` + fill("", "a", "") + `":1}`)},
		"huge exponents":                  {batch, fill("[", envelope(`{"complaint_id":"HX1","rating":1e999999999}`)+",", "{}]")},
		"many digits":                     {structured, strings.Replace(envelope(`{"complaint_id":"HX1","rating":`+fill("", "9", "")+`}`), "responded", "rated", 1)},
		"a member given twice, repeated":  {structured, envelope(fill(`{`, `"complaint_id":"HX1",`, `"complaint_id":"HX1"}`))},
		"long dataschema":                 {structured, strings.Replace(envelope(`{"complaint_id":"HX1"}`), `"data":`, `"dataschema":"`+fill("", "x", "")+`","data":`, 1)},
		"long id":                         {batch, fill("[", strings.Replace(envelope(`{"complaint_id":"HX1"}`), `"h-1"`, `"`+strings.Repeat("长", 2000)+`"`, 1)+",", "{}]")},
		"strings of control escapes":      {batch, fill("[", `"\n\t\b\f\r\"\\\/",`, `""]`)},
		"binary mode, large data":         {"application/json", `{"complaint_id":"` + fill("", "x", "") + `"}`},
		"not JSON at the very end":        {batch, fill("[", "{},", "{")},
		"nested arrays as elements":       {batch, fill("[", "[[[[[[[[]]]]]]]],", "[]]")},
		"not UTF-8 at the very end":       {batch, fill("[", "{},", "\xff]")},
		"whitespace only between tokens":  {batch, fill("[", " \n\t\r", "]")},
		"null data in many events":        {batch, fill("[", envelope("null")+",", "{}]")},
		"unknown members in many events":  {batch, fill("[", `{"specversion":"1.0","phone":"13800000000"},`, "{}]")},
		"structured: a 1 MiB array value": {structured, envelope(`{"complaint_id":"HX1","a":[` + fill("", "1,", "1") + `]}`)},
	}
}

// TestHostileInputsAreCheap sends every input of hostileBodies (1 MiB each,
// and the worst again at 10 MiB) and checks that none costs more than 1 ms of
// CPU per KB, none is answered 500, and every answer stays small. The CPU is
// the whole process's (the handler, the garbage collector, the embedded NATS
// server storing what was accepted), so the figure is an upper bound.
func TestHostileInputsAreCheap(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxBody: 11 << 20})
	binaryHeaders := hdr("hotline-token", "application/json", "ce-specversion", "1.0", "ce-id", "b-1", "ce-source", "/sources/hotline",
		"ce-type", event.TypeComplaintResponded, "ce-time", "2026-07-03T09:12:00+08:00")
	measure := func(name, contentType, body string) float64 {
		h := hdr("hotline-token", contentType)
		if strings.HasPrefix(name, "binary") {
			h = binaryHeaders
		}
		before, start := cpuTime(t), time.Now()
		rec := f.post(t, h, body)
		cpu, wall := cpuTime(t)-before, time.Since(start)
		perKB := float64(cpu.Microseconds()) / (float64(len(body)) / 1024)
		t.Logf("%-34s %8d bytes: %3d, answer %6d bytes, CPU %7.1f ms (%6.1f µs/KB), wall %7.1f ms",
			name, len(body), rec.Code, rec.Body.Len(), float64(cpu.Microseconds())/1000, perKB, float64(wall.Microseconds())/1000)
		if rec.Code >= 500 {
			t.Errorf("%s: answered %d %s", name, rec.Code, rec.Body)
		}
		if rec.Body.Len() > 512<<10 {
			t.Errorf("%s: an answer of %d bytes", name, rec.Body.Len())
		}
		if rec.Code == 200 {
			var a answer
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || len(a.Rejected) > maxListedRejections {
				t.Errorf("%s: %v, %d rejections listed", name, err, len(a.Rejected))
			}
		}
		return perKB
	}
	worst, worstName := 0.0, ""
	for name, in := range hostileBodies(1 << 20) {
		if perKB := measure(name, in.contentType, in.body); perKB > worst {
			worst, worstName = perKB, name
		}
	}
	t.Logf("worst at 1 MiB: %s, %.1f µs of CPU per KB", worstName, worst)
	big := hostileBodies(10 << 20)
	for _, name := range slices.Compact([]string{"{}, repeated", worstName}) {
		perKB := measure(name+" (10 MiB)", big[name].contentType, big[name].body)
		worst = max(worst, perKB)
	}
	// 1 ms per KB is the budget (issue 14); a loaded machine may stretch a
	// measure, so a failure is checked once more before it counts.
	if worst > 1000 {
		again := measure(worstName+" (again)", big[worstName].contentType, big[worstName].body)
		if again > 1000 {
			t.Errorf("an input costs %.0f µs of CPU per KB, more than 1 ms", again)
		}
	}
	if os.Getenv("KAOPING_INGEST_COST_REPORT") != "" {
		fmt.Printf("worst input %q: %.1f µs of CPU per KB\n", worstName, worst)
	}
}

// TestTenMiBOfEmptyObjects: the body of issue 14, 10 MiB of "{},", is
// answered with the first 1000 rejections and the count of all, not with a
// rejection each (it built a 405 MB answer before).
func TestTenMiBOfEmptyObjects(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxBody: 10 << 20})
	n := (10<<20 - 2) / 3
	body := "[" + strings.Repeat("{},", n-1) + "{}]"
	rec := f.post(t, hdr("hotline-token", batch), body)
	if rec.Code != 200 {
		t.Fatalf("status %d: %.300s", rec.Code, rec.Body)
	}
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if a.RejectedTotal != n || len(a.Rejected) != maxListedRejections || a.Accepted != 0 {
		t.Errorf("%d rejections listed of %d, %d accepted; want %d of %d", len(a.Rejected), a.RejectedTotal, a.Accepted, maxListedRejections, n)
	}
	if rec.Body.Len() > 256<<10 {
		t.Errorf("an answer of %d bytes", rec.Body.Len())
	}
	t.Logf("%d events, answer %d bytes", n, rec.Body.Len())
	if a.Rejected[999] != (intake.Rejection{Index: 999, Error: a.Rejected[0].Error}) {
		t.Errorf("rejection 999 = %+v", a.Rejected[999])
	}
}

// plainCounter is the value of a counter without labels.
func plainCounter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}

// TestLogsHoldNoEventBodies: ingest logs what it did with a request (counts),
// never the events, even at debug level: not an accepted event's names, not a
// rejected event's values.
func TestLogsHoldNoEventBodies(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, fixtureOpts{logs: &logs})
	secret := ce("c-s", event.TypeComplaintResponded, `{"complaint_id":"HX1","phone":"13800138000"}`)
	okEvent := ceFull("/sources/dev", "d-1", event.TypeCadreUpserted, "2026-07-03T09:12:00+08:00",
		`{"cadre":"k1","name":"张三丰","unit":"u","position":"主任"}`)
	f.check(t, 0, step{header: hdr("hotline-token", batch), body: "[" + secret + "," + assigned + "]", status: 200,
		want: ok(1, 0, rej(0, "c-s", "phone"))})
	f.check(t, 1, step{header: hdr("dev-token", structured), body: okEvent, status: 200, want: ok(1, 0)})
	f.check(t, 2, step{header: hdr("dev-token", structured), body: `{"NOT-JSON-SECRET":`, status: 400, wantErr: "JSON"})
	for _, s := range []string{"13800138000", "张三丰", "HX2026070300123", "NOT-JSON-SECRET"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds %q from an event:\n%s", s, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"accepted":1`) {
		t.Errorf("the log lacks the counts:\n%s", logs.String())
	}
}
