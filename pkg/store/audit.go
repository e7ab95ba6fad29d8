package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
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

// AuditEntries returns a page of the entries that match f, newest first
// (entries of one instant in the order of their service, principal, method,
// path, query, status and addresses), and how many match in all.
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter, offset, limit int) ([]AuditEntry, uint64, error) {
	from, to := f.From.UnixNano(), f.To.UnixNano()
	out := []AuditEntry{}
	var instants []int64
	if limit > 0 {
		rows, err := s.conn.Query(ctx, qAuditPageInstants, from, to, f.Principal, f.Principal, offset, limit)
		if err != nil {
			return nil, 0, fmt.Errorf("read audit instants: %w", err)
		}
		for rows.Next() {
			var at int64
			if err := rows.Scan(&at); err != nil {
				rows.Close()
				return nil, 0, fmt.Errorf("scan audit instant: %w", err)
			}
			instants = append(instants, at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
	}
	high := int64(math.MaxInt64)
	if len(instants) > 0 {
		high = instants[0]
	}
	var total, above uint64
	if err := s.conn.QueryRow(ctx, qCountAudit, high, from, to, f.Principal, f.Principal).Scan(&total, &above); err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", err)
	}
	if len(instants) == 0 {
		return out, total, nil
	}
	rows, err := s.conn.Query(ctx, qAuditEntries, instants[len(instants)-1], high, f.Principal, f.Principal)
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
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	slices.SortFunc(out, func(a, b AuditEntry) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Principal, b.Principal),
			strings.Compare(a.Method, b.Method), strings.Compare(a.Path, b.Path), strings.Compare(a.Query, b.Query),
			cmp.Compare(a.Status, b.Status), strings.Compare(a.Remote, b.Remote), strings.Compare(a.ForwardedFor, b.ForwardedFor),
			strings.Compare(a.Role, b.Role))
	})
	// The entries of the page's first instant that the pages before hold.
	skip := min(max(offset-int(above), 0), len(out))
	out = out[skip:]
	return out[:min(limit, len(out))], total, nil
}
