package store

import (
	"context"
	"fmt"
	"time"
)

// SaveModelFile stores a model file under its SHA-256, so the results of a run
// can be read without the file (SPEC §5). A run saves its model's file
// before it starts; a second copy of the same bytes changes nothing.
func (s *Store) SaveModelFile(ctx context.Context, sha256, version string, file []byte) error {
	batch, err := s.conn.PrepareBatch(ctx, qInsertModelFile)
	if err != nil {
		return fmt.Errorf("prepare model file: %w", err)
	}
	if err := batch.Append(sha256, version, string(file), time.Now().UnixNano()); err != nil {
		_ = batch.Abort()
		return fmt.Errorf("append model file: %w", err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("save model file %s: %w", version, err)
	}
	return nil
}

// ModelFile returns the stored file whose SHA-256 is sha256, or ErrNotFound.
func (s *Store) ModelFile(ctx context.Context, sha256 string) ([]byte, error) {
	rows, err := s.conn.Query(ctx, qModelFile, sha256)
	if err != nil {
		return nil, fmt.Errorf("query model file: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("model file %s: %w", sha256, ErrNotFound)
	}
	var file string
	if err := rows.Scan(&file); err != nil {
		return nil, fmt.Errorf("scan model file: %w", err)
	}
	return []byte(file), nil
}

// RunModels lists the models runs were made with, as runs name them (Model
// and ModelSHA256 set), sorted by version and hash.
func (s *Store) RunModels(ctx context.Context) ([]Run, error) {
	rows, err := s.conn.Query(ctx, qRunModels)
	if err != nil {
		return nil, fmt.Errorf("query run models: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		if err := rows.Scan(&r.Model, &r.ModelSHA256); err != nil {
			return nil, fmt.Errorf("scan run model: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
