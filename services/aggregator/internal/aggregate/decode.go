package aggregate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
	"kaoping/pkg/wire"
)

// Bounds of a dead letter: it keeps a reason and the offending body, not a
// second copy of a large message, so it always fits in a NATS message.
const (
	maxReasonBytes = 1 << 10
	maxBodyBytes   = 64 << 10
)

// maxLoggedBytes bounds a reason or an error in a log line. Logs never hold
// an event's body; a reason quotes at most 64 code points of a value (the
// validator's rule), and an error of ClickHouse that echoes data is cut here.
// The dead letter keeps the reason whole (1 KiB) and the body, for admins.
const maxLoggedBytes = 256

// excerpt is s fit for a log line: one line, at most maxLoggedBytes.
func excerpt(s string) string { return cut(s, maxLoggedBytes) }

// decoded is what one message of the events stream turned into.
type decoded struct {
	records []event.Record
	dead    []*nats.Msg
	// refused is true when no event of the message was stored: once its dead
	// letters are kept, the message is removed from the stream, so a rebuild
	// does not meet it again; unless kept (a poison, never read: nothing
	// says its events are wrong, and it is their only whole copy).
	refused, kept bool
}

// decoder turns messages into records, checking each event as SPEC §4 says.
type decoder struct {
	validator *event.Validator
	registry  *sources.Registry
}

// decode reads one message. Events that ingest published (kaoping.ingest.<name>)
// were checked there and are only read, from the record form ingest writes
// (or, in messages written before it did, from their JSON); every other
// event is validated, its source must be the one registered for the
// subject's name and the source must be allowed its type. A failing event becomes a dead letter; the others
// of the message are stored.
func (d decoder) decode(msg jetstream.Msg) decoded {
	md, err := msg.Metadata()
	if err != nil {
		return decoded{refused: true, dead: []*nats.Msg{deadLetter(msg.Subject(), 0, 0, "", msg.Data(), "no stream metadata: "+err.Error())}}
	}
	seq := md.Sequence.Stream
	whole := func(reason string) decoded {
		return decoded{refused: true, dead: []*nats.Msg{wholeLetter(msg, seq, reason)}}
	}
	origin, ok := stream.OriginOf(msg.Subject())
	if !ok {
		return whole(fmt.Sprintf("subject %q names no source (publish on %s<name>)", msg.Subject(), stream.EventsSubjectPrefix))
	}
	// Ingest's events were acknowledged to their senders once stored (and
	// only ingest may publish there: NATS permissions). They are stored
	// whatever this process's registry says of their source now (renamed,
	// removed, or a registry file that differs from ingest's); a message of
	// ingest's refused whole (a record form of a version this aggregator does
	// not know, a batch that is not an array) stays in the stream, its letter
	// marked kept as a poison's is, for an aggregator that can read it (a
	// rebuild after an upgrade) or a replay.
	var src *sources.Source
	if origin.ViaIngest {
		whole = func(reason string) decoded { return keptWhole(msg, seq, reason) }
	} else if src, ok = d.registry.ByName(origin.Name); !ok {
		return whole(fmt.Sprintf("source name %q of subject %q is not in the source registry", origin.Name, msg.Subject()))
	}
	if origin.ViaIngest && wire.IsRecords(msg.Headers()) {
		return decodeRecords(msg, seq, md.Timestamp, whole)
	}
	items, err := wire.Split(msg.Headers(), msg.Data())
	if err != nil {
		return whole(err.Error())
	}
	// The body is the one copy: each structured event, and the strings of
	// its record, are substrings of it (a batch of a thousand events was a
	// thousand copies).
	var text string
	if len(items) > 0 && items[0].Attrs == nil {
		text = bodyText(msg)
	}
	out := decoded{records: make([]event.Record, 0, len(items))}
	for pos, it := range items {
		// Each event is read straight into its slot of the batch.
		out.records = append(out.records, event.Record{})
		r := &out.records[len(out.records)-1]
		e, err := d.event(it, text, r, origin.ViaIngest, src, md.Timestamp)
		if err != nil {
			out.records = out.records[:len(out.records)-1]
			out.dead = append(out.dead, deadLetter(msg.Subject(), seq, pos, e.Type, itemBody(it), err.Error()))
			continue
		}
		r.Stamp(seq, uint32(pos), md.Timestamp)
	}
	out.refused = len(out.records) == 0 && len(items) > 0
	return out
}

// decodeRecords reads a message ingest published in the record form: the
// columns ingest read when it validated each event, stored as they are, with
// no JSON parsed (SPEC §4: events ingest accepted need no second check).
func decodeRecords(msg jetstream.Msg, seq uint64, ingested time.Time, whole func(string) decoded) decoded {
	records, err := event.ReadRecords(bodyText(msg), nil)
	if err != nil {
		return whole(err.Error())
	}
	for pos := range records {
		records[pos].Stamp(seq, uint32(pos), ingested)
	}
	return decoded{records: records}
}

// event validates one item and checks it against its subject's source.
func (d decoder) event(it wire.Item, text string, r *event.Record, viaIngest bool, src *sources.Source, ingested time.Time) (event.Event, error) {
	var e event.Event
	var err error
	if it.Attrs != nil {
		if e, err = event.FromBinary(d.validator, it.Attrs, it.Data); err == nil {
			*r, err = event.ToRecord(e, 0, 0, ingested)
		}
	} else {
		e, err = d.validator.DecodeInto(text[it.At:it.At+len(it.Structured)], r)
	}
	switch {
	case err != nil:
		return e, err
	case viaIngest:
		return e, nil // ingest checked source, type and time against its own clock
	case e.Source != src.URI:
		return e, fmt.Errorf("source %q is not %q, the source registered for %s", e.Source, src.URI, src.Name)
	case !src.Allows(e.Type):
		return e, fmt.Errorf("source %s may not send %s", src.Name, e.Type)
	}
	return e, e.CheckIngestTime(ingested)
}

// itemBody is what a dead letter keeps of an item: the structured event, or
// for binary mode its attributes and data as a structured event when the data
// is JSON (else the data alone).
func itemBody(it wire.Item) []byte {
	if it.Attrs == nil {
		return it.Structured
	}
	obj := map[string]json.RawMessage{}
	for k, v := range it.Attrs {
		obj[k], _ = json.Marshal(v)
	}
	if !json.Valid(it.Data) {
		return it.Data
	}
	obj["data"] = it.Data
	b, err := json.Marshal(obj)
	if err != nil {
		return it.Data
	}
	return b
}

// deadLetter is the dead letter of one event (or of a whole message, pos 0):
// its reason cut to 1 KiB, the original's subject, sequence and position,
// and its body up to 64 KiB; a longer body is cut, its size and SHA-256 kept.
func deadLetter(subject string, seq uint64, pos int, eventType string, body []byte, reason string) *nats.Msg {
	m := nats.NewMsg(stream.DeadLetterSubjectPrefix + strconv.FormatUint(seq, 10))
	m.Header.Set(stream.HeaderReason, cut(reason, maxReasonBytes))
	m.Header.Set(stream.HeaderOriginalSubject, subject)
	m.Header.Set(stream.HeaderOriginalSeq, strconv.FormatUint(seq, 10))
	m.Header.Set(stream.HeaderOriginalPos, strconv.Itoa(pos))
	if eventType != "" {
		m.Header.Set(stream.HeaderOriginalType, eventType)
	}
	// One dead letter per (sequence, position): a redelivered message does not
	// dead-letter the same event twice inside the dead letters' window.
	m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("dl:%d:%d", seq, pos))
	if len(body) > maxBodyBytes {
		sum := sha256.Sum256(body)
		m.Header.Set(stream.HeaderBodySize, strconv.Itoa(len(body)))
		m.Header.Set(stream.HeaderBodySHA256, hex.EncodeToString(sum[:]))
		body = body[:maxBodyBytes]
	}
	m.Data = body
	return m
}

// wholeLetter is the dead letter of a message refused as a whole: it also
// keeps the headers that say what the body is (wire.KindHeaders), so a replay
// sends a batch or a binary-mode event again as one; unless they are longer
// than maxKindHeaderBytes, which would let the letter outgrow a message.
func wholeLetter(msg jetstream.Msg, seq uint64, reason string) *nats.Msg {
	dl := deadLetter(msg.Subject(), seq, 0, "", msg.Data(), reason)
	kind, n := wire.KindHeaders(msg.Headers()), 0
	for k, vals := range kind {
		for _, v := range vals {
			n += len(k) + len(v) + 4
		}
	}
	if n > maxKindHeaderBytes {
		dl.Header.Set(stream.HeaderReason, cut(reason+" (its headers, "+strconv.Itoa(n)+" bytes, were not kept)", maxReasonBytes))
		return dl
	}
	for k, v := range kind {
		dl.Header[k] = v
	}
	return dl
}

// keptWhole refuses a message whole but keeps it in the events stream (a
// poison, or one of ingest's this aggregator cannot read): its letter says
// so (stream.HeaderOriginalKept), and a replay sends the original again.
func keptWhole(msg jetstream.Msg, seq uint64, reason string) decoded {
	dl := wholeLetter(msg, seq, reason)
	dl.Header.Set(stream.HeaderOriginalKept, "true")
	return decoded{refused: true, kept: true, dead: []*nats.Msg{dl}}
}

// maxKindHeaderBytes bounds the headers a whole message's letter keeps: with
// the reason and a body cut to 64 KiB it still fits any message.
const maxKindHeaderBytes = 8 << 10

// cut shortens s to at most n bytes on a UTF-8 boundary, marking the cut,
// and keeps it on one line (it travels in a header).
func cut(s string, n int) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

// bodyText is the message's body as a string, sharing its bytes: nats.go
// gives every message a payload of its own (it copies it out of its read
// buffer), and nothing here writes to a body, so the records may point into
// it instead of into a copy: as many bytes again as the messages, to
// allocate, copy and collect.
func bodyText(msg jetstream.Msg) string {
	d := msg.Data()
	return unsafe.String(unsafe.SliceData(d), len(d))
}
