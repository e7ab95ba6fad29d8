package store

import (
	"cmp"
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"

	"kaoping/pkg/scoring"
)

// ScoreRow is one subject's result in a run, placed among all the peers of
// its level (table scores).
type ScoreRow struct {
	RunID   string
	Kind    string
	Level   string
	Pos     int
	Subject string
	Name    string
	Unit    string
	Path    []string
	Scored  bool
	// ScoreCenti is the score in hundredths; Rank 0 and Grade "" when unscored.
	ScoreCenti    int64
	Rank          int
	Grade         string
	Ratios        scoring.Ratios
	Base          string
	PenaltyPoints int64
	Penalty       int64
	Pending       scoring.PendingCounts
	// Band is the subject's peer band, within which Rank and Pos count;
	// Labels its labels as JSON ([{"label","reason"}]). Both "" for a model
	// without them.
	Band   string
	Labels string
}

// SaveScores writes placed results in one batch, column by column.
func (s *Store) SaveScores(ctx context.Context, rows []ScoreRow) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	str := func() []string { return make([]string, n) }
	i64 := func() []int64 { return make([]int64, n) }
	u32 := func() []uint32 { return make([]uint32, n) }
	run, kind, level, subject, name, unit, grade, reviewNum, reviewValue, base, reviewExact := str(), str(), str(), str(), str(), str(), str(), str(), str(), str(), str()
	pos, rank, pr, ps, pi := u32(), u32(), u32(), u32(), u32()
	score, pts, penalty, satScale := i64(), i64(), i64(), i64()
	insufficient := make([]uint8, n)
	band, labels := str(), str()
	var num, den [4][]int64
	for k := range num {
		num[k], den[k] = i64(), i64()
	}
	path := make([][]string, n)
	scored := make([]uint8, n)
	// In the order of the table's key (run_id, subject_kind, level, pos).
	order := inKeyOrder(n, func(a, b int) int {
		x, y := &rows[a], &rows[b]
		return cmp.Or(cmp.Compare(x.RunID, y.RunID), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Level, y.Level), cmp.Compare(x.Pos, y.Pos))
	})
	for i, at := range order {
		r := &rows[at]
		run[i], kind[i], level[i], subject[i], name[i], unit[i], grade[i] = r.RunID, r.Kind, r.Level, r.Subject, r.Name, r.Unit, r.Grade
		reviewNum[i], reviewValue[i], base[i], reviewExact[i] = r.Ratios.ReviewNum, r.Ratios.ReviewValue, r.Base, r.Ratios.ReviewExact
		pos[i], rank[i] = uint32(r.Pos), uint32(r.Rank)
		pr[i], ps[i], pi[i] = uint32(r.Pending.Responses), uint32(r.Pending.Resolutions), uint32(r.Pending.Issues)
		score[i], pts[i], penalty[i], scored[i] = r.ScoreCenti, r.PenaltyPoints, r.Penalty, u8(r.Scored)
		for k := range num {
			num[k][i], den[k][i] = r.Ratios.Num[k], r.Ratios.Den[k]
		}
		satScale[i], insufficient[i] = max(1, r.Ratios.SatScale), r.Ratios.Insufficient
		band[i], labels[i] = r.Band, r.Labels
		if path[i] = r.Path; path[i] == nil {
			path[i] = []string{}
		}
	}
	return s.insertColumns(ctx, qInsertScores, run, kind, level, pos, subject, name, unit, path, scored, score, rank, grade,
		num[0], den[0], num[1], den[1], num[2], den[2], num[3], den[3], reviewNum, reviewValue, base, pts, penalty, pr, ps, pi, reviewExact, satScale, insufficient, band, labels)
}

// ScorePage returns what ranking rows show (place, subject, name, score,
// rank, grade and ratios) of one level of a run placed in [from, to).
func (s *Store) ScorePage(ctx context.Context, runID, kind, level string, from, to int) ([]ScoreRow, error) {
	rows, err := s.conn.Query(pointRead(ctx), qScorePage, runID, kind, level, uint32(from), uint32(min(to, 1<<32-1)))
	if err != nil {
		return nil, fmt.Errorf("query scores: %w", err)
	}
	defer rows.Close()
	var out []ScoreRow
	for rows.Next() {
		r := ScoreRow{RunID: runID, Kind: kind, Level: level}
		var pos, rank uint32
		var scored uint8
		rt := &r.Ratios
		if err := rows.Scan(&pos, &r.Subject, &r.Name, &scored, &r.ScoreCenti, &rank, &r.Grade,
			&rt.Num[0], &rt.Den[0], &rt.Num[1], &rt.Den[1], &rt.Num[2], &rt.Den[2], &rt.Num[3], &rt.Den[3], &rt.ReviewNum, &rt.ReviewValue, &rt.SatScale, &rt.Insufficient, &r.Band, &r.Labels); err != nil {
			return nil, fmt.Errorf("scan score: %w", err)
		}
		rt.SatScale = wholeCases(rt.SatScale)
		r.Pos, r.Rank, r.Scored = int(pos), int(rank), scored == 1
		out = append(out, r)
	}
	return out, rows.Err()
}

// ScoresIn returns the rows of the given subjects of one level of a run, in no order.
func (s *Store) ScoresIn(ctx context.Context, runID, kind, level string, subjects []string) ([]ScoreRow, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	return s.scoreRows(ctx, qScoresIn, runID, kind, level, subjects)
}

// ScoreOf returns one subject's row of a run, or ErrNotFound.
func (s *Store) ScoreOf(ctx context.Context, runID, kind, subject string) (ScoreRow, error) {
	rows, err := s.scoreRows(ctx, qScoreOf, runID, kind, subject)
	if err != nil {
		return ScoreRow{}, err
	}
	if len(rows) == 0 {
		return ScoreRow{}, fmt.Errorf("%s %s of run %s: %w", kind, subject, runID, ErrNotFound)
	}
	return rows[0], nil
}

// ScorePeers is the number of peers of one level of a run.
func (s *Store) ScorePeers(ctx context.Context, runID, kind, level string) (int, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, qScorePeers, runID, kind, level).Scan(&n); err != nil {
		return 0, fmt.Errorf("peers of %s %s in run %s: %w", kind, level, runID, err)
	}
	return int(n), nil
}

// SubtreeEntries returns what ranking the peers of one level inside unit's
// subtree needs.
func (s *Store) SubtreeEntries(ctx context.Context, runID, kind, level, unit string) ([]scoring.Entry, error) {
	rows, err := s.conn.Query(ctx, qSubtreeEntries, runID, kind, level, unit)
	if err != nil {
		return nil, fmt.Errorf("query peers under %s: %w", unit, err)
	}
	defer rows.Close()
	var out []scoring.Entry
	for rows.Next() {
		var e scoring.Entry
		var scored uint8
		if err := rows.Scan(&e.ID, &scored, &e.ScoreCenti, &e.Band); err != nil {
			return nil, fmt.Errorf("scan peer: %w", err)
		}
		e.Scored = scored == 1
		out = append(out, e)
	}
	return out, rows.Err()
}

// scoreRows reads rows of scoreColumns.
func (s *Store) scoreRows(ctx context.Context, q string, args ...any) ([]ScoreRow, error) {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query scores: %w", err)
	}
	defer rows.Close()
	var out []ScoreRow
	for rows.Next() {
		var r ScoreRow
		var pos, rank, pr, ps, pi uint32
		var scored uint8
		rt := &r.Ratios
		dest := []any{&r.RunID, &r.Kind, &r.Level, &pos, &r.Subject, &r.Name, &r.Unit, &r.Path, &scored, &r.ScoreCenti, &rank, &r.Grade,
			&rt.Num[0], &rt.Den[0], &rt.Num[1], &rt.Den[1], &rt.Num[2], &rt.Den[2], &rt.Num[3], &rt.Den[3], &rt.ReviewNum, &rt.ReviewValue,
			&r.Base, &r.PenaltyPoints, &r.Penalty, &pr, &ps, &pi, &rt.ReviewExact, &rt.SatScale, &rt.Insufficient, &r.Band, &r.Labels}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan score: %w", err)
		}
		rt.SatScale = wholeCases(rt.SatScale)
		r.Pos, r.Rank, r.Scored = int(pos), int(rank), scored == 1
		r.Pending = scoring.PendingCounts{Responses: int(pr), Resolutions: int(ps), Issues: int(pi)}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RunScores returns every row of a run, by kind, level and place.
func (s *Store) RunScores(ctx context.Context, runID string) ([]ScoreRow, error) {
	return s.scoreRows(ctx, qRunScores, runID)
}

// HasScores reports whether a run stored placed results (runs before table
// scores have only results).
func (s *Store) HasScores(ctx context.Context, runID string) (bool, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, qHasScores, runID).Scan(&n); err != nil {
		return false, fmt.Errorf("scores of run %s: %w", runID, err)
	}
	return n > 0, nil
}

// wholeCases reads a stored satisfaction scale as scoring.Ratios holds it:
// 0 for whole cases (the column's default of 1).
func wholeCases(scale int64) int64 {
	if scale <= 1 {
		return 0
	}
	return scale
}

// pointRead marks a query that reads a granule or two: one thread is all it
// needs, and a server answering 200 of them a second should not start two
// for each.
func pointRead(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_threads": 1}))
}
