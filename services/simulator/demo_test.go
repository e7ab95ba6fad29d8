package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kaoping/pkg/testkit"
)

// fakeStack plays the scorer and the api of the local stack: a run that is
// "running" when requested and "done" on the second poll, a street ranking
// with one unscored street, a CSV download, and endpoints not built yet.
type fakeStack struct {
	t      *testing.T
	period string
	// finalStatus is what the run reaches: done or failed.
	finalStatus string
	// notBuilt lists paths+subject that answer 404 or 501.
	cadreCSV     int // status of the cadre CSV download
	xlsx         int // status of the Excel download
	mu           sync.Mutex
	polls        int
	reportUnit   string
	unauthorized bool
	// busy is how many run requests are answered 429 before one is taken.
	busy int
}

const streetCSV = "rank,id,name,score,grade\n1,jx.nanhu.st06,城南街道,94.43,excellent\n2,jx.nanhu.st10,大桥镇,88.1,good\n,jx.nanhu.st99,新街道,,\n"

func (f *fakeStack) handler() http.Handler {
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok" {
				f.mu.Lock()
				f.unauthorized = true
				f.mu.Unlock()
				http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /v1/runs", auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		busy := f.busy > 0
		f.busy--
		f.mu.Unlock()
		if busy {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "2 runs are in flight"})
			return
		}
		var body struct{ Period string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Period != f.period {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad period"})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"id": "run-7", "period": f.period, "model": "kp-2026.1",
			"as_of": "2026-11-23T16:00:00Z", "status": "running", "counts": map[string]int{"events": 0}})
	}))
	mux.HandleFunc("GET /v1/runs/{id}", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "run-7" {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no run " + r.PathValue("id")})
			return
		}
		f.mu.Lock()
		f.polls++
		polls := f.polls
		f.mu.Unlock()
		if polls < 2 {
			writeJSON(w, http.StatusOK, map[string]any{"id": "run-7", "status": "running"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": "run-7", "period": f.period, "status": f.finalStatus, "error": "clickhouse went away", "counts": map[string]int{"events": 1234}})
	}))
	mux.HandleFunc("GET /v1/rankings", auth(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("run") != "run-7" {
			f.t.Errorf("rankings read without run=run-7: %s", r.URL)
		}
		if q.Get("period") != f.period {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no done run"})
			return
		}
		switch {
		case q.Get("format") == "xlsx":
			if f.xlsx != http.StatusOK {
				writeJSON(w, f.xlsx, map[string]string{"error": "xlsx not built"})
				return
			}
			w.Header().Set("Content-Type", xlsxType)
			w.Write([]byte("PK\x03\x04fake"))
		case q.Get("format") == "csv" || r.Header.Get("Accept") == "text/csv":
			if q.Get("subject") == "cadre" {
				if f.cadreCSV != http.StatusOK {
					writeJSON(w, f.cadreCSV, map[string]string{"error": "cadre rankings are not built"})
					return
				}
				w.Header().Set("Content-Type", "text/csv; charset=utf-8")
				w.Write([]byte("rank,id,name,score,grade\n1,cd00001,王伟,99,excellent\n"))
				return
			}
			if q.Get("level") != "street" {
				t := f.t
				t.Errorf("street CSV asked with level %q", q.Get("level"))
			}
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Write([]byte(streetCSV))
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"period":%q,"model":"kp-2026.1","run_id":"run-7","final":false,"rows":[
{"rank":1,"id":"jx.nanhu.st06","name":"城南街道","score":94.43,"grade":"excellent","indicators":{"response_rate":{"num":10,"den":11,"value":0.9091}}},
{"rank":2,"id":"jx.nanhu.st10","name":"大桥镇","score":88.10,"grade":"good","indicators":{}},
{"rank":null,"id":"jx.nanhu.st99","name":"新街道","score":null,"grade":null,"indicators":{}}]}`, f.period)
		}
	}))
	mux.HandleFunc("GET /v1/reports/review", auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reportUnit = r.URL.Query().Get("unit")
		f.mu.Unlock()
		switch r.URL.Query().Get("format") {
		case "md":
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
			w.Write([]byte("# 述职评议\n"))
		case "xlsx":
			w.Header().Set("Content-Type", xlsxType)
			w.Write([]byte("PK"))
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<html><body>述职评议</body></html>"))
		}
	}))
	return mux
}

// startDemo runs `simulator demo` against NATS and a fake stack.
func startDemo(t *testing.T, f *fakeStack, extra ...string) (string, string, error) {
	t.Helper()
	n := testkit.StartNATS(t)
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	out := t.TempDir()
	args := append([]string{"simulator", "demo", "--nats-url", n.URL, "--period", f.period, "--complaints", "300",
		"--scorer-url", srv.URL, "--api-url", srv.URL + "/", "--out", out, "--poll-interval", "10ms"}, extra...)
	var stdout bytes.Buffer
	err := run(t.Context(), args, env(map[string]string{"KAOPING_TOKEN": "tok"}), &stdout)
	t.Log("\n" + stdout.String())
	return out, stdout.String(), err
}

func TestDemo(t *testing.T) {
	f := &fakeStack{t: t, period: lastCompleteQuarter(time.Now()), finalStatus: "done", cadreCSV: http.StatusNotFound, xlsx: http.StatusNotImplemented, busy: 1}
	out, stdout, err := startDemo(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if f.unauthorized {
		t.Error("the demo did not send the token")
	}
	for _, want := range []string{
		"the scorer is busy (",
		"scoring run run-7 requested",
		"run run-7 done",
		`counts {"events":1234}`,
		"street ranking " + f.period + " (model kp-2026.1, run run-7, provisional)",
		"rank  id             name      score  grade",
		"   1  jx.nanhu.st06  城南街道  94.43  excellent",
		"   2  jx.nanhu.st10  大桥镇    88.10  good",
		"   -  jx.nanhu.st99  新街道        -  -",
		"note: cadre ranking, community level (CSV)",
		"note: street ranking (Excel)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	csvPath := filepath.Join(out, "rankings-"+f.period+".csv")
	if b, err := os.ReadFile(csvPath); err != nil || string(b) != streetCSV {
		t.Errorf("%s: %q, %v", csvPath, b, err)
	}
	if !strings.Contains(stdout, "wrote "+csvPath) {
		t.Errorf("output does not name %s", csvPath)
	}
	if _, err := os.Stat(filepath.Join(out, "rankings-"+f.period+"-cadres-community.csv")); !os.IsNotExist(err) {
		t.Errorf("a cadre CSV was written although the api has none: %v", err)
	}
	// The review report is of the lowest-scored street.
	if f.reportUnit != "jx.nanhu.st10" {
		t.Errorf("report asked for %q", f.reportUnit)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"rankings-" + f.period + ".csv", "review-jx.nanhu.st10-" + f.period + ".html", "review-jx.nanhu.st10-" + f.period + ".md", "review-jx.nanhu.st10-" + f.period + ".xlsx"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("out holds %v, want %v (no temporary files)", names, want)
	}
}

func TestDemoWritesCadreCSV(t *testing.T) {
	f := &fakeStack{t: t, period: lastCompleteQuarter(time.Now()), finalStatus: "done", cadreCSV: http.StatusOK, xlsx: http.StatusOK}
	out, _, err := startDemo(t, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rankings-%s-cadres-community.csv", "rankings-%s.xlsx"} {
		if _, err := os.Stat(filepath.Join(out, fmt.Sprintf(name, f.period))); err != nil {
			t.Error(err)
		}
	}
}

func TestDemoFailedRun(t *testing.T) {
	f := &fakeStack{t: t, period: lastCompleteQuarter(time.Now()), finalStatus: "failed"}
	_, _, err := startDemo(t, f)
	if err == nil || !strings.Contains(err.Error(), "run run-7 failed: clickhouse went away") {
		t.Fatalf("err = %v", err)
	}
}

func TestDemoRunTimeout(t *testing.T) {
	f := &fakeStack{t: t, period: lastCompleteQuarter(time.Now()), finalStatus: "running"}
	_, _, err := startDemo(t, f, "--run-timeout", "100ms")
	if err == nil || !strings.Contains(err.Error(), `still "running"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestDemoDownloadErrorFailsAtTheEnd(t *testing.T) {
	f := &fakeStack{t: t, period: lastCompleteQuarter(time.Now()), finalStatus: "done", cadreCSV: http.StatusInternalServerError, xlsx: http.StatusOK}
	out, _, err := startDemo(t, f)
	if err == nil || !strings.Contains(err.Error(), "cadre ranking") {
		t.Fatalf("err = %v", err)
	}
	// The other downloads were still written.
	if _, err := os.Stat(filepath.Join(out, "rankings-"+f.period+".xlsx")); err != nil {
		t.Error(err)
	}
}

func TestDemoOptionalDownloadErrorIsANote(t *testing.T) {
	f := &fakeStack{t: t, period: lastCompleteQuarter(time.Now()), finalStatus: "done", cadreCSV: http.StatusOK, xlsx: http.StatusBadRequest}
	_, stdout, err := startDemo(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "note: street ranking (Excel): GET") || !strings.Contains(stdout, "400 Bad Request") {
		t.Errorf("the Excel failure is not noted")
	}
}
