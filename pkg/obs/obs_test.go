package obs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func get(t *testing.T, h http.Handler, method, path string) (int, http.Header, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
	}
	return rec.Code, rec.Header(), body
}

func TestProbeFollowsItsChecks(t *testing.T) {
	reg := NewRegistry()
	p := NewProbe(reg, "test", "nats", "clickhouse")
	if p.Ready() {
		t.Fatal("ready before any check passed")
	}
	p.Pass("nats")
	p.Set("clickhouse", errors.New("connection refused"))
	st := p.Status()
	if st.Status != "not ready" || st.Reasons["clickhouse"] != "connection refused" || st.Reasons["nats"] != "" {
		t.Fatalf("status = %+v", st)
	}
	p.Pass("clickhouse")
	if !p.Ready() {
		t.Fatalf("not ready with every check passing: %+v", p.Status())
	}
	p.Stopping()
	if p.Ready() || p.Status().Reasons["service"] != "stopping" {
		t.Fatalf("stopping: %+v", p.Status())
	}
}

func TestServerAnswersHealthFirstAndTheServiceOnceInstalled(t *testing.T) {
	reg := NewRegistry()
	p := NewProbe(reg, "test", "clickhouse")
	s := NewServer(HTTPConfig{Addr: "127.0.0.1:0"}, reg, p, discard())
	h := s.Handler()
	if code, _, _ := get(t, h, "GET", "/healthz"); code != 200 {
		t.Errorf("/healthz = %d before the dependencies", code)
	}
	if code, _, body := get(t, h, "GET", "/readyz"); code != 503 || body["reasons"].(map[string]any)["clickhouse"] != "starting" {
		t.Errorf("/readyz = %d %v", code, body)
	}
	if code, _, body := get(t, h, "GET", "/v1/things"); code != 503 || !strings.Contains(body["error"].(string), "starting") {
		t.Errorf("service endpoint before Handle = %d %v", code, body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, 200, map[string]int{"n": 1}) })
	s.Handle(Routes(mux))
	p.Pass("clickhouse")
	if code, _, body := get(t, h, "GET", "/v1/things"); code != 200 || body["n"] != float64(1) {
		t.Errorf("installed endpoint = %d %v", code, body)
	}
	if code, _, _ := get(t, h, "GET", "/readyz"); code != 200 {
		t.Errorf("/readyz = %d once ready", code)
	}
}

func TestRoutesAnswersUnknownPathsAndMethodsInJSON(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /v1/runs", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, 201, map[string]string{}) })
	h := Routes(mux)
	if code, _, body := get(t, h, "GET", "/v1/runs/r1"); code != 200 || body["id"] != "r1" {
		t.Errorf("matched route = %d %v", code, body)
	}
	if code, _, body := get(t, h, "GET", "/v1/nothing"); code != 404 || body["error"] != "no such endpoint: GET /v1/nothing" {
		t.Errorf("unknown path = %d %v", code, body)
	}
	code, hdr, body := get(t, h, "DELETE", "/v1/runs")
	if code != 405 || hdr.Get("Allow") == "" || !strings.Contains(body["error"].(string), "POST") {
		t.Errorf("wrong method = %d %v %v", code, hdr, body)
	}
}

func TestFailHidesInternalErrors(t *testing.T) {
	rec := httptest.NewRecorder()
	Fail(rec, httptest.NewRequest("GET", "/v1/x", nil), discard(), errors.New("dial tcp 10.0.0.7:9000: connection refused"))
	if rec.Code != 503 || strings.Contains(rec.Body.String(), "10.0.0.7") || !strings.Contains(rec.Body.String(), "error ") {
		t.Errorf("internal error = %d %s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	Fail(rec, httptest.NewRequest("GET", "/v1/x", nil), discard(), Errorf(400, "level must be one of %s", "street"))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"level must be one of street"`) {
		t.Errorf("status error = %d %s", rec.Code, rec.Body.String())
	}
}

func TestServeStopsGracefully(t *testing.T) {
	reg := NewRegistry()
	p := NewProbe(reg, "test")
	s := NewServer(HTTPConfig{Addr: "127.0.0.1:0"}, reg, p, discard())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if p.Ready() {
		t.Error("probe still ready after stop")
	}
}
