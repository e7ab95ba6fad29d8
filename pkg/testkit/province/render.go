package province

import (
	"strconv"
	"time"

	"kaoping/pkg/event"
)

// render writes the structured CloudEvent whose extraction (event.ToRecord) is
// r. Every string the generator makes is free of quotes, backslashes and
// control characters, so it is written between quotes as it is.
func render(r *event.Record) string {
	b := make([]byte, 0, 320)
	str := func(key, v string) {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, `":"`...)
		b = append(b, v...)
		b = append(b, '"')
	}
	at := func(key string, ns int64) {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, `":"`...)
		b = time.Unix(0, ns).In(zone).AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	num := func(key, v string) {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, `":`...)
		b = append(b, v...)
	}
	b = append(b, `{"specversion":"1.0"`...)
	str("id", r.ID)
	str("source", r.Source)
	str("type", r.Type)
	at("time", r.TimeNs)
	str("datacontenttype", "application/json")
	b = append(b, `,"data":{`...)
	data := len(b)
	field := func(f func()) {
		f()
		if len(b) > data && b[data] == ',' {
			b = append(b[:data], b[data+1:]...) // the first field has no comma before it
		}
	}
	optional := func(key, v string) {
		if v != "" {
			str(key, v)
		}
	}
	field(func() {
		switch r.Type {
		case event.TypeUnitUpserted:
			str("unit", r.Unit)
			str("name", r.Name)
			str("level", r.Level)
			optional("parent", r.Parent)
		case event.TypeCadreUpserted:
			str("cadre", r.Cadre)
			str("name", r.Name)
			str("unit", r.Unit)
			str("position", r.Position)
		case event.TypeComplaintAssigned:
			str("complaint_id", r.CaseID)
			str("unit", r.Unit)
			optional("cadre", r.Cadre)
			str("category", r.Category)
			at("response_due", r.ResponseDueNs)
			at("resolve_due", r.ResolveDueNs)
		case event.TypeComplaintResponded:
			str("complaint_id", r.CaseID)
		case event.TypeComplaintResolved:
			str("complaint_id", r.CaseID)
			num("resolved", strconv.FormatBool(r.Resolved))
		case event.TypeComplaintRated:
			str("complaint_id", r.CaseID)
			num("rating", strconv.Itoa(int(r.Rating)))
		case event.TypeComplaintReopened, event.TypeComplaintExcluded:
			str("complaint_id", r.CaseID)
			str("reason", r.Reason)
		case event.TypeIssueListed:
			str("issue_id", r.CaseID)
			str("list", r.List)
			str("severity", r.Severity)
			str("unit", r.Unit)
			optional("cadre", r.Cadre)
			at("due", r.DueNs)
		case event.TypeIssueClosed:
			str("issue_id", r.CaseID)
		case event.TypeIssueReopened:
			str("issue_id", r.CaseID)
			str("reason", r.Reason)
		case event.TypeErrorRecorded:
			str("error_id", r.CaseID)
			str("unit", r.Unit)
			optional("cadre", r.Cadre)
			str("severity", r.Severity)
			str("summary", r.Summary)
		case event.TypeErrorTolerated:
			str("error_id", r.CaseID)
			str("decision_id", r.DecisionID)
			str("basis", r.Basis)
		case event.TypeReviewRated:
			str("review_id", r.CaseID)
			str("subject_kind", r.SubjectKind)
			str("subject", r.Subject)
			str("period", r.ReviewPeriod)
			str("rater_group", r.RaterGroup)
			num("score", r.Score)
		}
	})
	b = append(b, "}}"...)
	return string(b)
}
