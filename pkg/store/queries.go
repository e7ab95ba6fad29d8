package store

// All SQL of the store. Parameters are bound (?), never concatenated. Every
// statement runs on ClickHouse 18.16 and current releases: no window
// functions, no JSONExtract*, no DateTime64, no FINAL.

const qCreateMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    name String,
    applied_ns Int64
) ENGINE = MergeTree ORDER BY name`

const qAppliedMigrations = `SELECT DISTINCT name FROM schema_migrations`

const qDatabaseExists = `SELECT count() FROM system.databases WHERE name = ?`

const qMigrationsTableExists = `SELECT count() FROM system.tables WHERE database = ? AND name = 'schema_migrations'`

// The engine (with its arguments and clauses) and the columns of a table, as
// a cluster's DDL copies them (cluster.go).
const qTableEngine = `SELECT engine_full FROM system.tables WHERE database = ? AND name = ?`

const qTableColumns = `SELECT name, type, default_kind, default_expression FROM system.columns WHERE database = ? AND table = ?`

// What a store on a cluster checks at start (cluster.go): the cluster's
// hosts, and the profile's distributed_product_mode.
const qClusterHosts = `SELECT count() FROM system.clusters WHERE cluster = ?`

// qClusterDatabaseHosts counts the servers of a cluster that have a database.
const qClusterDatabaseHosts = `SELECT count() FROM cluster(?, system.databases) WHERE name = ?`

// qClusterReplicas is the fewest and the most replicas of a shard of a cluster.
const qClusterReplicas = `SELECT min(n), max(n) FROM (SELECT shard_num, count() AS n FROM system.clusters WHERE cluster = ? GROUP BY shard_num)`

const qProductMode = `SELECT value FROM system.settings WHERE name = 'distributed_product_mode'`

const qRecordMigration = `INSERT INTO schema_migrations (name, applied_ns)`

// eventColumns is the column list of events, in the order of event.Record.
const eventColumns = `source, id, type, time_ns, ingest_ns, stream_seq, msg_pos, case_id, period_ns,
    unit, cadre, name, level, parent, position, category, list, severity, reason,
    response_due_ns, resolve_due_ns, due_ns, resolved, rating,
    decision_id, basis, summary, subject_kind, subject, review_period, rater_group, score, raw`

const qInsertEvents = `INSERT INTO events (` + eventColumns + `)`

// qPeriodEvents returns every stored copy (up to the high-water mark) of every
// event that may concern a period: the org upserts dated before its end, and
// all events of the complaints, issues and errors that have a defining event
// placing them in the period, and of the reviews labelled with it. It is a
// superset on purpose: whole (source, id) groups come back, so the scorer can
// keep the first copy of each and apply the rules exactly in Go.
//
// Parameters: hwm ×2, end, then per case family hwm, start, end, and for
// reviews hwm, label.
const qPeriodEvents = `SELECT ` + eventColumns + `
FROM events
WHERE stream_seq <= ? AND (source, id) IN (
    SELECT source, id FROM events
    WHERE stream_seq <= ? AND (
        (type IN ('kaoping.org.unit.upserted', 'kaoping.org.cadre.upserted') AND time_ns < ?)
        OR (type IN ('kaoping.complaint.assigned', 'kaoping.complaint.responded', 'kaoping.complaint.resolved',
                     'kaoping.complaint.rated', 'kaoping.complaint.reopened', 'kaoping.complaint.excluded')
            AND case_id IN (SELECT case_id FROM events WHERE type = 'kaoping.complaint.assigned'
                            AND stream_seq <= ? AND period_ns >= ? AND period_ns < ?))
        OR (type IN ('kaoping.issue.listed', 'kaoping.issue.closed', 'kaoping.issue.reopened')
            AND case_id IN (SELECT case_id FROM events WHERE type = 'kaoping.issue.listed'
                            AND stream_seq <= ? AND period_ns >= ? AND period_ns < ?))
        OR (type IN ('kaoping.error.recorded', 'kaoping.error.tolerated')
            AND case_id IN (SELECT case_id FROM events WHERE type = 'kaoping.error.recorded'
                            AND stream_seq <= ? AND period_ns >= ? AND period_ns < ?))
        OR (type = 'kaoping.review.rated'
            AND case_id IN (SELECT case_id FROM events WHERE type = 'kaoping.review.rated'
                            AND stream_seq <= ? AND review_period = ?))
    )
)
ORDER BY stream_seq, msg_pos`

// qCountEvents counts the distinct events stored (a duplicate counts once).
const qCountEvents = `SELECT count() FROM (SELECT source, id FROM events GROUP BY source, id)`

const runColumns = `run_id, period, model, model_sha256, kind, as_of_ns, high_water, status, error, counts, updated_ns`

const qInsertRun = `INSERT INTO runs (` + runColumns + `)`

// qRuns returns the newest state of each run, optionally of one period or one id.
const runsSelect = `SELECT run_id,
    argMax(period, updated_ns), argMax(model, updated_ns), argMax(model_sha256, updated_ns),
    argMax(kind, updated_ns), argMax(as_of_ns, updated_ns), argMax(high_water, updated_ns),
    argMax(status, updated_ns), argMax(error, updated_ns), argMax(counts, updated_ns), max(updated_ns)
FROM runs`

const runsOrder = `
GROUP BY run_id
ORDER BY argMax(as_of_ns, updated_ns), run_id`

const qRuns = runsSelect + `
WHERE (? = '' OR period = ?) AND (? = '' OR run_id = ?)` + runsOrder

// qRunsPage is a page of the runs of a period ("" for all) and of a model
// ("" for all). Parameters: period ×2, model ×2, offset, limit.
const qRunsPage = runsSelect + `
WHERE (? = '' OR period = ?) AND (? = '' OR model = ?)` + runsOrder + `
LIMIT ?, ?`

// qCountRuns counts the runs of a period and a model ("" for all).
// Parameters: period ×2, model ×2.
const qCountRuns = `SELECT uniqExact(run_id) FROM runs WHERE (? = '' OR period = ?) AND (? = '' OR model = ?)`

const resultColumns = `run_id, period, subject_kind, subject, name, level, unit, path, scored, score_centi, detail`

const qInsertResults = `INSERT INTO results (` + resultColumns + `)`

// qResults returns one run's results of one subject kind, optionally one subject.
const qResults = `SELECT ` + resultColumns + `
FROM results
WHERE run_id = ? AND subject_kind = ? AND (? = '' OR subject = ?)
ORDER BY subject
LIMIT 1 BY subject`

// Rebuilding the events table from the stream (aggregator rebuild): a new
// table of the same structure is filled, then swapped in by name.
const (
	qDropRebuild   = `DROP TABLE IF EXISTS events_rebuild`
	qCreateRebuild = `CREATE TABLE events_rebuild AS events`
	// The events the live aggregator stored while the stream was read again.
	qCopyNewer  = `INSERT INTO events_rebuild SELECT * FROM events WHERE stream_seq > ?`
	qSwap       = `RENAME TABLE events TO events_replaced, events_rebuild TO events`
	qCopyLatest = `INSERT INTO events SELECT * FROM events_replaced WHERE stream_seq > ?`
	qDropOld    = `DROP TABLE IF EXISTS events_replaced`

	qInsertRebuild = `INSERT INTO events_rebuild (` + eventColumns + `)`
)
