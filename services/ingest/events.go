package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/auth"
	"kaoping/pkg/event"
	"kaoping/pkg/obs"
	"kaoping/pkg/publish"
	"kaoping/services/ingest/internal/intake"
)

// answer is the body of a 200 from POST /v1/events (SPEC §6).
type answer struct {
	Accepted   int                `json:"accepted"`
	Duplicates int                `json:"duplicates"`
	Rejected   []intake.Rejection `json:"rejected"`
}

// publishChunk bounds the events of one request in flight at once, so a 10 MiB
// batch stays under the JetStream client's limit of pending async publishes.
const publishChunk = 1000

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
		src, ok := d.Sources.Lookup(token)
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
		rules := intake.Rules{Source: src, Now: d.Now()}
		if ready {
			rules.MaxMessageBytes = js.Conn().MaxPayload()
		}
		events, rejected := intake.Check(d.Validator, rules, subs)
		ans := answer{Rejected: rejected}
		if len(events) > 0 {
			if !ready {
				w.Header().Set("Retry-After", "1")
				obs.WriteError(w, http.StatusServiceUnavailable, "not ready: the event streams are not declared yet; nothing was stored, send the request again")
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), d.PublishTimeout)
			results, err := publishAll(ctx, js, events)
			cancel()
			for _, res := range results {
				if res.Duplicate {
					ans.Duplicates++
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
				d.Log.Error("publish events", "source", src.Name, "events", len(events), "acknowledged", len(results), "err", err)
				obs.WriteError(w, http.StatusServiceUnavailable,
					"events not stored: JetStream did not acknowledge them; send the request again, events already stored will count as duplicates")
				return
			}
		}
		// Rejections count once they are told; a 503 is sent again whole.
		m.events.WithLabelValues(resultRejected).Add(float64(len(ans.Rejected)))
		d.Log.Info("events", "source", src.Name, "accepted", ans.Accepted, "duplicates", ans.Duplicates, "rejected", len(ans.Rejected))
		obs.WriteJSON(w, http.StatusOK, ans)
	})
}

// publishAll publishes events in chunks and returns the results of those
// acknowledged, in order, up to the first failure.
func publishAll(ctx context.Context, js jetstream.JetStream, events []event.Event) ([]publish.Result, error) {
	results := make([]publish.Result, 0, len(events))
	for start := 0; start < len(events); start += publishChunk {
		chunk := events[start:min(start+publishChunk, len(events))]
		res, err := publish.PublishAll(ctx, js, chunk)
		results = append(results, res...)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}
