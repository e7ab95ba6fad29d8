package obs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// WriteJSON writes v as the JSON body of a response with the given status.
// HTML is not escaped: names and free text come back as they were sent.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteError writes {"error": msg} with the given status. msg is for the
// client: it names what the client can change, never an internal detail.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]string{"error": msg})
}

// StatusError is an error a handler means for its client: the status to
// answer and the message to show.
type StatusError struct {
	Status int
	Msg    string
}

func (e *StatusError) Error() string { return e.Msg }

// Errorf returns a StatusError, e.g. Errorf(400, "level must be one of %s", levels).
func Errorf(status int, format string, args ...any) error {
	return &StatusError{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Fail answers err: a StatusError with its status and message; anything else
// is an internal failure (a database away, a broken invariant), logged whole
// with an id and answered 503 with that id only, so nothing internal leaks.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var se *StatusError
	if errors.As(err, &se) {
		WriteError(w, se.Status, se.Msg)
		return
	}
	id := errorID()
	log.Error("request failed", "error_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "1")
	WriteError(w, http.StatusServiceUnavailable, "temporarily unavailable (error "+id+" in the server log); try again")
}

func errorID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Routes wraps a mux so that a request no route matches is answered in JSON
// like every other error: 404 for an unknown path, 405 (with Allow) for a
// known path and another method.
func Routes(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// The mux's own answer tells 404 from 405 and lists the methods; only
		// its status and headers are kept.
		sniff := &headerOnly{header: http.Header{}}
		h.ServeHTTP(sniff, r)
		switch sniff.status {
		case http.StatusMethodNotAllowed:
			allow := sniff.header.Get("Allow")
			w.Header().Set("Allow", allow)
			WriteError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.ReplaceAll(allow, ",", ", ")))
		case http.StatusNotFound, 0:
			WriteError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
		default:
			for k, v := range sniff.header {
				w.Header()[k] = v
			}
			w.WriteHeader(sniff.status)
		}
	})
}

// headerOnly records a response's status and headers and drops its body.
type headerOnly struct {
	header http.Header
	status int
}

func (h *headerOnly) Header() http.Header { return h.header }
func (h *headerOnly) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
func (h *headerOnly) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}
