package event

import (
	"errors"
	"fmt"
	"time"
)

// Record is an event as one typed row of the events table: the fields the
// scorer reads, extracted in Go, beside the raw JSON. Instants are Int64
// nanoseconds since the epoch (UTC); StreamSeq and MsgPos order events with equal
// instants (SPEC §4). Fields an event type does not carry are zero.
type Record struct {
	Source    string
	ID        string
	Type      string
	TimeNs    int64
	IngestNs  int64
	StreamSeq uint64
	MsgPos    uint32

	// CaseID joins the events of one case: the complaint, issue, error or
	// review id, or the unit or cadre id of an upsert.
	CaseID string
	// PeriodNs is the instant that places a defining event's case in a period:
	// assignment time, due, or recorded time. Zero for other events.
	PeriodNs int64

	Unit     string
	Cadre    string
	Name     string
	Level    string
	Parent   string
	Position string
	Category string
	List     string
	Severity string
	Reason   string

	ResponseDueNs int64
	ResolveDueNs  int64
	DueNs         int64
	Resolved      bool
	Rating        uint8

	DecisionID string
	Basis      string
	Summary    string

	SubjectKind  string
	Subject      string
	ReviewPeriod string
	RaterGroup   string
	// Score is the review score's decimal text, exactly as sent.
	Score string

	Raw string
}

// Before reports whether r comes before o in the order of one case: by instant,
// then stream sequence, then position inside the message.
func (r Record) Before(o Record) bool {
	if r.TimeNs != o.TimeNs {
		return r.TimeNs < o.TimeNs
	}
	if r.StreamSeq != o.StreamSeq {
		return r.StreamSeq < o.StreamSeq
	}
	return r.MsgPos < o.MsgPos
}

// ToRecord returns the typed columns of a validated event. seq and pos are its
// place in the stream; ingested is when the stream stored it. An event from
// Parse, Decode, New or FromBinary carries the columns its validation read, so
// nothing is parsed again; any other Event is decoded from its Raw.
func ToRecord(e Event, seq uint64, pos uint32, ingested time.Time) (Record, error) {
	var r Record
	switch {
	case e.record != nil:
		r = *e.record
	case len(e.Raw) == 0:
		return Record{}, errors.New("event: no Raw to read the record from")
	default:
		v, err := NewValidator()
		if err != nil {
			return Record{}, err
		}
		if _, r, err = v.Decode(e.Raw); err != nil {
			return Record{}, err
		}
	}
	r.Stamp(seq, pos, ingested)
	return r, nil
}

// Stamp sets what the stream gives a record: its message's sequence, its
// position in the message and the instant the stream stored it.
func (r *Record) Stamp(seq uint64, pos uint32, ingested time.Time) {
	r.StreamSeq, r.MsgPos, r.IngestNs = seq, pos, ingested.UnixNano()
}

// column is where the value of a data member goes in a Record: the part of the
// event contract that is Go's, not the schemas'.
type column struct {
	caseID  bool
	text    func(r *Record, s string)
	instant func(r *Record, ns int64)
	flag    func(r *Record, b bool)
	small   func(r *Record, n uint8)
}

// caseMembers names the member whose value is the case id, by kind of case.
var caseMembers = map[Kind]string{
	KindUnit: "unit", KindCadre: "cadre", KindComplaint: "complaint_id",
	KindIssue: "issue_id", KindError: "error_id", KindReview: "review_id",
}

var textColumns = map[string]func(r *Record, s string){
	"unit":         func(r *Record, s string) { r.Unit = s },
	"cadre":        func(r *Record, s string) { r.Cadre = s },
	"name":         func(r *Record, s string) { r.Name = s },
	"level":        func(r *Record, s string) { r.Level = s },
	"parent":       func(r *Record, s string) { r.Parent = s },
	"position":     func(r *Record, s string) { r.Position = s },
	"category":     func(r *Record, s string) { r.Category = s },
	"list":         func(r *Record, s string) { r.List = s },
	"severity":     func(r *Record, s string) { r.Severity = s },
	"reason":       func(r *Record, s string) { r.Reason = s },
	"decision_id":  func(r *Record, s string) { r.DecisionID = s },
	"basis":        func(r *Record, s string) { r.Basis = s },
	"summary":      func(r *Record, s string) { r.Summary = s },
	"subject_kind": func(r *Record, s string) { r.SubjectKind = s },
	"subject":      func(r *Record, s string) { r.Subject = s },
	"period":       func(r *Record, s string) { r.ReviewPeriod = s },
	"rater_group":  func(r *Record, s string) { r.RaterGroup = s },
	"score":        func(r *Record, s string) { r.Score = s }, // the exact decimal text
}

var instantColumns = map[string]func(r *Record, ns int64){
	"response_due": func(r *Record, ns int64) { r.ResponseDueNs = ns },
	"resolve_due":  func(r *Record, ns int64) { r.ResolveDueNs = ns },
	// An issue is placed in a period by its due.
	"due": func(r *Record, ns int64) { r.DueNs, r.PeriodNs = ns, ns },
}

// placedByTime reports whether the event's own time places its case in a
// period: an assignment and a recorded error (SPEC §5).
func placedByTime(eventType string) bool {
	return eventType == TypeComplaintAssigned || eventType == TypeErrorRecorded
}

// columnFor finds the column of a data member and checks that its schema type
// fits it.
func columnFor(eventType string, m *memberRule) (column, error) {
	kind := KindOf(eventType)
	if kind == "" {
		return column{}, fmt.Errorf("%s is not an event type of package event", eventType)
	}
	c := column{caseID: caseMembers[kind] == m.name, text: textColumns[m.name]}
	fits := m.typ == typeString
	switch {
	case m.dateTime:
		c.instant, c.text = instantColumns[m.name], nil
		fits = c.instant != nil
	case m.name == "resolved":
		c.flag = func(r *Record, b bool) { r.Resolved = b }
		fits = m.typ == typeBoolean
	case m.name == "rating":
		c.small = func(r *Record, n uint8) { r.Rating = n }
		fits = m.typ == typeInteger && m.minimum != nil && m.minimum.sign() >= 0 &&
			m.maximum != nil && m.maximum.cmp(&decimal255) <= 0
	case m.name == "score":
		fits = m.typ == typeNumber
	}
	if !fits || (c.caseID && m.typ != typeString) ||
		(!c.caseID && c.text == nil && c.instant == nil && c.flag == nil && c.small == nil) {
		return column{}, fmt.Errorf("no Record column holds this member (see columnFor in record.go)")
	}
	return c, nil
}

var decimal255 = parseDecimal("255")
