// Package intake turns the body of a POST /v1/events request into events: it
// tells the CloudEvents HTTP modes apart, splits a batch, and validates and
// authorizes each event on its own (SPEC §4, §6).
//
// How a request is read, by its Content-Type (parameters such as
// "; charset=utf-8" are ignored, and so is the case of the media type):
//
//   - application/cloudevents+json: one event in structured mode.
//   - application/cloudevents-batch+json: a JSON array of structured events.
//   - anything else with a ce-specversion header: HTTP binary mode, attributes
//     in ce-* headers (percent-decoded, as the HTTP binding asks), the body as
//     data and the Content-Type's media type as datacontenttype.
//   - application/json, or no Content-Type, without ce-specversion: a
//     structured event when the body is a JSON object, a batch when it is an
//     array. Tools such as curl and plain HTTP clients send this, and the body
//     says unambiguously what it is, so refusing it would help nobody.
//   - any other media type: unsupported (415).
//
// The body must be UTF-8 JSON in every mode; a batch must be an array.
package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"kaoping/pkg/event"
	"kaoping/pkg/sources"
	"kaoping/pkg/wire"
)

// Media types of the CloudEvents JSON format.
const (
	MediaStructured = "application/cloudevents+json"
	MediaBatch      = "application/cloudevents-batch+json"
	MediaJSON       = "application/json"
)

// Forbidden is the reason given for an event whose source is not the token's,
// or whose type the token may not send.
const Forbidden = "forbidden"

// Errors of Decode. The request as a whole is refused with them; no event of it
// is looked at.
var (
	// ErrNotJSON means the body is not UTF-8 JSON (400).
	ErrNotJSON = errors.New("the body is not JSON")
	// ErrNotBatch means a batch body is JSON but not an array (400).
	ErrNotBatch = errors.New("a batch body must be a JSON array of events")
	// ErrMediaType means the Content-Type is none that ingest reads (415).
	ErrMediaType = errors.New("unsupported Content-Type")
)

// Submission is one event as the request carried it, not yet validated.
type Submission struct {
	// Structured is the event in structured mode; nil in binary mode.
	Structured json.RawMessage
	// Attrs are the attributes of binary mode, keyed by name without the ce-
	// prefix; nil in structured mode.
	Attrs map[string]string
	// Data is the body of binary mode.
	Data []byte
}

// ID is the event's id as given, or "" when it has none that is a string.
func (s Submission) ID() string {
	if s.Attrs != nil {
		return s.Attrs["id"]
	}
	var peek struct {
		ID any `json:"id"`
	}
	if err := json.Unmarshal(s.Structured, &peek); err != nil {
		return ""
	}
	id, _ := peek.ID.(string)
	return id
}

// Decode reads the events of a request from its headers and body (see the
// package comment for the modes). An empty batch gives no submissions and no
// error.
func Decode(h http.Header, body []byte) ([]Submission, error) {
	media, err := mediaType(h.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		return nil, ErrNotJSON
	}
	batch := media == MediaBatch || (media == MediaJSON || media == "") && h.Get("Ce-Specversion") == "" && firstByte(body) == '['
	if batch {
		return splitBatch(body)
	}
	if !json.Valid(body) {
		return nil, ErrNotJSON
	}
	switch {
	case media == MediaStructured:
		return []Submission{{Structured: body}}, nil
	case h.Get("Ce-Specversion") != "":
		return []Submission{binary(h, media, body)}, nil
	case media == MediaJSON || media == "":
		return []Submission{{Structured: body}}, nil
	}
	return nil, fmt.Errorf("%w %q: send %s, %s, or CloudEvents binary mode (ce-* headers) with %s",
		ErrMediaType, media, MediaStructured, MediaBatch, MediaJSON)
}

// mediaType is the lower-case media type of a Content-Type, "" when absent.
func mediaType(contentType string) (string, error) {
	if strings.TrimSpace(contentType) == "" {
		return "", nil
	}
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		// A broken parameter still leaves a usable media type; a broken media
		// type does not.
		return "", fmt.Errorf("%w %q: %v", ErrMediaType, contentType, err)
	}
	return media, nil
}

// splitBatch reads a batch body in one pass of the event scanner: a body that
// is not JSON is ErrNotJSON, JSON that is not an array ErrNotBatch.
func splitBatch(body []byte) ([]Submission, error) {
	raws, err := event.SplitArray(body)
	switch {
	case errors.Is(err, event.ErrNotArray):
		return nil, ErrNotBatch
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	subs := make([]Submission, len(raws))
	for i, raw := range raws {
		subs[i] = Submission{Structured: raw}
	}
	return subs, nil
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// binary collects the ce-* headers of a binary-mode request. The Content-Type
// stands for datacontenttype, as the HTTP binding says.
func binary(h http.Header, media string, body []byte) Submission {
	attrs := make(map[string]string)
	for k, vals := range h {
		if len(k) < 3 || !strings.EqualFold(k[:3], "ce-") || len(vals) == 0 {
			continue
		}
		attrs[strings.ToLower(k[3:])] = headerValue(vals[0])
	}
	if media != "" {
		attrs["datacontenttype"] = media
	}
	return Submission{Attrs: attrs, Data: body}
}

// headerValue undoes the percent-encoding the CloudEvents HTTP binding asks
// senders to apply to header values. A value that does not decode to UTF-8
// was not encoded that way (a bare "50%off") and is taken as it is.
func headerValue(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	d, err := url.PathUnescape(v)
	if err != nil || !utf8.ValidString(d) {
		return v
	}
	return d
}

// Rejection is an event that was not accepted, and why.
type Rejection struct {
	// Index is the event's place in the request, from 0.
	Index int `json:"index"`
	// ID is the event's id as given, "" when it had none.
	ID string `json:"id"`
	// Error is the reason: the validator's, or Forbidden.
	Error string `json:"error"`
}

// Rules are what an event is held to besides the event contract.
type Rules struct {
	// Grant is what the request's token may send.
	Grant sources.Grant
	// Now is the ingestion time; an event dated more than event.MaxFutureSkew
	// after it is rejected.
	Now time.Time
	// MaxMessageBytes is the largest message the NATS server takes (its
	// max_payload); 0 means no limit. A larger event could never be stored, so
	// it is rejected rather than failing its whole request again and again.
	MaxMessageBytes int64
}

// Check validates each submission on its own against the event contract, then
// against what the token's source may send, the ingestion time and the message
// size. It returns the events to publish and the rejections, both in request
// order; rejected is never nil, so it encodes as [].
//
// Validation comes before authorization so that a source learns what is wrong
// with a malformed event; an event is forbidden only when it is otherwise valid
// and names another source or a type the token does not allow.
func Check(v *event.Validator, r Rules, subs []Submission) (events []event.Event, rejected []Rejection) {
	rejected = []Rejection{}
	for i, s := range subs {
		e, err := s.parse(v)
		switch {
		case err != nil:
		case e.Source != r.Grant.Source.URI || !r.Grant.Allows(e.Type):
			err = errors.New(Forbidden)
		default:
			if err = e.CheckIngestTime(r.Now); err == nil {
				err = fits(e, r.MaxMessageBytes)
			}
		}
		if err != nil {
			rejected = append(rejected, Rejection{Index: i, ID: s.ID(), Error: err.Error()})
			continue
		}
		events = append(events, e)
	}
	return events, rejected
}

// fits checks that a message could carry e: its JSON in a batch of one, with
// the headers ingest sets.
func fits(e event.Event, max int64) error {
	if max <= 0 {
		return nil
	}
	if size := int64(len(e.Raw) + 2 + wire.Overhead); size > max {
		return fmt.Errorf("event: %d bytes, more than the %d bytes a message may carry", len(e.Raw), max-2-wire.Overhead)
	}
	return nil
}

func (s Submission) parse(v *event.Validator) (event.Event, error) {
	if s.Attrs != nil {
		return event.FromBinary(v, s.Attrs, s.Data)
	}
	return v.Parse(s.Structured)
}
