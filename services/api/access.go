package main

import (
	"context"
	"errors"
	"net/http"

	"kaoping/pkg/auth"
	"kaoping/pkg/store"
	"kaoping/services/api/internal/access"
)

// scope is what the request's reader may see (access.For its identity).
func scope(r *http.Request) access.Scope { return access.For(auth.IdentityOf(r.Context())) }

// pathOf is a subject's path in the run's stored tree (a cadre's is its
// unit's), from the placed row or, for a run stored before runs placed their
// results, from its result; nil when the subject is not in the run.
func (h *handlers) pathOf(ctx context.Context, runID, kind, id string) ([]string, error) {
	row, err := h.store.ScoreOf(ctx, runID, kind, id)
	if err == nil {
		return row.Path, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	results, err := h.store.Results(ctx, runID, kind, id)
	if err != nil || len(results) == 0 {
		return nil, err
	}
	return results[0].Path, nil
}

// authorize answers nil when the reader may see subject kind/id in the served
// run: always for a scope without bound (a subject not in the tree is then
// the handler's 404), else when its path in the run's tree lies in the
// viewer's subtree (403 otherwise, a subject not in the tree included, so a
// viewer learns nothing of what lies outside).
func (h *handlers) authorize(r *http.Request, s served, kind, id string) error {
	sc := scope(r)
	if sc.Everything() {
		return nil
	}
	path, err := h.pathOf(r.Context(), s.run.ID, kind, id)
	if err != nil {
		return err
	}
	return sc.Check(kind, id, path)
}

// rankingParent is the subtree a ranking is narrowed to for the reader: the
// parent asked for, a viewer's own unit when none is, and a 403 for a viewer
// who asks for a parent outside its subtree.
func (h *handlers) rankingParent(r *http.Request, s served, asked string) (string, error) {
	sc := scope(r)
	parent := sc.Parent(asked)
	if err := h.authorize(r, s, "unit", parent); err != nil {
		return "", err
	}
	return parent, nil
}
