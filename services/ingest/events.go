package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/auth"
	"kaoping/pkg/event"
	"kaoping/pkg/obs"
	"kaoping/pkg/publish"
	"kaoping/pkg/stream"
	"kaoping/services/ingest/internal/dedupe"
	"kaoping/services/ingest/internal/intake"
	"kaoping/services/ingest/internal/ratelimit"
)

// answer is the body of a 200 from POST /v1/events (SPEC §6). Rejected
// lists the first maxListedRejections rejections; RejectedTotal counts them
// all, so that no body, however many bad events it carries, gets a large
// answer.
type answer struct {
	Accepted      int                `json:"accepted"`
	Duplicates    int                `json:"duplicates"`
	Rejected      []intake.Rejection `json:"rejected"`
	RejectedTotal int                `json:"rejected_total"`
}

// maxListedRejections bounds the rejections an answer lists.
const maxListedRejections = 1000

// handleEvents is POST /v1/events: authenticate the token, read the body,
// validate and authorize each event on its own, publish the valid ones and
// answer how each fared. "Accepted" is only ever said of an event JetStream
// acknowledged; when it does not acknowledge, the answer is 503 and the client
// sends the request again (the events already stored then count as duplicates).
func handleEvents(d Deps, m *metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := auth.Bearer(r)
		if !ok {
			obs.WriteError(w, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <source token>")
			return
		}
		grant, ok := d.Sources.Lookup(token)
		if !ok {
			obs.WriteError(w, http.StatusUnauthorized, "unknown token")
			return
		}

		// A source in debt with its rate limit is told to wait before its
		// body is read: it costs nothing.
		if wait, must := d.Limiter.Wait(grant.Source.Name); must {
			tooMany(w, m, wait)
			return
		}
		body, err := readBody(w, r, d.MaxBodyBytes)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				obs.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit))
				return
			}
			obs.WriteError(w, http.StatusBadRequest, "read body: "+err.Error())
			return
		}
		req, err := intake.DecodeRequest(r.Header, body)
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, intake.ErrMediaType) {
				status = http.StatusUnsupportedMediaType
			}
			obs.WriteError(w, status, err.Error())
			return
		}
		if wait, ok := d.Limiter.Take(grant.Source.Name, req.Len()); !ok {
			tooMany(w, m, wait)
			return
		}

		// Without the streams nothing can be published; the events are still
		// checked so that a request with none valid gets its answer.
		js, ready := d.Streams.JetStream()
		now := d.Now()
		rules := intake.Rules{Grant: grant, Now: now, MaxRejections: maxListedRejections}
		if ready {
			rules.MaxMessageBytes = js.Conn().MaxPayload()
		}
		out := intake.CheckRequest(d.Validator, rules, req)
		if out.NotJSON != nil {
			// Found while its events were checked (an element of the batch):
			// nothing of the body is published. Its events have counted
			// against the rate limit, as a body whose events are all
			// rejected does.
			obs.WriteError(w, http.StatusBadRequest, out.NotJSON.Error())
			return
		}
		ans := answer{Rejected: out.Rejected, RejectedTotal: out.RejectedTotal}
		fresh, keys := d.fresh(out.Events, now)
		ans.Duplicates = len(out.Events) - len(fresh)
		if len(fresh) > 0 {
			if !ready {
				w.Header().Set("Retry-After", "1")
				obs.WriteError(w, http.StatusServiceUnavailable, "not ready: the event streams are not declared yet; nothing was stored, send the request again")
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), d.PublishTimeout)
			results, err := publish.PublishRecords(ctx, js, stream.IngestSubject(grant.Source.Name), grant.Source.Name, fresh,
				nats.Header{stream.HeaderIngestInstance: {d.Instance}})
			cancel()
			d.Index.Add(time.Now(), keys[:len(results)]...)
			for _, res := range results {
				if res.Duplicate {
					ans.Duplicates++ // stored by an earlier attempt whose answer was lost
				} else {
					ans.Accepted++
				}
			}
			// Counted even on failure: these events are in the stream.
			m.events.WithLabelValues(resultAccepted).Add(float64(ans.Accepted))
			m.events.WithLabelValues(resultDuplicate).Add(float64(ans.Duplicates))
			if err != nil {
				m.publishFailures.Inc()
				w.Header().Set("Retry-After", "1")
				d.Log.Error("publish events", "source", grant.Source.URI, "events", len(fresh), "acknowledged", len(results), "err", err)
				obs.WriteError(w, http.StatusServiceUnavailable,
					"events not stored: JetStream did not acknowledge them; send the request again, events already stored will count as duplicates")
				return
			}
		} else {
			m.events.WithLabelValues(resultDuplicate).Add(float64(ans.Duplicates))
		}
		// Rejections count once they are told; a 503 is sent again whole.
		m.events.WithLabelValues(resultRejected).Add(float64(ans.RejectedTotal))
		d.Log.Info("events", "source", grant.Source.URI, "accepted", ans.Accepted, "duplicates", ans.Duplicates, "rejected", ans.RejectedTotal)
		obs.WriteJSON(w, http.StatusOK, ans)
	})
}

// readBody reads a request body of at most limit bytes (past it: an
// *http.MaxBytesError), in one allocation when the client said its length.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf := bytes.NewBuffer(make([]byte, 0, r.ContentLength+1))
		_, err := buf.ReadFrom(body)
		return buf.Bytes(), err
	}
	return io.ReadAll(body)
}

// tooMany answers 429: the source sent more events than its rate limit
// allows; it may send again after the wait.
func tooMany(w http.ResponseWriter, m *metrics, wait time.Duration) {
	m.rateLimited.Inc()
	secs := ratelimit.RetryAfter(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	obs.WriteError(w, http.StatusTooManyRequests,
		fmt.Sprintf("rate limit: this source sent more events than it may per second; nothing was stored, send again in %d s", secs))
}

// fresh returns the events ingest has not accepted before inside the
// duplicate window, nor earlier in the same request, with their keys.
func (d Deps) fresh(events []event.Event, now time.Time) ([]event.Event, []dedupe.Key) {
	out := make([]event.Event, 0, len(events))
	keys := make([]dedupe.Key, 0, len(events))
	inRequest := make(map[dedupe.Key]bool, len(events))
	for _, e := range events {
		k := d.Index.Key(e.Source, e.ID)
		if inRequest[k] || d.Index.Seen(k, now) {
			continue
		}
		inRequest[k] = true
		out, keys = append(out, e), append(keys, k)
	}
	return out, keys
}
