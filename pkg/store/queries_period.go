package store

import (
	"strings"

	"kaoping/pkg/event"
)

// SQL of a run's reading of its period (period.go). Every query narrows the
// period's events in ClickHouse and returns only the columns scoring reads,
// never raw. The type lists are built once from pkg/event's constants, never
// from input; everything else is bound (?).

// sqlList writes constants as a SQL list of string literals.
func sqlList(values []string) string {
	return "'" + strings.Join(values, "', '") + "'"
}

// typeCode is the type as its 1-based index in the list: a UInt8 travels and
// sorts cheaper than the type's name.
func typeCode(types []string) string { return "indexOf([" + sqlList(types) + "], type)" }

var orgTypes = []string{event.TypeUnitUpserted, event.TypeCadreUpserted}

// qPeriodOrg returns every stored row, up to the high-water mark, of the org
// upserts dated before the period's end. Parameters: hwm, end.
var qPeriodOrg = `SELECT ` + typeCode(orgTypes) + `, case_id, name, level, parent, unit, position, time_ns, stream_seq, msg_pos
FROM events
PREWHERE type IN (` + sqlList(orgTypes) + `)
WHERE stream_seq <= ? AND time_ns < ?`

// family is how one family of cases is read: its event types (the defining
// one first, none for reviews), and the columns its builder needs beyond
// case_hash, type, case_id, time_ns, stream_seq and msg_pos.
type family struct {
	kind    event.Kind
	types   []string
	columns string
	// member is the subquery condition that places a case in the period by
	// one of its rows; its parameters follow the high-water mark.
	member string
}

var families = []family{
	{kind: event.KindComplaint,
		types: []string{event.TypeComplaintAssigned, event.TypeComplaintResponded, event.TypeComplaintResolved,
			event.TypeComplaintRated, event.TypeComplaintReopened, event.TypeComplaintExcluded},
		columns: "unit, cadre, response_due_ns, resolve_due_ns, period_ns, toUInt8(bitOr(rating, resolved * 128))",
		member:  "period_ns >= ? AND period_ns < ?"},
	{kind: event.KindIssue,
		types:   []string{event.TypeIssueListed, event.TypeIssueClosed, event.TypeIssueReopened},
		columns: "unit, cadre, severity, due_ns, period_ns",
		member:  "period_ns >= ? AND period_ns < ?"},
	{kind: event.KindError,
		types:   []string{event.TypeErrorRecorded, event.TypeErrorTolerated},
		columns: "unit, cadre, severity, decision_id, period_ns",
		member:  "period_ns >= ? AND period_ns < ?"},
	{kind: event.KindReview,
		types:   []string{event.TypeReviewRated},
		columns: "subject_kind, subject, review_period, rater_group, score",
		member:  "review_period = ?"},
}

// query returns every stored row, up to the high-water mark, of the cases of
// the family that have some row placing them in the period (the defining
// event's time or due, or a review's period label: some copy, not only the
// first, so the reader can keep first copies exactly), in one partition of
// the case ids, ordered by case_hash so a reader meets each case in one piece.
// A partition is a range of case ids [lo, hi) (hi unbounded when the flag
// is 1): the table is ordered by (type, case_id), so a partition reads its
// own granules only.
//
// Parameters: lo, unbounded, hi (the partition, outside), lo, unbounded, hi
// (inside), hwm, the member condition's, hwm.
func (f family) query() string {
	return `SELECT case_hash, ` + typeCode(f.types) + `, case_id, time_ns, stream_seq, msg_pos, ` + f.columns + `
FROM events
PREWHERE type IN (` + sqlList(f.types) + `) AND case_id >= ? AND (? = 1 OR case_id < ?) AND case_hash IN (
    SELECT case_hash FROM events
    PREWHERE type = '` + f.types[0] + `' AND case_id >= ? AND (? = 1 OR case_id < ?)
    WHERE stream_seq <= ? AND ` + f.member + `)
WHERE stream_seq <= ?
ORDER BY case_hash`
}

// bounds returns a sample of the case ids that place a case of the family in
// the period, in order: one in every `every` by hash, to cut the family into
// partitions of about equal size. Parameters: hwm, the member condition's,
// every.
func (f family) bounds() string {
	return `SELECT case_id FROM events
PREWHERE type = '` + f.types[0] + `'
WHERE stream_seq <= ? AND ` + f.member + ` AND case_hash % ? = 0
ORDER BY case_id`
}

// qPeriodCases counts the rows that place a case of each family in the
// period (every copy), to size the partitions. Parameters: start, end ×3,
// label, hwm.
var qPeriodCases = `SELECT
    countIf(type = '` + event.TypeComplaintAssigned + `' AND period_ns >= ? AND period_ns < ?),
    countIf(type = '` + event.TypeIssueListed + `' AND period_ns >= ? AND period_ns < ?),
    countIf(type = '` + event.TypeErrorRecorded + `' AND period_ns >= ? AND period_ns < ?),
    countIf(type = '` + event.TypeReviewRated + `' AND review_period = ?)
FROM events
PREWHERE type IN ('` + event.TypeComplaintAssigned + `', '` + event.TypeIssueListed + `', '` + event.TypeErrorRecorded + `', '` + event.TypeReviewRated + `')
WHERE stream_seq <= ?`
