package store

// The audit log (SPEC §6): who read or was refused what, when, from where,
// and the answer.

const auditColumns = `at_ns, service, principal, role, method, path, query, status, remote, forwarded_for`

const qInsertAudit = `INSERT INTO audit_log (` + auditColumns + `)`

// qAuditEntries is a page of the entries in [from, to), optionally of one
// principal, newest first. Parameters: from, to, principal ×2, offset, limit.
const qAuditEntries = `SELECT ` + auditColumns + `
FROM audit_log
WHERE at_ns >= ? AND at_ns < ? AND (? = '' OR principal = ?)
ORDER BY at_ns DESC, service, principal, path, query
LIMIT ?, ?`

// qCountAudit counts the entries of qAuditEntries' filter. Parameters: from,
// to, principal ×2.
const qCountAudit = `SELECT count() FROM audit_log WHERE at_ns >= ? AND at_ns < ? AND (? = '' OR principal = ?)`
