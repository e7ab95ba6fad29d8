// Package deadletter lists the messages the aggregator could not store, with
// their reasons, and replays one into the events stream once the cause is
// fixed (a schema change, a clock that ran ahead).
package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/stream"
	"kaoping/pkg/wire"
)

// Letter is one dead letter.
type Letter struct {
	Sequence         uint64          `json:"sequence"`
	At               time.Time       `json:"at"`
	Reason           string          `json:"reason"`
	OriginalSubject  string          `json:"original_subject"`
	OriginalSequence uint64          `json:"original_sequence"`
	OriginalPosition int             `json:"original_position"`
	OriginalType     string          `json:"original_type,omitempty"`
	Body             json.RawMessage `json:"body,omitempty"`
	// Text holds a body that is not JSON (or was cut).
	Text string `json:"text,omitempty"`
	// BodySize and BodySHA256 are set when the body was longer than the dead
	// letter keeps: Body/Text is then its first 64 KiB.
	BodySize   int    `json:"body_size,omitempty"`
	BodySHA256 string `json:"body_sha256,omitempty"`
}

// List returns up to limit dead letters with a sequence above after, oldest
// first, and how many the stream holds in all. Each letter is asked for as
// the next one on the dead-letter subjects from a sequence, so the server
// skips the letters replayed (deleted) since: a page costs one request per
// letter it answers, however many were deleted before or between them.
func List(ctx context.Context, js jetstream.JetStream, after uint64, limit int) ([]Letter, uint64, error) {
	s, err := js.Stream(ctx, stream.DeadLetterStream)
	if err != nil {
		return nil, 0, fmt.Errorf("dead-letter stream: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, 0, err
	}
	letters := []Letter{}
	for seq := max(after+1, info.State.FirstSeq); seq <= info.State.LastSeq && len(letters) < limit; {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(stream.DeadLetterSubjectPrefix+">"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break // none left at or after seq
		}
		if err != nil {
			return nil, 0, fmt.Errorf("dead letter at or after %d: %w", seq, err)
		}
		letters = append(letters, toLetter(m))
		seq = m.Sequence + 1
	}
	return letters, info.State.Msgs, nil
}

func toLetter(m *jetstream.RawStreamMsg) Letter {
	l := Letter{Sequence: m.Sequence, At: m.Time, Reason: m.Header.Get(stream.HeaderReason),
		OriginalSubject: m.Header.Get(stream.HeaderOriginalSubject)}
	l.OriginalSequence, _ = strconv.ParseUint(m.Header.Get(stream.HeaderOriginalSeq), 10, 64)
	l.OriginalPosition, _ = strconv.Atoi(m.Header.Get(stream.HeaderOriginalPos))
	l.OriginalType = m.Header.Get(stream.HeaderOriginalType)
	l.BodySize, _ = strconv.Atoi(m.Header.Get(stream.HeaderBodySize))
	l.BodySHA256 = m.Header.Get(stream.HeaderBodySHA256)
	if json.Valid(m.Data) {
		l.Body = m.Data
	} else {
		l.Text = string(m.Data)
	}
	return l
}

// Errors of Replay.
var (
	// ErrNotFound means there is no dead letter with that sequence.
	ErrNotFound = errors.New("no such dead letter")
	// ErrCut means the dead letter kept only the first 64 KiB of its body:
	// the event cannot be sent again from it; the source must resend it.
	ErrCut = errors.New("the dead letter holds only the start of its body; the source must send the event again")
)

// Replay publishes dead letter seq again into the events stream, on its
// source's subject kaoping.events.<name> (so it is checked again, also when
// ingest first published it), and deletes it from the dead letters. A letter
// of a message refused whole goes out with the headers that said what its
// body was (a batch, a binary-mode event); ingest's record form, which means
// nothing on a source's subject, as the JSON batch of its events. A poison's
// letter (the original kept in the events stream) sends the original again
// whole, read from the events stream. That original is deleted afterwards only
// when it came from a source's own subject: the copy is then checked exactly
// as it would have been. One of ingest's stays: its events were acknowledged,
// and the copy may be refused where they were not (a source renamed since);
// a rebuild stores them, and the copy, when it is stored too, is a second copy
// the queries drop. The copy carries no message id: the original id may still
// be inside the duplicate window. If it is still invalid, the aggregator
// dead-letters it again with the current reason.
func Replay(ctx context.Context, js jetstream.JetStream, seq uint64) (uint64, error) {
	s, err := js.Stream(ctx, stream.DeadLetterStream)
	if err != nil {
		return 0, fmt.Errorf("dead-letter stream: %w", err)
	}
	m, err := s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	origin, known := stream.OriginOf(m.Header.Get(stream.HeaderOriginalSubject))
	out := nats.NewMsg(m.Header.Get(stream.HeaderOriginalSubject))
	if known {
		out.Subject = stream.SourceSubject(origin.Name)
	}
	header, body := wire.KindHeaders(m.Header), m.Data
	fromStream := false // the body is the original's, read from the events stream
	var original uint64
	if m.Header.Get(stream.HeaderOriginalKept) != "" {
		original, _ = strconv.ParseUint(m.Header.Get(stream.HeaderOriginalSeq), 10, 64)
		if kept, err := originalMsg(ctx, js, original); err != nil {
			return 0, err
		} else if kept != nil {
			header, body, fromStream = wire.KindHeaders(kept.Header), kept.Data, true
		}
	}
	if !fromStream && m.Header.Get(stream.HeaderBodySize) != "" {
		return 0, ErrCut
	}
	if out.Header, out.Data, err = asSent(header, body); err != nil {
		return 0, fmt.Errorf("dead letter %d: %w", seq, err)
	}
	ack, err := js.PublishMsg(ctx, out)
	if err != nil {
		return 0, fmt.Errorf("replay %d: %w", seq, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil {
		return ack.Sequence, fmt.Errorf("replayed as %d but not deleted: %w", ack.Sequence, err)
	}
	if fromStream && known && !origin.ViaIngest {
		// Best effort: an original left behind is a copy the queries drop.
		_ = stream.DeleteEvent(ctx, js, original)
	}
	return ack.Sequence, nil
}

// originalMsg is the events stream's message seq, nil when the stream no
// longer holds it.
func originalMsg(ctx context.Context, js jetstream.JetStream, seq uint64) (*jetstream.RawStreamMsg, error) {
	events, err := js.Stream(ctx, stream.EventsStream)
	if err != nil {
		return nil, fmt.Errorf("events stream: %w", err)
	}
	m, err := events.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("original %d: %w", seq, err)
	}
	return m, nil
}

// asSent is a body with the headers of its kind as a source sends it: ingest's
// record form becomes the JSON batch of its events.
func asSent(header nats.Header, body []byte) (nats.Header, []byte, error) {
	if !wire.IsRecords(header) {
		return header, body, nil
	}
	records, err := event.ReadRecords(string(body), nil)
	if err != nil {
		return nil, nil, err
	}
	raws := make([]json.RawMessage, len(records))
	for i, r := range records {
		raws[i] = json.RawMessage(r.Raw)
	}
	batch, _ := wire.Batch(raws)
	return nats.Header{"Content-Type": {wire.MediaBatch}}, batch, nil
}
