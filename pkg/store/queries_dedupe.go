package store

// SQL of the duplicate index (dedupe.go). Parameters are bound (?).

// qNewestDuplicateScan is how far event_duplicates is complete, and the
// number of events at or below that sequence then.
const qNewestDuplicateScan = `SELECT through_seq, rows FROM duplicate_scans ORDER BY through_seq DESC, at_ns DESC LIMIT 1`

// qCountEventsThrough counts the stored rows (every copy) up to a sequence.
const qCountEventsThrough = `SELECT count() FROM events WHERE stream_seq <= ?`

// qScanDuplicates adds the keys with two copies or more up to the second
// sequence that have a copy after the first: the events stored since the last
// scan are looked up among all before them, so a scan costs a read of one
// UInt64 column of the history, not a GROUP BY over it.
//
// Parameters: through (stored with each key), after, through, through.
const qScanDuplicates = `INSERT INTO event_duplicates (key_hash, through_seq)
SELECT key_hash, ? FROM events
PREWHERE key_hash IN (SELECT key_hash FROM events WHERE stream_seq > ? AND stream_seq <= ?)
WHERE stream_seq <= ?
GROUP BY key_hash
HAVING count() > 1`

const qInsertDuplicateScan = `INSERT INTO duplicate_scans (through_seq, rows, at_ns)`

// qDuplicateCopies returns every stored copy, up to a run's high-water mark, of
// the events that may have more than one, with their place in the stream.
const qDuplicateCopies = `SELECT source, id, stream_seq, msg_pos FROM events
PREWHERE key_hash IN (SELECT key_hash FROM event_duplicates)
WHERE stream_seq <= ?`

const resultCaseColumns = `run_id, case_kind, case_id, unit, cadre, late_response, unresolved, dissatisfied, overdue,
    severity, points, tolerated, decision_id, reopened`

const qInsertResultCases = `INSERT INTO result_cases (` + resultCaseColumns + `)`

// qUnitCases returns the cases of one run that count for a unit: those of
// every unit whose path in the run's tree passes through it. Parameters: run,
// run, unit.
const qUnitCases = `SELECT ` + resultCaseColumns + ` FROM result_cases
WHERE run_id = ? AND unit IN (SELECT subject FROM scores WHERE run_id = ? AND subject_kind = 'unit' AND has(path, ?))`

// qCadreCases returns the cases of one run that count for a cadre. Parameters: run, cadre.
const qCadreCases = `SELECT ` + resultCaseColumns + ` FROM result_cases WHERE run_id = ? AND cadre = ?`

// qRunCases returns every case a run lists, in a fixed order.
const qRunCases = `SELECT ` + resultCaseColumns + ` FROM result_cases WHERE run_id = ? ORDER BY case_kind, case_id, unit, cadre`
