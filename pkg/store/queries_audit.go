package store

// The audit log (SPEC §6): who read or was refused what, when, from where,
// and the answer.

const auditColumns = `at_ns, service, principal, role, method, path, query, status, remote, forwarded_for`

const qInsertAudit = `INSERT INTO audit_log (` + auditColumns + `)`

// A page of the audit log is read in two steps, so that the wide columns
// (path, query, addresses) are read for the page's rows only: the instants of
// the page first (one narrow column, sorted), then the rows between the
// page's first and last instant, which Go orders and cuts (rows of one
// instant, rare, may straddle the page's edges).

// qAuditPageInstants are the instants of a page of the entries in [from, to),
// optionally of one principal, newest first. Parameters: from, to, principal
// ×2, offset, limit.
const qAuditPageInstants = `SELECT at_ns FROM audit_log
WHERE at_ns >= ? AND at_ns < ? AND (? = '' OR principal = ?)
ORDER BY at_ns DESC
LIMIT ?, ?`

// qCountAudit counts the entries of the filter, and those of them after an
// instant (before the page's first). Parameters: after, from, to, principal ×2.
const qCountAudit = `SELECT count(), countIf(at_ns > ?) FROM audit_log WHERE at_ns >= ? AND at_ns < ? AND (? = '' OR principal = ?)`

// qAuditEntries are the entries of the filter between two instants, both
// included. Parameters: low, high, principal ×2.
const qAuditEntries = `SELECT ` + auditColumns + `
FROM audit_log
WHERE at_ns >= ? AND at_ns <= ? AND (? = '' OR principal = ?)`
