package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// MaxFutureSkew is how far after its ingestion an event may be dated (SPEC §4);
// anything later is rejected.
const MaxFutureSkew = 5 * time.Minute

// Event is one validated CloudEvent. Raw is its structured-mode JSON exactly as
// it is stored and published.
type Event struct {
	ID     string
	Source string
	Type   string
	Time   time.Time
	Data   json.RawMessage
	Raw    json.RawMessage
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

// Parse validates one structured-mode event (envelope and data against their
// schemas, time with an offset) and returns it. The error names what is wrong.
func (v *Validator) Parse(raw []byte) (Event, error) {
	data, err := v.validateEnvelope(raw)
	if err != nil {
		return Event{}, err
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return Event{}, fmt.Errorf("event: %w", err)
	}
	at, err := ParseTime(env.Time)
	if err != nil {
		return Event{}, fmt.Errorf("time: %w", err)
	}
	if err := v.validateData(env.Type, data); err != nil {
		return Event{}, err
	}
	e := Event{ID: env.ID, Source: env.Source, Type: env.Type, Time: at, Data: env.Data, Raw: compact(raw)}
	// What ingest accepts, the aggregator must be able to store: the same
	// extraction runs here, so an event is refused up front, never dead-lettered later.
	if _, err := extract(e); err != nil {
		return Event{}, err
	}
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

// ParseTime reads an RFC 3339 time, which must carry an offset (SPEC §4).
// RFC 3339 allows a lower-case t and z; Go's layout wants them upper-case.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time with an offset", s)
	}
	return t, nil
}

func compact(raw []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return buf.Bytes()
}
