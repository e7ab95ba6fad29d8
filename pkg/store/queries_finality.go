package store

// SQL of finalisations and diffs (finality.go). Parameters are bound (?).

const qInsertFinalization = `INSERT INTO finalizations (period, at_ns, principal, run_id, model, how)`

// qFinalizations returns a period's finalisations for one model, oldest
// first; rows from before models were named count for every model.
// Parameters: period, model.
const qFinalizations = `SELECT at_ns, run_id, how FROM finalizations WHERE period = ? AND (model = ? OR model = '') ORDER BY at_ns, run_id`

// qRunPeriods lists the periods that have runs of a model. Parameters: model.
const qRunPeriods = `SELECT DISTINCT period FROM runs WHERE model = ? ORDER BY period`

const qInsertDiff = `INSERT INTO run_diffs (run_id, against, body, at_ns)`

// qDiff returns a run's stored diff, the first one written. Parameters: run.
const qDiff = `SELECT against, body FROM run_diffs WHERE run_id = ? ORDER BY at_ns LIMIT 1`
