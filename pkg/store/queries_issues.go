package store

// SQL of the problems a review-meeting report lists (issues.go). Parameters
// are bound (?).

// issueStates is the FROM of both issue queries: every issue of a period (by
// its due, period_ns) up to a high water, its list and unit and cadre as its
// first copy of issue.listed says, and the type of its latest closing or
// reopening by event time (” when none). Parameters: high water, period
// start, period end, high water.
const issueStates = `(
    SELECT case_id, argMin(list, stream_seq) AS list, argMin(unit, stream_seq) AS unit, argMin(cadre, stream_seq) AS cadre
    FROM events
    WHERE type = 'kaoping.issue.listed' AND stream_seq <= ? AND period_ns >= ? AND period_ns < ?
    GROUP BY case_id
) ANY LEFT JOIN (
    SELECT case_id, argMax(type, time_ns) AS state
    FROM events
    WHERE type IN ('kaoping.issue.closed', 'kaoping.issue.reopened') AND stream_seq <= ?
    GROUP BY case_id
) USING case_id`

// qUnitIssues lists the issues of a unit's subtree in a run's tree.
// Parameters: those of issueStates, then run, unit.
const qUnitIssues = `SELECT case_id, list, state FROM ` + issueStates + `
WHERE unit IN (SELECT subject FROM scores WHERE run_id = ? AND subject_kind = 'unit' AND has(path, ?))
ORDER BY case_id`

// qCadreIssues lists the issues of a cadre. Parameters: those of
// issueStates, then cadre.
const qCadreIssues = `SELECT case_id, list, state FROM ` + issueStates + `
WHERE cadre = ?
ORDER BY case_id`
