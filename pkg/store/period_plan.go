package store

import (
	"context"
	"fmt"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// caseQuery is one partition of one family's cases.
type caseQuery struct {
	name   string
	family family
	args   []any
}

// planCases sizes each family by the rows that place its cases in the period
// and splits the big ones into partitions of their case hashes. Each query
// has a name of its own (sizes, cut-<family>): a query id is free again only
// once the server has let the query go, which on a cluster's Distributed
// table can come after its last row reached the client.
func (s *Store) planCases(ctx context.Context, scan PeriodScan, p period.Period, highWater uint64) ([]caseQuery, error) {
	partitionRows := scan.PartitionRows
	start, end := p.StartNs(), p.EndNs()
	var defining [4]uint64
	if err := s.conn.QueryRow(s.queryCtx(ctx, scan, "sizes", nil), qPeriodCases, start, end, start, end, start, end, p.Label, highWater).
		Scan(&defining[0], &defining[1], &defining[2], &defining[3]); err != nil {
		return nil, fmt.Errorf("size the cases of %s: %w", p.Label, err)
	}
	var plan []caseQuery
	for i, f := range families {
		parts := max(1, (int(defining[i])*rowsPerCase[f.kind]+partitionRows-1)/partitionRows)
		member := []any{start, end}
		if f.kind == event.KindReview {
			member = []any{p.Label}
		}
		cuts, err := s.cuts(s.queryCtx(ctx, scan, "cut-"+string(f.kind), nil), f, member, highWater, int(defining[i]), parts)
		if err != nil {
			return nil, err
		}
		for part := 0; part <= len(cuts); part++ {
			lo, hi, unbounded := "", "", uint8(1)
			if part > 0 {
				lo = cuts[part-1]
			}
			if part < len(cuts) {
				hi, unbounded = cuts[part], 0
			}
			args := append([]any{lo, unbounded, hi, lo, unbounded, hi, highWater}, member...)
			plan = append(plan, caseQuery{name: fmt.Sprintf("%s-%d-of-%d", f.kind, part+1, len(cuts)+1), family: f,
				args: append(args, highWater)})
		}
	}
	return plan, nil
}

// cuts returns the case ids that cut a family of n defining rows into parts
// of about equal size, from a sample of some 200 ids a part; none for one part.
func (s *Store) cuts(ctx context.Context, f family, member []any, highWater uint64, n, parts int) ([]string, error) {
	if parts <= 1 {
		return nil, nil
	}
	every := uint64(max(1, n/(parts*200)))
	rows, err := s.conn.Query(ctx, f.bounds(), append(append([]any{highWater}, member...), every)...)
	if err != nil {
		return nil, fmt.Errorf("cut the %s cases: %w", f.kind, err)
	}
	defer rows.Close()
	var sample []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		sample = append(sample, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var cuts []string
	for k := 1; k < parts && len(sample) > 0; k++ {
		if c := sample[k*len(sample)/parts]; len(cuts) == 0 || c > cuts[len(cuts)-1] {
			cuts = append(cuts, c)
		}
	}
	return cuts, nil
}
