package scoring

import (
	"sort"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
)

// Evaluator folds a period's cases, one at a time, into per-subject tallies,
// so a caller can stream the cases of a province from a cursor and hold only
// the tallies. Each case must be complete (all its deduplicated events, built
// by ComplaintOf, IssueOf, ErrorOf or ReviewOf) and fed once; a nil case or one
// that does not belong to the period is ignored, so a caller may feed every
// case it read. The order of the cases does not change the evaluation.
type Evaluator struct {
	model  *Model
	period period.Period
	asOfNs int64
	tree   *Tree
	units  map[string]*tally
	cadres map[string]*tally
	counts Counts
	// scratch backs the slice subjects returns, reused from case to case.
	scratch []*tally
}

// NewEvaluator starts the evaluation of p at the run's instant asOfNs, for the
// units and cadres of the period's tree.
func NewEvaluator(m *Model, p period.Period, asOfNs int64, tree *Tree) *Evaluator {
	e := &Evaluator{
		model: m, period: p, asOfNs: asOfNs, tree: tree,
		units:  make(map[string]*tally, len(tree.Units)),
		cadres: make(map[string]*tally, len(tree.Cadres)),
	}
	for id := range tree.Units {
		e.units[id] = &tally{}
	}
	for id := range tree.Cadres {
		e.cadres[id] = &tally{}
	}
	return e
}

// tally accumulates one subject's cases.
type tally struct {
	resp, res, sat, clo ratio
	reviews             map[string]*raterGroup
	penaltyPoints       int64
	detail              Detail
}

// ratio is an indicator's numerator and denominator while cases are folded in.
type ratio struct{ num, den int64 }

// count adds a case of the given weight: a hit to both sides, a miss to the
// denominator only, anything else to neither.
func (c *ratio) count(o Outcome, weight int64) {
	switch o {
	case Hit:
		c.num += weight
		c.den += weight
	case Miss:
		c.den += weight
	}
}

// subjects returns the tallies a case counts for (SPEC §5 "Scope"): the named
// unit and every unit above it in the period's tree, and the named cadre
// wherever they were. The slice is valid until the next call.
func (e *Evaluator) subjects(unit, cadre string) []*tally {
	ts := e.scratch[:0]
	for _, id := range e.tree.Path(unit) {
		ts = append(ts, e.units[id])
	}
	if t, ok := e.cadres[cadre]; ok && cadre != "" {
		ts = append(ts, t)
	}
	e.scratch = ts
	return ts
}

// Finish computes every subject's indicators and score and ends the
// evaluation: feed nothing after it. Results are sorted by id, and every list
// in them too. Counts.Events is left 0: the evaluator sees cases, not the
// events they were read from, so the caller that read them fills it in.
func (e *Evaluator) Finish() *Evaluation {
	tree := e.tree
	ev := &Evaluation{Counts: e.counts}
	ev.Counts.Units, ev.Counts.Cadres = len(tree.Units), len(tree.Cadres)
	for _, id := range sortedKeys(e.units) {
		u := tree.Units[id]
		r := e.model.composite(e.units[id])
		r.Kind, r.ID, r.Name, r.Level, r.Unit, r.Path = SubjectUnit, id, u.Name, u.Level, id, tree.Path(id)
		ev.Units = append(ev.Units, r)
		if r.Scored {
			ev.Counts.ScoredUnits++
		}
	}
	for _, id := range sortedKeys(e.cadres) {
		c := tree.Cadres[id]
		r := e.model.composite(e.cadres[id])
		r.Kind, r.ID, r.Name, r.Unit, r.Path = SubjectCadre, id, c.Name, c.Unit, tree.Path(c.Unit)
		if u, ok := tree.Units[c.Unit]; ok {
			r.Level = u.Level
		}
		ev.Cadres = append(ev.Cadres, r)
		if r.Scored {
			ev.Counts.ScoredCadres++
		}
	}
	return ev
}

// Evaluate scores every unit and cadre of the period's tree at asOfNs from the
// records: every event stored up to the run's high-water mark that may concern
// the period, duplicates included (they collapse here). It holds every event;
// a caller with more events than fit in memory feeds an Evaluator case by case.
func Evaluate(m *Model, p period.Period, asOfNs int64, records []event.Record) *Evaluation {
	records = Dedupe(records)
	tree := BuildTree(records, p.EndNs())
	cases := BuildCases(records, p)
	e := NewEvaluator(m, p, asOfNs, tree)
	for _, id := range sortedKeys(cases.Complaints) {
		e.Complaint(cases.Complaints[id])
	}
	for _, id := range sortedKeys(cases.Issues) {
		e.Issue(cases.Issues[id])
	}
	for _, id := range sortedKeys(cases.Errors) {
		e.Error(cases.Errors[id])
	}
	for _, id := range sortedKeys(cases.Reviews) {
		e.Review(cases.Reviews[id])
	}
	ev := e.Finish()
	ev.Counts.Events = len(records)
	return ev
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
