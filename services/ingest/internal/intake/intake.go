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
	"unsafe"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
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

// ID is the event's id as given, or "" when it has none that is a string; an
// id longer than an event may have is cut (see Rejection.ID).
func (s Submission) ID() string { return cutID(s.attributes().ID) }

// attributes are the submission's id, source and type as given, unchecked.
func (s Submission) attributes() event.Attributes {
	if s.Attrs != nil {
		return event.Attributes{ID: s.Attrs["id"], Source: s.Attrs["source"], Type: s.Attrs["type"]}
	}
	return event.Peek(s.Structured)
}

// maxIDRunes is the longest id an event may have (the envelope schema's
// maxLength); an answer echoes at most that much of a longer one.
const maxIDRunes = 256

// cutID shortens an id past maxIDRunes to its first maxIDRunes code points
// and "…", so that no answer grows with the ids a body carries.
func cutID(id string) string {
	n := 0
	for i := range id {
		if n == maxIDRunes {
			return id[:i] + "…"
		}
		n++
	}
	return id
}

// Request is a decoded request body: the events it carries, not yet
// validated, handed out one at a time so that a body of millions of tiny
// elements costs no memory per element.
type Request struct {
	one   *Submission // structured or binary mode
	batch []byte      // a batch body that is a JSON array
	// bounds are where batch's elements lie, found when it was counted, for
	// a batch of at most keptBounds elements (nil for a larger one).
	bounds []event.Bounds
	n      int
}

// keptBounds is the most elements whose places a request keeps: 160 kB, and
// every element of a usual request is then read once, not skipped first.
const keptBounds = 10_000

// Len is the number of events the request carries.
func (r Request) Len() int { return r.n }

// Each calls fn with each submission in request order until fn returns false.
func (r Request) Each(fn func(i int, s Submission) bool) {
	if r.one != nil {
		fn(0, *r.one)
		return
	}
	if r.bounds != nil {
		for i, b := range r.bounds {
			if !fn(i, Submission{Structured: r.batch[b.Start:b.End:b.End]}) {
				return
			}
		}
		return
	}
	event.EachShapedElement(r.batch, func(i int, elem []byte) bool {
		return fn(i, Submission{Structured: elem})
	})
}

// Decode reads the events of a request from its headers and body (see the
// package comment for the modes), all at once. An empty batch gives no
// submissions and no error. As with DecodeRequest, a batch's elements are
// found by its shape: one that is not JSON is a submission, which Check
// rejects (CheckRequest refuses the body whole).
func Decode(h http.Header, body []byte) ([]Submission, error) {
	r, err := DecodeRequest(h, body)
	if err != nil {
		return nil, err
	}
	subs := make([]Submission, 0, r.Len())
	r.Each(func(_ int, s Submission) bool {
		subs = append(subs, s)
		return true
	})
	return subs, nil
}

// DecodeRequest reads a request from its headers and body (see the package
// comment for the modes). The body is checked first, before any event of it
// is looked at: a body that is not UTF-8, not JSON, or a batch that is not an
// array is an error. A batch's elements are found by the array's shape alone
// (event.ArrayShapeUpTo): whether each is JSON is learnt as it is validated,
// and CheckRequest answers ErrNotJSON for the whole body when one is not. A
// batch was read whole twice before, once here and once by the validator;
// the whole read was 20 % of a request's CPU (BenchmarkRequest).
func DecodeRequest(h http.Header, body []byte) (Request, error) {
	media, err := mediaType(h.Get("Content-Type"))
	if err != nil {
		return Request{}, err
	}
	if !utf8.Valid(body) {
		return Request{}, ErrNotJSON
	}
	batch := media == MediaBatch || (media == MediaJSON || media == "") && h.Get("Ce-Specversion") == "" && firstByte(body) == '['
	if batch {
		n, bounds, err := event.ArrayShapeUpTo(body, keptBounds)
		switch {
		case errors.Is(err, event.ErrNotArray):
			return Request{}, ErrNotBatch
		case err != nil:
			return Request{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
		}
		return Request{batch: body, bounds: bounds, n: n}, nil
	}
	if !json.Valid(body) {
		return Request{}, ErrNotJSON
	}
	var one Submission
	switch {
	case media == MediaStructured:
		one = Submission{Structured: body}
	case h.Get("Ce-Specversion") != "":
		one = binary(h, media, body)
	case media == MediaJSON || media == "":
		one = Submission{Structured: body}
	default:
		return Request{}, fmt.Errorf("%w %q: send %s, %s, or CloudEvents binary mode (ce-* headers) with %s",
			ErrMediaType, media, MediaStructured, MediaBatch, MediaJSON)
	}
	return Request{one: &one, n: 1}, nil
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
	// ID is the event's id as given, "" when it had none that is a string;
	// an id longer than 256 code points (no valid event has one) is cut to
	// them and "…".
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
	// MaxRejections bounds the rejections an Outcome lists; the others are
	// only counted. 0 lists them all.
	MaxRejections int
}

// Outcome is what became of a request's events.
type Outcome struct {
	// Events are the events to publish, in request order.
	Events []event.Event
	// Rejected are the first Rules.MaxRejections rejections, in request
	// order; never nil, so it encodes as [].
	Rejected []Rejection
	// RejectedTotal counts every rejection, listed or not.
	RejectedTotal int
	// NotJSON, when set, wraps ErrNotJSON: an element of the batch is not a
	// JSON value, so the body is not JSON and is refused whole (400). The
	// rest of the outcome is then not to be used.
	NotJSON error
}

// CheckRequest checks every event of a request on its own (see check) and
// lists the first r.MaxRejections rejections: however many events a body
// carries, the answer stays small.
func CheckRequest(v *event.Validator, r Rules, req Request) Outcome {
	// Room for the events at once, but no more than a batch's kept bounds
	// allow: a body of a million tiny elements must not cost memory each.
	out := Outcome{Rejected: []Rejection{}, Events: make([]event.Event, 0, min(req.Len(), keptBounds))}
	// The columns of a request's events in one allocation, not one each.
	records := make([]event.Record, min(req.Len(), keptBounds))
	req.Each(func(i int, s Submission) bool {
		// Past the shared columns, a record of its own (only then: a new
		// taken first would cost an allocation per event).
		var rec *event.Record
		if i < len(records) {
			rec = &records[i]
		} else {
			rec = new(event.Record)
		}
		e, err := r.check(v, s, rec)
		if err != nil {
			if serr := req.syntax(s); serr != nil {
				out.NotJSON = fmt.Errorf("%w: %v", ErrNotJSON, serr)
				return false
			}
			out.RejectedTotal++
			if r.MaxRejections <= 0 || len(out.Rejected) < r.MaxRejections {
				out.Rejected = append(out.Rejected, Rejection{Index: i, ID: s.ID(), Error: err.Error()})
			}
			return true
		}
		out.Events = append(out.Events, e)
		return true
	})
	return out
}

// syntax checks that a rejected element of a batch is a JSON value (one
// that was accepted was read whole by the validator), with the error's byte
// counted in the body. The element lies in the body, so its place is where
// its bytes are.
func (r Request) syntax(s Submission) error {
	if r.batch == nil || s.Structured == nil {
		return nil
	}
	start := int(uintptr(unsafe.Pointer(unsafe.SliceData(s.Structured))) - uintptr(unsafe.Pointer(unsafe.SliceData(r.batch))))
	return event.ElementSyntax(r.batch, start, start+len(s.Structured))
}

// Check is CheckRequest on submissions already collected, listing every
// rejection; rejected is never nil, so it encodes as [].
func Check(v *event.Validator, r Rules, subs []Submission) (events []event.Event, rejected []Rejection) {
	rejected = []Rejection{}
	for i, s := range subs {
		e, err := r.check(v, s, new(event.Record))
		if err != nil {
			rejected = append(rejected, Rejection{Index: i, ID: s.ID(), Error: err.Error()})
			continue
		}
		events = append(events, e)
	}
	return events, rejected
}

// errForbidden is the error of an event the token may not send.
var errForbidden = errors.New(Forbidden)

// check checks one submission: the event contract, then whether the token
// may send it (its source and type), the ingestion time and the message
// size. An event the token could not send is forbidden whatever else is
// wrong with it, so a token learns nothing about such events: when the
// contract is broken, a cheap look at the text finds the source and type to
// tell. Only then: every event of a healthy source passes the contract, and
// the look cost some 8 % of ingest's CPU when it came first.
func (r Rules) check(v *event.Validator, s Submission, rec *event.Record) (event.Event, error) {
	e, err := s.parse(v, rec)
	if err != nil {
		if a := s.attributes(); a.Source != "" && a.Source != r.Grant.Source.URI || a.Type != "" && !r.Grant.Allows(a.Type) {
			return event.Event{}, errForbidden
		}
		return e, err
	}
	if e.Source != r.Grant.Source.URI || !r.Grant.Allows(e.Type) {
		return e, errForbidden
	}
	if err := e.CheckIngestTime(r.Now); err != nil {
		return e, err
	}
	return e, fits(e, r.MaxMessageBytes, stream.IngestSubject(r.Grant.Source.Name))
}

// fits checks that a message on subject could carry e: in the record form
// ingest publishes, alone, with the headers ingest sets, under the limit its
// messages are packed to (publish.RecordBodyLimit).
func fits(e event.Event, max int64, subject string) error {
	if max <= 0 {
		return nil
	}
	r := event.RecordOf(&e)
	if r == nil {
		return fmt.Errorf("event: no columns read by the validator")
	}
	limit := publish.RecordBodyLimit(max, subject)
	if size, ok := publish.RecordFits(event.RecordSize(r), limit); !ok {
		return fmt.Errorf("event: %d bytes, %d with the columns read from it, more than the %d bytes a message may carry",
			len(e.Raw), size, limit)
	}
	return nil
}

// parse reads the event, its columns into rec (structured mode).
func (s Submission) parse(v *event.Validator, rec *event.Record) (event.Event, error) {
	if s.Attrs != nil {
		return event.FromBinary(v, s.Attrs, s.Data)
	}
	// The event is read where it lies in the request's body, not copied into
	// a string of its own (a tenth of validating it): nothing writes to a
	// body once it is read, so the Event and its columns may share it.
	return v.DecodeInto(unsafe.String(unsafe.SliceData(s.Structured), len(s.Structured)), rec)
}
