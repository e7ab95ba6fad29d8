package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"kaoping/pkg/scoring"
)

// Run is the state of one scoring run (SPEC §5 "Runs").
type Run struct {
	ID          string
	Period      string
	Model       string
	ModelSHA256 string
	// Kind is "ordinary", or "correction" for a run of a finalised period.
	Kind      string
	AsOfNs    int64
	HighWater uint64
	// Status is running, done or failed.
	Status string
	Error  string
	// Counts is a JSON object.
	Counts    string
	UpdatedNs int64
}

// Run states.
const (
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// SaveRun appends the run's current state; earlier states stay.
func (s *Store) SaveRun(ctx context.Context, r Run) error {
	if r.UpdatedNs == 0 {
		r.UpdatedNs = time.Now().UnixNano()
	}
	if r.Counts == "" {
		r.Counts = "{}"
	}
	batch, err := s.conn.PrepareBatch(ctx, qInsertRun)
	if err != nil {
		return fmt.Errorf("prepare run: %w", err)
	}
	if err := batch.Append(r.ID, r.Period, r.Model, r.ModelSHA256, r.Kind, r.AsOfNs, r.HighWater, r.Status, r.Error, r.Counts, r.UpdatedNs); err != nil {
		_ = batch.Abort()
		return fmt.Errorf("append run: %w", err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	return nil
}

// Runs returns the newest state of every run of a period ("" for all), oldest first.
func (s *Store) Runs(ctx context.Context, period string) ([]Run, error) {
	return s.runs(ctx, period, "")
}

// Run returns the newest state of one run, or ErrNotFound.
func (s *Store) Run(ctx context.Context, id string) (Run, error) {
	runs, err := s.runs(ctx, "", id)
	if err != nil {
		return Run{}, err
	}
	if len(runs) == 0 {
		return Run{}, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	return runs[0], nil
}

// RunsPage returns a page of the runs of a period ("" for all), oldest
// first, and how many there are in all.
func (s *Store) RunsPage(ctx context.Context, period, model string, offset, limit int) ([]Run, uint64, error) {
	var total uint64
	if err := s.conn.QueryRow(ctx, qCountRuns, period, period, model, model).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count runs: %w", err)
	}
	if limit <= 0 || uint64(offset) >= total {
		return nil, total, nil
	}
	rows, err := s.conn.Query(ctx, qRunsPage, period, period, model, model, offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("query runs: %w", err)
	}
	runs, err := scanRuns(rows)
	return runs, total, err
}

func (s *Store) runs(ctx context.Context, period, id string) ([]Run, error) {
	rows, err := s.conn.Query(ctx, qRuns, period, period, id, id)
	if err != nil {
		return nil, fmt.Errorf("query runs: %w", err)
	}
	return scanRuns(rows)
}

func scanRuns(rows driver.Rows) ([]Run, error) {
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		if err := rows.Scan(&r.ID, &r.Period, &r.Model, &r.ModelSHA256, &r.Kind, &r.AsOfNs, &r.HighWater, &r.Status, &r.Error, &r.Counts, &r.UpdatedNs); err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Result is one subject's stored result in one run.
type Result struct {
	RunID      string
	Period     string
	Kind       string
	Subject    string
	Name       string
	Level      string
	Unit       string
	Path       []string
	Scored     bool
	ScoreCenti int64
	// Detail is the explanation as JSON.
	Detail string
}

// SaveResults writes a run's results in one batch, column by column (a
// province's run writes 325,000 of them).
func (s *Store) SaveResults(ctx context.Context, results []Result) error {
	if len(results) == 0 {
		return nil
	}
	n := len(results)
	var (
		run, per, kind, subject, name, level, unit, detail = make([]string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		path   = make([][]string, n)
		scored = make([]uint8, n)
		score  = make([]int64, n)
	)
	for i, r := range results {
		run[i], per[i], kind[i], subject[i], name[i], level[i], unit[i], detail[i] = r.RunID, r.Period, r.Kind, r.Subject, r.Name, r.Level, r.Unit, r.Detail
		path[i], scored[i], score[i] = r.Path, u8(r.Scored), r.ScoreCenti
		if path[i] == nil {
			path[i] = []string{}
		}
	}
	return s.insertColumns(ctx, qInsertResults, run, per, kind, subject, name, level, unit, path, scored, score, detail)
}

// inKeyOrder returns the places 0…n-1 in the order of compare, ties in place
// order: rows inserted in the order of their table's key. ClickHouse 18.16
// sorts every insert by the key, and sorting 100,000 result cases by four
// strings cost it 90–160 ms of an insert's 125–195; rows already in order
// took 37–44 ms (measured against the test server), while the scorer sorts
// them in some tens of milliseconds.
func inKeyOrder(n int, compare func(a, b int) int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := compare(a, b); c != 0 {
			return c
		}
		return a - b
	})
	return order
}

// insertColumns inserts one batch given column by column, in the order of
// the statement's column list: no reflection per row.
func (s *Store) insertColumns(ctx context.Context, insert string, columns ...any) error {
	batch, err := s.conn.PrepareBatch(ctx, insert)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", insert, err)
	}
	cols := batch.Columns()
	for i, c := range columns {
		if err := appendColumn(batch, cols, i, c); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("%s: column %d: %w", insert, i, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("%s: %w", insert, err)
	}
	return nil
}

// Results returns a run's results of one subject kind ("unit" or "cadre"),
// all subjects when subject is "": from table results for a run stored before
// runs placed their results, else from scores (the detail then has no lists;
// see ResultCases).
func (s *Store) Results(ctx context.Context, runID, kind, subject string) ([]Result, error) {
	out, err := s.legacyResults(ctx, runID, kind, subject)
	if err != nil || len(out) > 0 {
		return out, err
	}
	var placed []ScoreRow
	if subject == "" {
		all, err := s.RunScores(ctx, runID)
		if err != nil {
			return nil, err
		}
		for _, x := range all {
			if x.Kind == kind {
				placed = append(placed, x)
			}
		}
	} else if x, err := s.ScoreOf(ctx, runID, kind, subject); err == nil {
		placed = []ScoreRow{x}
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	for _, x := range placed {
		d := scoring.Detail{Indicators: x.Ratios.Indicators(), Base: x.Base, PenaltyPoints: x.PenaltyPoints, Penalty: x.Penalty, Pending: x.Pending}
		out = append(out, Result{RunID: runID, Kind: kind, Subject: x.Subject, Name: x.Name, Level: x.Level, Unit: x.Unit,
			Path: x.Path, Scored: x.Scored, ScoreCenti: x.ScoreCenti, Detail: string(d.AppendJSON(nil))})
	}
	return out, nil
}

func (s *Store) legacyResults(ctx context.Context, runID, kind, subject string) ([]Result, error) {
	rows, err := s.conn.Query(ctx, qResults, runID, kind, subject, subject)
	if err != nil {
		return nil, fmt.Errorf("query results: %w", err)
	}
	defer rows.Close()
	var out []Result
	for rows.Next() {
		var r Result
		var scored uint8
		if err := rows.Scan(&r.RunID, &r.Period, &r.Kind, &r.Subject, &r.Name, &r.Level, &r.Unit, &r.Path, &scored, &r.ScoreCenti, &r.Detail); err != nil {
			return nil, fmt.Errorf("scan result: %w", err)
		}
		r.Scored = scored == 1
		out = append(out, r)
	}
	return out, rows.Err()
}

// DoneRuns picks the done runs out of a period's runs, for scoring.FinalRun.
func DoneRuns(runs []Run) []scoring.RunRef {
	var done []scoring.RunRef
	for _, x := range runs {
		if x.Status == StatusDone {
			done = append(done, scoring.RunRef{ID: x.ID, AsOfNs: x.AsOfNs})
		}
	}
	return done
}

// PeriodVersion changes whenever a run of the period changes state or the
// period is finalised: a reader that cached what it read of the period's
// runs checks it in one cheap query.
func (s *Store) PeriodVersion(ctx context.Context, period string) ([2]int64, error) {
	var v [2]int64
	if err := s.conn.QueryRow(pointRead(ctx), qPeriodVersion, period, period).Scan(&v[0], &v[1]); err != nil {
		return v, fmt.Errorf("version of %s: %w", period, err)
	}
	return v, nil
}
