package store

import (
	"context"
	"fmt"

	"kaoping/pkg/event"
	"kaoping/pkg/scoring"
)

// Standing is what comparing two runs needs of one subject.
type Standing struct {
	Kind, Subject, Name string
	Path                []string
	Scored              bool
	ScoreCenti          int64
	Rank                int
	Grade               string
	// Ratios are the subject's indicators, for telling which moved.
	Ratios scoring.Ratios
}

// Standings returns every subject of a run as a diff compares it.
func (s *Store) Standings(ctx context.Context, runID string) ([]Standing, error) {
	rows, err := s.conn.Query(ctx, qStandings, runID)
	if err != nil {
		return nil, fmt.Errorf("standings of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []Standing
	for rows.Next() {
		var x Standing
		var scored uint8
		var rank uint32
		rt := &x.Ratios
		if err := rows.Scan(&x.Kind, &x.Subject, &x.Name, &x.Path, &scored, &x.ScoreCenti, &rank, &x.Grade,
			&rt.Num[0], &rt.Den[0], &rt.Num[1], &rt.Den[1], &rt.Num[2], &rt.Den[2], &rt.Num[3], &rt.Den[3],
			&rt.ReviewNum, &rt.ReviewValue, &rt.SatScale, &rt.Insufficient); err != nil {
			return nil, fmt.Errorf("scan standing: %w", err)
		}
		rt.SatScale = wholeCases(rt.SatScale)
		x.Scored, x.Rank = scored == 1, int(rank)
		out = append(out, x)
	}
	return out, rows.Err()
}

// WindowEvents hands visit every event first stored in (after, through] by
// stream order, as of through: the events a run with high-water mark through
// saw and one with mark after did not. first must be FirstCopiesAt(through);
// an event stored twice in one place comes twice.
// Only the columns that say what an event concerns are read.
func (s *Store) WindowEvents(ctx context.Context, after, through uint64, first *FirstCopies, visit func(*event.Record)) error {
	rows, err := s.conn.Query(ctx, qWindowEvents, after, through)
	if err != nil {
		return fmt.Errorf("events in (%d, %d]: %w", after, through, err)
	}
	defer rows.Close()
	var r event.Record
	dest := []any{&r.Source, &r.ID, &r.Type, &r.CaseID, &r.TimeNs, &r.StreamSeq, &r.MsgPos}
	for rows.Next() {
		r = event.Record{}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("scan event: %w", err)
		}
		if first.IsFirst(r.StreamSeq, r.MsgPos) {
			visit(&r)
		}
	}
	return rows.Err()
}

// TouchedCases returns, family by family, the rows up to highWater (first
// copies) that say which subjects the cases named in (after, through] count
// for: their defining events, and every rating of a review.
func (s *Store) TouchedCases(ctx context.Context, after, through, highWater uint64, first *FirstCopies) (map[event.Kind][]event.Record, error) {
	out := map[event.Kind][]event.Record{}
	for _, f := range touchedFamilies {
		rows, err := s.conn.Query(ctx, f.query(), after, through, highWater)
		if err != nil {
			return nil, fmt.Errorf("cases of the events in (%d, %d]: %w", after, through, err)
		}
		for rows.Next() {
			var r event.Record
			if err := rows.Scan(&r.Type, &r.CaseID, &r.TimeNs, &r.StreamSeq, &r.MsgPos, &r.Unit, &r.Cadre, &r.PeriodNs,
				&r.SubjectKind, &r.Subject, &r.ReviewPeriod, &r.RaterGroup, &r.Score); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan case row: %w", err)
			}
			if first.IsFirst(r.StreamSeq, r.MsgPos) {
				out[f.kind] = append(out[f.kind], r)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
