// Package event holds kaoping's event contract in Go: the CloudEvents envelope,
// the event types of SPEC §4, their validation against the JSON Schemas in
// schemas/events, and Record, the typed row an event becomes in storage.
package event

import "encoding/json"

// The event types of SPEC §4. Each has a JSON Schema named after it in
// schemas/events.
const (
	TypeUnitUpserted       = "kaoping.org.unit.upserted"
	TypeCadreUpserted      = "kaoping.org.cadre.upserted"
	TypeComplaintAssigned  = "kaoping.complaint.assigned"
	TypeComplaintResponded = "kaoping.complaint.responded"
	TypeComplaintResolved  = "kaoping.complaint.resolved"
	TypeComplaintRated     = "kaoping.complaint.rated"
	TypeComplaintReopened  = "kaoping.complaint.reopened"
	TypeComplaintExcluded  = "kaoping.complaint.excluded"
	TypeIssueListed        = "kaoping.issue.listed"
	TypeIssueClosed        = "kaoping.issue.closed"
	TypeIssueReopened      = "kaoping.issue.reopened"
	TypeErrorRecorded      = "kaoping.error.recorded"
	TypeErrorTolerated     = "kaoping.error.tolerated"
	TypeReviewRated        = "kaoping.review.rated"
)

// Types lists every event type, in the order of SPEC §4.
var Types = []string{
	TypeUnitUpserted, TypeCadreUpserted,
	TypeComplaintAssigned, TypeComplaintResponded, TypeComplaintResolved,
	TypeComplaintRated, TypeComplaintReopened, TypeComplaintExcluded,
	TypeIssueListed, TypeIssueClosed, TypeIssueReopened,
	TypeErrorRecorded, TypeErrorTolerated,
	TypeReviewRated,
}

// Kind is the family of cases an event type belongs to. Events of one kind are
// joined by their case id (the unit, cadre, complaint, issue, error or review id).
type Kind string

// The kinds of cases.
const (
	KindUnit      Kind = "unit"
	KindCadre     Kind = "cadre"
	KindComplaint Kind = "complaint"
	KindIssue     Kind = "issue"
	KindError     Kind = "error"
	KindReview    Kind = "review"
)

// KindOf returns the kind of an event type, or "" for an unknown type.
func KindOf(eventType string) Kind {
	switch eventType {
	case TypeUnitUpserted:
		return KindUnit
	case TypeCadreUpserted:
		return KindCadre
	case TypeComplaintAssigned, TypeComplaintResponded, TypeComplaintResolved,
		TypeComplaintRated, TypeComplaintReopened, TypeComplaintExcluded:
		return KindComplaint
	case TypeIssueListed, TypeIssueClosed, TypeIssueReopened:
		return KindIssue
	case TypeErrorRecorded, TypeErrorTolerated:
		return KindError
	case TypeReviewRated:
		return KindReview
	}
	return ""
}

// IsDefining reports whether an event type defines its case (SPEC §4): the case
// exists once one is stored, and the latest one defines unit, cadre, deadlines,
// severity and the time that places the case in a period.
func IsDefining(eventType string) bool {
	return eventType == TypeComplaintAssigned || eventType == TypeIssueListed || eventType == TypeErrorRecorded
}

// UnitUpserted is the data of kaoping.org.unit.upserted.
type UnitUpserted struct {
	Unit   string `json:"unit"`
	Name   string `json:"name"`
	Level  string `json:"level"`
	Parent string `json:"parent,omitempty"`
}

// CadreUpserted is the data of kaoping.org.cadre.upserted.
type CadreUpserted struct {
	Cadre    string `json:"cadre"`
	Name     string `json:"name"`
	Unit     string `json:"unit"`
	Position string `json:"position"`
}

// ComplaintAssigned is the data of kaoping.complaint.assigned.
type ComplaintAssigned struct {
	ComplaintID string `json:"complaint_id"`
	Unit        string `json:"unit"`
	Cadre       string `json:"cadre,omitempty"`
	Category    string `json:"category"`
	ResponseDue string `json:"response_due"`
	ResolveDue  string `json:"resolve_due"`
}

// ComplaintRef is the data of kaoping.complaint.responded.
type ComplaintRef struct {
	ComplaintID string `json:"complaint_id"`
}

// ComplaintResolved is the data of kaoping.complaint.resolved.
type ComplaintResolved struct {
	ComplaintID string `json:"complaint_id"`
	Resolved    bool   `json:"resolved"`
}

// ComplaintRated is the data of kaoping.complaint.rated. Rating keeps the JSON
// number's text: JSON Schema counts 4.0 and 4e0 as the integer 4, and so must we.
type ComplaintRated struct {
	ComplaintID string      `json:"complaint_id"`
	Rating      json.Number `json:"rating"`
}

// ComplaintReason is the data of kaoping.complaint.reopened and
// kaoping.complaint.excluded.
type ComplaintReason struct {
	ComplaintID string `json:"complaint_id"`
	Reason      string `json:"reason"`
}

// IssueListed is the data of kaoping.issue.listed.
type IssueListed struct {
	IssueID  string `json:"issue_id"`
	List     string `json:"list"`
	Severity string `json:"severity"`
	Unit     string `json:"unit"`
	Cadre    string `json:"cadre,omitempty"`
	Due      string `json:"due"`
}

// IssueRef is the data of kaoping.issue.closed.
type IssueRef struct {
	IssueID string `json:"issue_id"`
}

// IssueReopened is the data of kaoping.issue.reopened.
type IssueReopened struct {
	IssueID string `json:"issue_id"`
	Reason  string `json:"reason"`
}

// ErrorRecorded is the data of kaoping.error.recorded.
type ErrorRecorded struct {
	ErrorID  string `json:"error_id"`
	Unit     string `json:"unit"`
	Cadre    string `json:"cadre,omitempty"`
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
}

// ErrorTolerated is the data of kaoping.error.tolerated.
type ErrorTolerated struct {
	ErrorID    string `json:"error_id"`
	DecisionID string `json:"decision_id"`
	Basis      string `json:"basis"`
}

// ReviewRated is the data of kaoping.review.rated. Score keeps the JSON number's
// text so it is read as an exact decimal, never as a binary float.
type ReviewRated struct {
	ReviewID    string      `json:"review_id"`
	SubjectKind string      `json:"subject_kind"`
	Subject     string      `json:"subject"`
	Period      string      `json:"period"`
	RaterGroup  string      `json:"rater_group"`
	Score       json.Number `json:"score"`
}
