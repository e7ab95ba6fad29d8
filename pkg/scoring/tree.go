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
	b := NewTreeBuilder(endNs)
	for i := range records {
		b.Add(&records[i])
	}
	return b.Tree()
}

// TreeBuilder builds a period's tree from org upserts fed one at a time, in
// any order, so a caller streaming them from the store holds one entry per
// unit and cadre rather than every upsert. Other events are ignored.
type TreeBuilder struct {
	endNs  int64
	units  map[string]treeEntry[Unit]
	cadres map[string]treeEntry[Cadre]
}

// treeEntry is the latest upsert of one id so far and its place in case order.
type treeEntry[T any] struct {
	v   T
	key orderKey
}

// orderKey is an event's place in the order of one case (SPEC §4): instant,
// then stream sequence, then position in the message.
type orderKey struct {
	timeNs int64
	seq    uint64
	pos    uint32
}

func keyOf(r *event.Record) orderKey { return orderKey{r.TimeNs, r.StreamSeq, r.MsgPos} }

func (k orderKey) before(o orderKey) bool {
	if k.timeNs != o.timeNs {
		return k.timeNs < o.timeNs
	}
	if k.seq != o.seq {
		return k.seq < o.seq
	}
	return k.pos < o.pos
}

// NewTreeBuilder starts the tree of a period that ends at endNs.
func NewTreeBuilder(endNs int64) *TreeBuilder {
	return &TreeBuilder{endNs: endNs, units: map[string]treeEntry[Unit]{}, cadres: map[string]treeEntry[Cadre]{}}
}

// Add feeds one upsert; the latest per id wins, and one dated at or after the
// period's end is ignored (SPEC §5).
func (b *TreeBuilder) Add(r *event.Record) {
	if r.TimeNs >= b.endNs {
		return
	}
	k := keyOf(r)
	switch r.Type {
	case event.TypeUnitUpserted:
		if cur, ok := b.units[r.CaseID]; !ok || cur.key.before(k) {
			b.units[r.CaseID] = treeEntry[Unit]{Unit{ID: r.CaseID, Name: r.Name, Level: r.Level, Parent: r.Parent}, k}
		}
	case event.TypeCadreUpserted:
		if cur, ok := b.cadres[r.CaseID]; !ok || cur.key.before(k) {
			b.cadres[r.CaseID] = treeEntry[Cadre]{Cadre{ID: r.CaseID, Name: r.Name, Unit: r.Unit, Position: r.Position}, k}
		}
	}
}

// Tree returns the tree of the upserts fed and ends the builder: feed nothing
// after it (its maps are let go, not kept beside the tree's).
func (b *TreeBuilder) Tree() *Tree {
	defer func() { b.units, b.cadres = nil, nil }()
	t := &Tree{Units: make(map[string]Unit, len(b.units)), Cadres: make(map[string]Cadre, len(b.cadres)), paths: map[string][]string{}}
	for id, e := range b.units {
		t.Units[id] = e.v
	}
	for id, e := range b.cadres {
		t.Cadres[id] = e.v
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
