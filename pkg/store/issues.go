package store

import (
	"context"
	"fmt"

	"kaoping/pkg/period"
)

// Issue is one problem of a period as a review-meeting report lists it: its
// list, and whether it is open (never closed, or reopened after its latest
// closing) as of the run's high water.
type Issue struct {
	ID   string
	List string
	Open bool
}

// UnitIssues returns the issues of a period whose unit lies in unit's
// subtree in the run's stored tree, by id.
func (s *Store) UnitIssues(ctx context.Context, run Run, p period.Period, unit string) ([]Issue, error) {
	return s.issues(ctx, qUnitIssues, run.HighWater, p.StartNs(), p.EndNs(), run.HighWater, run.ID, unit)
}

// CadreIssues returns the issues of a period that name cadre, by id.
func (s *Store) CadreIssues(ctx context.Context, run Run, p period.Period, cadre string) ([]Issue, error) {
	return s.issues(ctx, qCadreIssues, run.HighWater, p.StartNs(), p.EndNs(), run.HighWater, cadre)
}

func (s *Store) issues(ctx context.Context, q string, args ...any) ([]Issue, error) {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query issues: %w", err)
	}
	defer rows.Close()
	var out []Issue
	for rows.Next() {
		var i Issue
		var state string
		if err := rows.Scan(&i.ID, &i.List, &state); err != nil {
			return nil, fmt.Errorf("scan issue: %w", err)
		}
		i.Open = state != "kaoping.issue.closed"
		out = append(out, i)
	}
	return out, rows.Err()
}
