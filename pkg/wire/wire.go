// Package wire is the NATS wire contract of SPEC §4: how one message of the
// events stream carries CloudEvents. A message is a batch (Content-Type
// application/cloudevents-batch+json: a JSON array of structured events), an
// event in binary mode (attributes in ce- headers, data as the body), or one
// structured event (anything else); header names are compared
// case-insensitively. The SDK (pkg/publish) and ingest write messages with
// Batch; the aggregator reads every kind with Split.
package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"unicode"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/event"
)

// Media types of the CloudEvents JSON format.
const (
	MediaStructured = "application/cloudevents+json"
	MediaBatch      = "application/cloudevents-batch+json"
)

// MediaRecords is the Content-Type of a message in the record form
// (event.AppendRecord): what ingest publishes on kaoping.ingest.<name>. Read
// only there; on a source's subject it is one structured event like any
// other Content-Type.
const MediaRecords = "application/vnd.kaoping.records"

// IsRecords reports whether a message's headers say it is in the record form.
func IsRecords(h nats.Header) bool { return header(h, "Content-Type") == MediaRecords }

// RecordsDigest names a message in the record form in its message id by
// the events it carries: the SHA-256 of their sources and ids, in order, each
// after its length. An event is its (source, id) (SPEC §4), so the same
// events give the same id, as they did when the digest was of the whole
// body, for a twentieth of the bytes hashed (the body's hash was 6 % of
// ingest's CPU).
func RecordsDigest(records []*event.Record) string {
	n := 0
	for _, r := range records {
		n += 2*binary.MaxVarintLen64 + len(r.Source) + len(r.ID)
	}
	b := make([]byte, 0, n)
	for _, r := range records {
		b = append(binary.AppendUvarint(b, uint64(len(r.Source))), r.Source...)
		b = append(binary.AppendUvarint(b, uint64(len(r.ID))), r.ID...)
	}
	s := sha256.Sum256(b)
	return "r:" + hex.EncodeToString(s[:16])
}

// Item is one event as a message carried it, not yet validated.
type Item struct {
	// Structured is the event in structured mode; nil in binary mode.
	Structured json.RawMessage
	// At is where Structured begins in the message's body: body[At:At+len]
	// is Structured, so a caller holding the body as a string can read the
	// event as a substring of it.
	At int
	// Attrs are the attributes of binary mode, keyed by name without the ce-
	// prefix; nil in structured mode.
	Attrs map[string]string
	// Data is the body of binary mode.
	Data []byte
}

// Kind is how a message carries its events.
type Kind int

// The kinds of messages.
const (
	Structured Kind = iota
	Binary
	BatchOf
)

// KindOf tells a message's kind from its headers.
func KindOf(h nats.Header) Kind {
	if ct := header(h, "Content-Type"); ct != "" {
		if media, _, err := mime.ParseMediaType(ct); (err == nil || errors.Is(err, mime.ErrInvalidMediaParameter)) && strings.EqualFold(media, MediaBatch) {
			return BatchOf
		}
	}
	if header(h, "ce-specversion") != "" {
		return Binary
	}
	return Structured
}

// KindHeaders are the headers of h that say what its body is (KindOf, Split,
// IsRecords): Content-Type and every ce- attribute, as given. A message
// published again with them and the same body is read the same way.
func KindHeaders(h nats.Header) nats.Header {
	out := nats.Header{}
	for k, vals := range h {
		if strings.EqualFold(k, "Content-Type") || isAttribute(k) {
			out[k] = append([]string(nil), vals...)
		}
	}
	return out
}

// isAttribute reports whether header k carries a CloudEvents attribute
// (binary mode: ce-<name>, any case).
func isAttribute(k string) bool { return len(k) > 3 && strings.EqualFold(k[:3], "ce-") }

// ErrNotBatch means a batch message's body is not a JSON array of objects.
var ErrNotBatch = errors.New("a batch message must be a JSON array of structured events")

// Split returns the events a message carries, in their positions. An error
// means the message as a whole cannot be read (a batch that is not a JSON
// array); a malformed event inside a good array is an Item that will fail
// validation on its own.
func Split(h nats.Header, body []byte) ([]Item, error) {
	switch KindOf(h) {
	case BatchOf:
		bounds, err := event.ArrayBounds(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotBatch, err)
		}
		items := make([]Item, len(bounds))
		for i, b := range bounds {
			items[i] = Item{Structured: body[b.Start:b.End:b.End], At: b.Start}
		}
		return items, nil
	case Binary:
		attrs := make(map[string]string)
		for k, vals := range h {
			if isAttribute(k) && len(vals) > 0 {
				attrs[strings.ToLower(k[3:])] = vals[0]
			}
		}
		// The NATS binding may carry datacontenttype as Content-Type.
		if _, ok := attrs["datacontenttype"]; !ok {
			if ct := header(h, "Content-Type"); ct != "" {
				if media, _, err := mime.ParseMediaType(ct); err == nil {
					attrs["datacontenttype"] = media
				}
			}
		}
		return []Item{{Attrs: attrs, Data: body}}, nil
	}
	left := bytes.TrimLeftFunc(body, unicode.IsSpace)
	return []Item{{Structured: bytes.TrimRightFunc(left, unicode.IsSpace), At: len(body) - len(left)}}, nil
}

// header is a header's first value, its name compared case-insensitively.
func header(h nats.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vals := range h {
		if strings.EqualFold(k, name) && len(vals) > 0 {
			return vals[0]
		}
	}
	return ""
}

// ID is the item's id as given, "" when it has none that is a string.
func (it Item) ID() string {
	if it.Attrs != nil {
		return it.Attrs["id"]
	}
	return event.Peek(it.Structured).ID
}

// Batch returns the body of a batch message holding the given structured
// events (compact JSON each), and a digest of it that names the batch in its
// message id: the same events in the same order give the same id, so a batch
// resent inside the duplicate window is dropped whole.
func Batch(raws []json.RawMessage) (body []byte, digest string) { return KeyedBatch(raws, nil) }

// KeyedBatch is Batch with the digest keyed: HMAC-SHA256 with key instead of
// SHA-256 (key nil: Batch). Only who holds the key can name a batch's message
// id in advance, so no other publisher can take it first.
func KeyedBatch(raws []json.RawMessage, key []byte) (body []byte, digest string) {
	n := 2
	for _, r := range raws {
		n += len(r) + 1
	}
	body = make([]byte, 0, n)
	body = append(body, '[')
	for i, r := range raws {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, r...)
	}
	body = append(body, ']')
	var sum []byte
	if key == nil {
		s := sha256.Sum256(body)
		sum = s[:]
	} else {
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		sum = mac.Sum(nil)
	}
	return body, "b:" + hex.EncodeToString(sum[:16])
}

// Overhead is what a message's subject-independent framing costs besides its
// body, for sizing batches under the server's max_payload: the headers Batch
// messages carry.
const Overhead = 512
