package event

import (
	"encoding/json"
	"fmt"
	"math/big"
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

// ToRecord extracts the typed columns of a validated event. seq and pos are its
// place in the stream; ingested is when the stream stored it. Parse has already
// made sure it succeeds for every event it accepted.
func ToRecord(e Event, seq uint64, pos uint32, ingested time.Time) (Record, error) {
	r, err := extract(e)
	r.StreamSeq, r.MsgPos, r.IngestNs = seq, pos, ingested.UnixNano()
	return r, err
}

// extract fills the typed columns from the event's data.
func extract(e Event) (Record, error) {
	r := Record{Source: e.Source, ID: e.ID, Type: e.Type, TimeNs: e.Time.UnixNano(), Raw: string(e.Raw)}
	var err error
	switch e.Type {
	case TypeUnitUpserted:
		var d UnitUpserted
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.Unit, r.Name, r.Level, r.Parent = d.Unit, d.Unit, d.Name, d.Level, d.Parent
		}
	case TypeCadreUpserted:
		var d CadreUpserted
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.Cadre, r.Name, r.Unit, r.Position = d.Cadre, d.Cadre, d.Name, d.Unit, d.Position
		}
	case TypeComplaintAssigned:
		var d ComplaintAssigned
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.Unit, r.Cadre, r.Category = d.ComplaintID, d.Unit, d.Cadre, d.Category
			r.PeriodNs = r.TimeNs
			if r.ResponseDueNs, err = unixNano(d.ResponseDue); err == nil {
				r.ResolveDueNs, err = unixNano(d.ResolveDue)
			}
		}
	case TypeComplaintResponded:
		var d ComplaintRef
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID = d.ComplaintID
		}
	case TypeComplaintResolved:
		var d ComplaintResolved
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.Resolved = d.ComplaintID, d.Resolved
		}
	case TypeComplaintRated:
		var d ComplaintRated
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID = d.ComplaintID
			r.Rating, err = rating(d.Rating)
		}
	case TypeComplaintReopened, TypeComplaintExcluded:
		var d ComplaintReason
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.Reason = d.ComplaintID, d.Reason
		}
	case TypeIssueListed:
		var d IssueListed
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.List, r.Severity, r.Unit, r.Cadre = d.IssueID, d.List, d.Severity, d.Unit, d.Cadre
			r.DueNs, err = unixNano(d.Due)
			r.PeriodNs = r.DueNs
		}
	case TypeIssueClosed:
		var d IssueRef
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID = d.IssueID
		}
	case TypeIssueReopened:
		var d IssueReopened
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.Reason = d.IssueID, d.Reason
		}
	case TypeErrorRecorded:
		var d ErrorRecorded
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.Unit, r.Cadre, r.Severity, r.Summary = d.ErrorID, d.Unit, d.Cadre, d.Severity, d.Summary
			r.PeriodNs = r.TimeNs
		}
	case TypeErrorTolerated:
		var d ErrorTolerated
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.DecisionID, r.Basis = d.ErrorID, d.DecisionID, d.Basis
		}
	case TypeReviewRated:
		var d ReviewRated
		if err = json.Unmarshal(e.Data, &d); err == nil {
			r.CaseID, r.SubjectKind, r.Subject = d.ReviewID, d.SubjectKind, d.Subject
			r.ReviewPeriod, r.RaterGroup, r.Score = d.Period, d.RaterGroup, d.Score.String()
		}
	default:
		return Record{}, fmt.Errorf("type: unknown event type %q", e.Type)
	}
	if err != nil {
		return Record{}, fmt.Errorf("data of %s: %w", e.Type, err)
	}
	return r, nil
}

// rating reads a rating 1–5 written as any JSON number with an integer value.
func rating(n json.Number) (uint8, error) {
	v, ok := new(big.Rat).SetString(n.String())
	if !ok || !v.IsInt() || v.Num().Cmp(big.NewInt(1)) < 0 || v.Num().Cmp(big.NewInt(5)) > 0 {
		return 0, fmt.Errorf("rating %s is not an integer from 1 to 5", n)
	}
	return uint8(v.Num().Int64()), nil
}

func unixNano(s string) (int64, error) {
	t, err := ParseTime(s)
	if err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}
