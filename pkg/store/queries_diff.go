package store

import "kaoping/pkg/event"

// SQL of run diffs (diff.go). Parameters are bound (?).

// qStandings returns what comparing two runs needs of each subject of a run.
// Parameters: run.
const qStandings = `SELECT subject_kind, subject, name, path, scored, score_centi, rank, grade,
    response_num, response_den, resolution_num, resolution_den, satisfaction_num, satisfaction_den, closure_num, closure_den,
    review_num, review_value, satisfaction_scale, insufficient
FROM scores WHERE run_id = ?`

// qWindowEvents returns every stored row in a window of the stream: the
// events one run saw and another did not. Parameters: after, through.
const qWindowEvents = `SELECT source, id, type, case_id, time_ns, stream_seq, msg_pos
FROM events WHERE stream_seq > ? AND stream_seq <= ?`

// touchedFamilies are the families whose events a diff follows to their
// cases, with the type that says which subjects a case counts for.
var touchedFamilies = []touchedFamily{
	{event.KindComplaint, event.TypeComplaintAssigned, families[0].types},
	{event.KindIssue, event.TypeIssueListed, families[1].types},
	{event.KindError, event.TypeErrorRecorded, families[2].types},
	{event.KindReview, event.TypeReviewRated, families[3].types},
}

type touchedFamily struct {
	kind     event.Kind
	defining string
	types    []string
}

// query returns, up to a high-water mark, the rows of the family's defining
// type (for reviews, every rating) of the cases some event in a window of
// the stream names. Parameters: after, through, highWater.
func (f touchedFamily) query() string {
	return `SELECT type, case_id, time_ns, stream_seq, msg_pos, unit, cadre, period_ns, subject_kind, subject, review_period, rater_group, score
FROM events
PREWHERE type = '` + f.defining + `' AND case_hash IN (
    SELECT case_hash FROM events WHERE stream_seq > ? AND stream_seq <= ? AND type IN (` + sqlList(f.types) + `))
WHERE stream_seq <= ?`
}
