package scoring

import "kaoping/pkg/event"

// Unit is a unit as it stood in a period's tree.
type Unit struct {
	ID, Name, Level, Parent string
}

// Cadre is a cadre as they stood in a period's tree.
type Cadre struct {
	ID, Name, Unit, Position string
}

// Tree is the organisation of a period: built from the upserts dated before the
// period's end, the latest per id winning (SPEC §5).
type Tree struct {
	Units  map[string]Unit
	Cadres map[string]Cadre
	paths  map[string][]string
}

// BuildTree builds the tree from the org upserts among records dated before endNs.
func BuildTree(records []event.Record, endNs int64) *Tree {
	latestUnit := map[string]event.Record{}
	latestCadre := map[string]event.Record{}
	for _, r := range records {
		if r.TimeNs >= endNs {
			continue
		}
		switch r.Type {
		case event.TypeUnitUpserted:
			if cur, ok := latestUnit[r.CaseID]; !ok || cur.Before(r) {
				latestUnit[r.CaseID] = r
			}
		case event.TypeCadreUpserted:
			if cur, ok := latestCadre[r.CaseID]; !ok || cur.Before(r) {
				latestCadre[r.CaseID] = r
			}
		}
	}
	t := &Tree{Units: make(map[string]Unit, len(latestUnit)), Cadres: make(map[string]Cadre, len(latestCadre)), paths: map[string][]string{}}
	for id, r := range latestUnit {
		t.Units[id] = Unit{ID: id, Name: r.Name, Level: r.Level, Parent: r.Parent}
	}
	for id, r := range latestCadre {
		t.Cadres[id] = Cadre{ID: id, Name: r.Name, Unit: r.Unit, Position: r.Position}
	}
	return t
}

// Path returns the ids from the topmost known ancestor down to the unit itself,
// or nil when the unit is not in the tree. The chain stops at a parent that is
// not in the tree, and at a cycle, so bad upserts cannot loop forever.
func (t *Tree) Path(unitID string) []string {
	if p, ok := t.paths[unitID]; ok {
		return p
	}
	if _, ok := t.Units[unitID]; !ok {
		return nil
	}
	var up []string
	seen := map[string]bool{}
	for id := unitID; id != "" && !seen[id]; {
		u, ok := t.Units[id]
		if !ok {
			break
		}
		seen[id] = true
		up = append(up, id)
		id = u.Parent
	}
	path := make([]string, len(up))
	for i, id := range up {
		path[len(up)-1-i] = id
	}
	t.paths[unitID] = path
	return path
}
