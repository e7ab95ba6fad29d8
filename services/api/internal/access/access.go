// Package access is the one reading of what a reader may see (SPEC §6
// "Access"): an admin or a reader everything, a viewer the subtree of its unit
// in the period's tree. The JSON reads, the downloads, the pages and the
// review-meeting report all ask it; the api finds a subject's path in the run's
// stored tree and this package decides.
package access

import (
	"net/http"
	"slices"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
)

// Scope is what one reader may see: everything, or the subtree of one unit.
type Scope struct {
	unit string
}

// For is the scope of an identity.
func For(id auth.Identity) Scope {
	if id.Role == auth.Viewer {
		return Scope{unit: id.Unit}
	}
	return Scope{}
}

// Everything reports whether the scope has no bound.
func (s Scope) Everything() bool { return s.unit == "" }

// Unit is the unit whose subtree a viewer sees ("" for everything).
func (s Scope) Unit() string { return s.unit }

// Parent is the subtree a ranking is narrowed to: the one asked for, or, for a
// viewer who asks for none, its own unit (SPEC §6: rankings default to
// parent=UNIT).
func (s Scope) Parent(asked string) string {
	if asked == "" {
		return s.unit
	}
	return asked
}

// Sees reports whether a subject whose path in the period's tree (from the
// root down to its unit, the unit itself included; a cadre's is its unit's)
// is path lies in the scope. A subject not in the tree (nil path) is seen
// only by a scope without bound.
func (s Scope) Sees(path []string) bool {
	return s.unit == "" || slices.Contains(path, s.unit)
}

// Check answers nil when the subject kind/id with path may be seen, else a
// 403 error saying why (written by obs.Fail as JSON, by the pages as HTML).
func (s Scope) Check(kind, id string, path []string) error {
	if s.Sees(path) {
		return nil
	}
	return obs.Errorf(http.StatusForbidden, "%s %s is outside the subtree of %s that this token may see", kind, id, s.unit)
}
