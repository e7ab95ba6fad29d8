package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"time"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/auth"
	"kaoping/pkg/event"
	"kaoping/pkg/obs"
	"kaoping/pkg/publish"
	"kaoping/pkg/stream"
	"kaoping/services/ingest/internal/dedupe"
	"kaoping/services/ingest/internal/intake"
)

// answer is the body of a 200 from POST /v1/events (SPEC §6).
type answer struct {
	Accepted   int                `json:"accepted"`
	Duplicates int                `json:"duplicates"`
	Rejected   []intake.Rejection `json:"rejected"`
}

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

		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, d.MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				obs.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit))
				return
			}
			obs.WriteError(w, http.StatusBadRequest, "read body: "+err.Error())
			return
		}
		subs, err := intake.Decode(r.Header, body)
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, intake.ErrMediaType) {
				status = http.StatusUnsupportedMediaType
			}
			obs.WriteError(w, status, err.Error())
			return
		}

		// Without the streams nothing can be published; the events are still
		// checked so that a request with none valid gets its answer.
		js, ready := d.Streams.JetStream()
		now := d.Now()
		rules := intake.Rules{Grant: grant, Now: now}
		if ready {
			rules.MaxMessageBytes = js.Conn().MaxPayload()
		}
		events, rejected := intake.Check(d.Validator, rules, subs)
		ans := answer{Rejected: rejected}
		fresh, keys := d.fresh(events, now)
		ans.Duplicates = len(events) - len(fresh)
		if len(fresh) > 0 {
			if !ready {
				w.Header().Set("Retry-After", "1")
				obs.WriteError(w, http.StatusServiceUnavailable, "not ready: the event streams are not declared yet; nothing was stored, send the request again")
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), d.PublishTimeout)
			results, err := publish.PublishBatches(ctx, js, stream.IngestSubject(grant.Source.Name), grant.Source.Name, fresh,
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
		m.events.WithLabelValues(resultRejected).Add(float64(len(ans.Rejected)))
		d.Log.Info("events", "source", grant.Source.URI, "accepted", ans.Accepted, "duplicates", ans.Duplicates, "rejected", len(ans.Rejected))
		obs.WriteJSON(w, http.StatusOK, ans)
	})
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
