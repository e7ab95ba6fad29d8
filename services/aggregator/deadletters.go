package main

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/obs"
	"kaoping/services/aggregator/internal/deadletter"
)

// listDeadLetters answers GET /v1/deadletters?after=SEQ&limit=N with
// {"dead_letters":[…],"total":n}: up to limit (100 by default, at most 1000)
// letters after the sequence after, oldest first; the next page is after the
// last one's sequence. A sequence, not an offset: replays delete letters, and
// the k-th letter of a stream can only be found by reading the k before it.
func listDeadLetters(js jetstream.JetStream, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		after, limit := uint64(0), 100
		if s := r.URL.Query().Get("after"); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				obs.WriteError(w, http.StatusBadRequest, "after must be a stream sequence")
				return
			}
			after = v
		}
		if s := r.URL.Query().Get("limit"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > 1000 {
				obs.WriteError(w, http.StatusBadRequest, "limit must be 1..1000")
				return
			}
			limit = v
		}
		letters, total, err := deadletter.List(r.Context(), js, after, limit)
		if err != nil {
			obs.Fail(w, r, log, err)
			return
		}
		obs.WriteJSON(w, http.StatusOK, map[string]any{"dead_letters": letters, "total": total})
	}
}

// replayDeadLetter answers POST /v1/deadletters/{seq}/replay.
func replayDeadLetter(js jetstream.JetStream, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
		if err != nil {
			obs.WriteError(w, http.StatusBadRequest, "seq must be a stream sequence")
			return
		}
		newSeq, err := deadletter.Replay(r.Context(), js, seq)
		switch {
		case errors.Is(err, deadletter.ErrNotFound):
			obs.WriteError(w, http.StatusNotFound, err.Error())
		case errors.Is(err, deadletter.ErrCut):
			obs.WriteError(w, http.StatusConflict, err.Error())
		case err != nil:
			obs.Fail(w, r, log, err)
		default:
			obs.WriteJSON(w, http.StatusOK, map[string]uint64{"replayed_as": newSeq})
		}
	}
}
