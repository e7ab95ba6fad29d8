package obs

import (
	"bufio"
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve runs a server of cfg with a handler that reads the whole body, and
// returns its address.
func serve(t *testing.T, cfg HTTPConfig) string {
	t.Helper()
	reg := NewRegistry()
	p := NewProbe(reg, "test")
	s := NewServer(cfg, reg, p, discard())
	s.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		if r.URL.Query().Get("slow") != "" {
			time.Sleep(time.Second)
		}
		_, _ = io.WriteString(w, "ok")
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn within d.
func closedWithin(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	return err == nil // EOF: the server closed it; a timeout is an error
}

// TestSlowAndIdleClientsAreCut: a connection left idle after an answer, a
// body sent too slowly and an answer that takes too long are all cut at
// their timeouts, so no client holds a connection for ever.
func TestSlowAndIdleClientsAreCut(t *testing.T) {
	addr := serve(t, HTTPConfig{ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})

	// Idle: one request answered, then nothing.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first answer: %v %v", resp, err)
	}
	start := time.Now()
	if !closedWithin(conn, 5*time.Second) {
		t.Errorf("an idle connection was not closed within 5 s")
	} else if took := time.Since(start); took > 2*time.Second {
		t.Errorf("an idle connection was closed after %s, want about 300 ms", took)
	}

	// Slow body: the headers promise 100 bytes, 10 come.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(slow, 5*time.Second) {
		t.Errorf("a body sent too slowly held its connection for 5 s")
	}

	// Slow answer: the handler takes a second, past the write timeout; the
	// client gets no answer, not a hung connection.
	c := &http.Client{Timeout: 5 * time.Second}
	if resp, err := c.Get("http://" + addr + "/x?slow=1"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == "ok" {
			t.Errorf("an answer past the write timeout arrived whole")
		}
	} else if strings.Contains(err.Error(), "Client.Timeout") {
		t.Errorf("the connection hung past the write timeout: %v", err)
	}
}

// TestTimeoutsAreSettings: each service takes its timeouts from flags and
// KAOPING_<SERVICE>_*_TIMEOUT, with the defaults when unset; negative ones
// are refused.
func TestTimeoutsAreSettings(t *testing.T) {
	var c HTTPConfig
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	env := c.RegisterFlags(fs, "api", "addr", "127.0.0.1:8080")
	if env["write-timeout"] != "KAOPING_API_WRITE_TIMEOUT" || env["read-timeout"] != "KAOPING_API_READ_TIMEOUT" || env["idle-timeout"] != "KAOPING_API_IDLE_TIMEOUT" {
		t.Errorf("environment variables %v", env)
	}
	if err := fs.Parse([]string{"-write-timeout=20m"}); err != nil {
		t.Fatal(err)
	}
	if r, w, i := c.timeouts(); r != 2*time.Minute || w != 20*time.Minute || i != 2*time.Minute {
		t.Errorf("timeouts %s %s %s", r, w, i)
	}
	if r, w, i := (HTTPConfig{}).timeouts(); r != DefaultReadTimeout || w != DefaultWriteTimeout || i != DefaultIdleTimeout {
		t.Errorf("zero config's timeouts %s %s %s, want the defaults", r, w, i)
	}
	if err := (HTTPConfig{Addr: "127.0.0.1:1", IdleTimeout: -time.Second}).Check(); err == nil || !strings.Contains(err.Error(), "idle") {
		t.Errorf("a negative idle timeout: %v", err)
	}
}
