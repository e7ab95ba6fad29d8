package store

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one request to an audited endpoint: a read of rankings,
// explanations, reports, runs or dead letters, an admin's action, or a
// request refused for its token (SPEC §6, issue 14).
type AuditEntry struct {
	At time.Time
	// Service is the one that answered: api, scorer or aggregator.
	Service string
	// Principal and Role are the token's; both are empty when the request
	// carried no known token.
	Principal string
	Role      string
	Method    string
	Path      string
	Query     string
	Status    uint16
	// Remote is the peer's address; ForwardedFor the X-Forwarded-For header
	// as the client sent it (a proxy's claim, unchecked).
	Remote       string
	ForwardedFor string
}

// Audit appends an entry to the audit log.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return s.AuditBatch(ctx, []AuditEntry{e})
}

// AuditBatch appends entries to the audit log in one insert.
func (s *Store) AuditBatch(ctx context.Context, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, qInsertAudit)
	if err != nil {
		return fmt.Errorf("prepare audit: %w", err)
	}
	for _, e := range entries {
		if err := batch.Append(e.At.UnixNano(), e.Service, e.Principal, e.Role, e.Method, e.Path, e.Query, e.Status, e.Remote, e.ForwardedFor); err != nil {
			_ = batch.Abort()
			return err
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write %d audit entries: %w", len(entries), err)
	}
	return nil
}

// AuditFilter picks entries of the audit log: those at or after From and
// before To, of one Principal when it is set.
type AuditFilter struct {
	From, To  time.Time
	Principal string
}

// AuditEntries returns a page of the entries that match f, newest first,
// and how many match in all.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter, offset, limit int) ([]AuditEntry, uint64, error) {
	from, to := f.From.UnixNano(), f.To.UnixNano()
	var total uint64
	if err := s.conn.QueryRow(ctx, qCountAudit, from, to, f.Principal, f.Principal).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", err)
	}
	out := []AuditEntry{}
	if limit <= 0 || uint64(offset) >= total {
		return out, total, nil
	}
	rows, err := s.conn.Query(ctx, qAuditEntries, from, to, f.Principal, f.Principal, offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read audit entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&at, &e.Service, &e.Principal, &e.Role, &e.Method, &e.Path, &e.Query, &e.Status, &e.Remote, &e.ForwardedFor); err != nil {
			return nil, 0, fmt.Errorf("scan audit entry: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		out = append(out, e)
	}
	return out, total, rows.Err()
}
