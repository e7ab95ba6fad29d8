package store

// SQL of a run's placed results (scores.go). Parameters are bound (?).

const scoreColumns = `run_id, subject_kind, level, pos, subject, name, unit, path, scored, score_centi, rank, grade,
    response_num, response_den, resolution_num, resolution_den, satisfaction_num, satisfaction_den, closure_num, closure_den,
    review_num, review_value, base, penalty_points, penalty, pending_responses, pending_resolutions, pending_issues, review_exact,
    satisfaction_scale, insufficient, peer_band, labels`

const qInsertScores = `INSERT INTO scores (` + scoreColumns + `)`

// pageColumns are what a ranking row shows, beside its place.
const pageColumns = `pos, subject, name, scored, score_centi, rank, grade,
    response_num, response_den, resolution_num, resolution_den, satisfaction_num, satisfaction_den, closure_num, closure_den,
    review_num, review_value, satisfaction_scale, insufficient, peer_band, labels`

// qScorePage returns what ranking rows show of one level of a run whose
// places lie in [from, to), in order: the primary key's prefix and a range of
// pos, so only the granules of the page are read. Parameters: run, kind,
// level, from, to.
const qScorePage = `SELECT ` + pageColumns + ` FROM scores
WHERE run_id = ? AND subject_kind = ? AND level = ? AND pos >= ? AND pos < ?
ORDER BY pos`

// qScorePeers counts the peers of one level of a run. Parameters: run, kind, level.
const qScorePeers = `SELECT count() FROM scores WHERE run_id = ? AND subject_kind = ? AND level = ?`

// qScoreOf returns one subject's row. Parameters: run, kind, subject.
const qScoreOf = `SELECT ` + scoreColumns + ` FROM scores WHERE run_id = ? AND subject_kind = ? AND subject = ? LIMIT 1`

// qScoresIn returns the rows of some subjects of one level. Parameters: run,
// kind, level, subjects.
const qScoresIn = `SELECT ` + scoreColumns + ` FROM scores WHERE run_id = ? AND subject_kind = ? AND level = ? AND has(?, subject)`

// qSubtreeEntries returns what ranking the peers of a level inside a subtree
// needs. Parameters: run, kind, level, unit.
const qSubtreeEntries = `SELECT subject, scored, score_centi, peer_band FROM scores
WHERE run_id = ? AND subject_kind = ? AND level = ? AND has(path, ?)`

// qRunScores returns every row of a run, in order. Parameters: run.
const qRunScores = `SELECT ` + scoreColumns + ` FROM scores WHERE run_id = ? ORDER BY subject_kind, level, pos`

// qHasScores tells whether a run placed its results. Parameters: run.
const qHasScores = `SELECT count() FROM (SELECT 1 FROM scores WHERE run_id = ? LIMIT 1)`

// qPeriodVersion is what changes when a period's runs or finalisations do:
// the newest state change of its runs and its newest finalisation, in one
// round trip. Parameters: period, period.
const qPeriodVersion = `SELECT (SELECT max(updated_ns) FROM runs WHERE period = ?), (SELECT max(at_ns) FROM finalizations WHERE period = ?)`
