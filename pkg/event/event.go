package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unsafe"
)

// MaxFutureSkew is how far after its ingestion an event may be dated (SPEC §4);
// anything later is rejected.
const MaxFutureSkew = 5 * time.Minute

// Event is one validated CloudEvent. Raw is its structured-mode JSON, compacted,
// exactly as it is stored and published (read-only: it shares its bytes with
// the Record's columns); Data is the part of Raw that holds
// the data object.
type Event struct {
	ID     string
	Source string
	Type   string
	Time   time.Time
	Data   json.RawMessage
	Raw    json.RawMessage

	// record holds the columns validation read, so ToRecord parses nothing.
	record *Record
}

// envelope is the structured-mode JSON of a CloudEvent.
type envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	DataSchema      string          `json:"dataschema,omitempty"`
	Subject         string          `json:"subject,omitempty"`
	Data            json.RawMessage `json:"data"`
}

// New builds an event from its parts, the way a source system does before it
// publishes: data is marshalled to JSON and the whole event is validated.
func New(v *Validator, source, id, eventType string, at time.Time, data any) (Event, error) {
	body, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("marshal data of %s: %w", eventType, err)
	}
	raw, err := json.Marshal(envelope{
		SpecVersion: "1.0", ID: id, Source: source, Type: eventType,
		Time: at.Format(time.RFC3339Nano), DataContentType: "application/json", Data: body,
	})
	if err != nil {
		return Event{}, fmt.Errorf("marshal event: %w", err)
	}
	return v.Parse(raw)
}

// FromBinary builds an event from CloudEvents HTTP binary mode: attributes as
// they came in ce-* headers (keys without the prefix) and data as the body.
func FromBinary(v *Validator, attrs map[string]string, data []byte) (Event, error) {
	obj := make(map[string]json.RawMessage, len(attrs)+1)
	for k, val := range attrs {
		b, _ := json.Marshal(val)
		obj[k] = b
	}
	obj["data"] = bytes.TrimSpace(data)
	if len(obj["data"]) == 0 {
		return Event{}, fmt.Errorf("data: the body is empty")
	}
	if !json.Valid(obj["data"]) {
		return Event{}, fmt.Errorf("data: the body is not JSON")
	}
	if _, ok := obj["datacontenttype"]; !ok {
		obj["datacontenttype"] = json.RawMessage(`"application/json"`)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return Event{}, fmt.Errorf("marshal event: %w", err)
	}
	return v.Parse(raw)
}

// Parse validates one structured-mode event (envelope and data against the
// schemas, every instant with an offset and inside the range of SPEC §4) and
// returns it. The error names the place and the reason.
func (v *Validator) Parse(raw []byte) (Event, error) {
	e, _, err := v.Decode(raw)
	return e, err
}

// Decode is Parse that also returns the event's Record columns, read in the
// same pass (StreamSeq, MsgPos and IngestNs are left zero for the caller). The
// returned Event carries them too, for ToRecord.
//
// The checks cost about as much as the reading (a few microseconds an event),
// so there is no unchecked variant: events that passed ingest travel as the
// record it read (recordform.go) and are not read again.
func (v *Validator) Decode(raw []byte) (Event, Record, error) {
	rec := new(Record)
	e, err := v.DecodeInto(string(raw), rec)
	if err != nil {
		return Event{}, Record{}, err
	}
	return e, *rec, nil
}

// DecodeInto is Decode of an event's text given as a string, which the Event
// and the Record then share instead of a copy, into a Record the caller
// holds: the aggregator converts a message's body once and reads each event
// as a substring of it straight into its slot of the batch. On an error rec
// holds whatever was read before it.
func (v *Validator) DecodeInto(s string, rec *Record) (Event, error) {
	h, err := v.decode(s, rec)
	if err != nil {
		return Event{}, err
	}
	if h.spaced {
		// Raw is stored compact; read it again so that every column is a
		// substring of the stored text.
		s = compact(s)
		*rec = Record{}
		if h, err = v.decode(s, rec); err != nil {
			return Event{}, fmt.Errorf("compacted event: %w", err)
		}
	}
	e := h.ev
	// Raw shares the bytes of s, which the Record's columns share too: one
	// copy of the event's text, not three. Nobody writes to Raw (it is read,
	// copied into batches and stored); the Event type says so.
	e.Raw = json.RawMessage(unsafe.Slice(unsafe.StringData(s), len(s)))
	e.Data = e.Raw[h.dataStart:h.dataEnd:h.dataEnd]
	e.record = rec
	return e, nil
}

// CheckIngestTime rejects an event dated more than MaxFutureSkew after the
// instant it was ingested.
func (e Event) CheckIngestTime(ingested time.Time) error {
	if e.Time.After(ingested.Add(MaxFutureSkew)) {
		return fmt.Errorf("time: %s is more than %s after ingestion (%s)",
			e.Time.Format(time.RFC3339Nano), MaxFutureSkew, ingested.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// ParseTime reads an RFC 3339 time, which must carry an offset (SPEC §4), the
// way the event decoder reads every date-time; lower-case t and z are RFC 3339.
func ParseTime(s string) (time.Time, error) {
	t, reason := parseDateTime(s)
	if reason != "" {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time with an offset: %s", s, reason)
	}
	return t.time(), nil
}
