package scoring

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

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
	// scratch backs the slice subjects returns, reused from case to case;
	// chains are the tallies of each unit named so far and of its ancestors.
	scratch []*tally
	chains  map[string][]*tally
	// rats are the composite's scratch rationals.
	rats scratch
	// sink, when set, receives the cases explanations list (RecordCases).
	sink func(CaseResult)
}

// NewEvaluator starts the evaluation of p at the run's instant asOfNs, for the
// units and cadres of the period's tree.
func NewEvaluator(m *Model, p period.Period, asOfNs int64, tree *Tree) *Evaluator {
	e := &Evaluator{
		model: m, period: p, asOfNs: asOfNs, tree: tree,
		units:  make(map[string]*tally, len(tree.Units)),
		cadres: make(map[string]*tally, len(tree.Cadres)),
		chains: make(map[string][]*tally, len(tree.Units)),
	}
	// One allocation for every tally: a province's 325,000 are then one
	// object for the collector, and neighbours in memory.
	all := make([]tally, len(tree.Units)+len(tree.Cadres))
	ids := make([]string, 0, len(all))
	for id := range tree.Units {
		ids = append(ids, id)
	}
	for id := range tree.Cadres {
		ids = append(ids, id)
	}
	// The maps' keys are the ids copied into one string: a lookup compares
	// the id it is given with the stored key, and with keys scattered over
	// the heap (each id read in a row of its own) that compare was half of
	// the lookups' time in a province's run; compact keys took the lookups
	// from 1.02 s to 0.81 s of it.
	keys := packed(ids)
	units := len(tree.Units)
	for i, k := range keys {
		if i < units {
			e.units[k] = &all[i]
		} else {
			e.cadres[k] = &all[i]
		}
	}
	// Each unit's chain made now, in one allocation, so that a case's
	// subjects are two lookups.
	depth := 0
	for _, id := range ids[:units] {
		depth += len(tree.Path(id))
	}
	links := make([]*tally, 0, depth)
	for i, id := range ids[:units] {
		from := len(links)
		for _, up := range tree.Path(id) {
			links = append(links, e.units[up])
		}
		e.chains[keys[i]] = links[from:len(links):len(links)]
	}
	return e
}

// packed returns copies of ids that share one allocation, in order.
func packed(ids []string) []string {
	var b strings.Builder
	size := 0
	for _, id := range ids {
		size += len(id)
	}
	b.Grow(size)
	for _, id := range ids {
		b.WriteString(id)
	}
	all, out := b.String(), make([]string, len(ids))
	at := 0
	for i, id := range ids {
		out[i] = all[at : at+len(id)]
		at += len(id)
	}
	return out
}

// tally accumulates one subject's cases. It is small on purpose: a province
// has 325,000 subjects, all of them open while the cases stream past.
type tally struct {
	resp, res, sat, clo ratio
	pending             PendingCounts
	penaltyPoints       int64
	reviews             map[string]*raterGroup
	// lists holds the cases the subject's explanation lists, unless the
	// evaluator records them once each through a sink.
	lists *Detail
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
// wherever they were. The slice is valid until the next call. Every unit's
// chain of tallies is made with the evaluator: a province's million
// complaints name its 25,000 communities over and over.
func (e *Evaluator) subjects(unit, cadre string) []*tally {
	chain, ok := e.chains[unit]
	if !ok && unit != "" {
		// A unit outside the tree: no unit counts the case. Kept, so that the
		// next case naming it is one lookup too.
		e.chains[strings.Clone(unit)] = nil
	}
	ts := append(e.scratch[:0], chain...)
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
	ev := &Evaluation{}
	ev.Counts = e.FinishEach(func(r *Result) {
		if r.Kind == SubjectUnit {
			ev.Units = append(ev.Units, *r)
		} else {
			ev.Cadres = append(ev.Cadres, *r)
		}
	})
	return ev
}

// FinishEach is Finish for a caller that stores results as they come rather
// than holding them all: it hands over the units sorted by id, then the
// cadres sorted by id, each result valid only during the call, and returns
// the counts. Each subject's tally is let go once its result is made.
func (e *Evaluator) FinishEach(visit func(*Result)) Counts {
	tree := e.tree
	counts := e.counts
	e.chains = nil // let each tally go once its result is made
	counts.Units, counts.Cadres = len(tree.Units), len(tree.Cadres)
	var r Result
	for _, id := range sortedKeys(e.units) {
		u := tree.Units[id]
		r = e.model.composite(e.units[id], &e.rats)
		delete(e.units, id)
		r.Kind, r.ID, r.Name, r.Level, r.Unit, r.Path = SubjectUnit, id, u.Name, u.Level, id, tree.Path(id)
		if r.Scored {
			counts.ScoredUnits++
		}
		visit(&r)
	}
	for _, id := range sortedKeys(e.cadres) {
		c := tree.Cadres[id]
		r = e.model.composite(e.cadres[id], &e.rats)
		delete(e.cadres, id)
		r.Kind, r.ID, r.Name, r.Unit, r.Path = SubjectCadre, id, c.Name, c.Unit, tree.Path(c.Unit)
		if u, ok := tree.Units[c.Unit]; ok {
			r.Level = u.Level
		}
		if r.Scored {
			counts.ScoredCadres++
		}
		visit(&r)
	}
	return counts
}

// FinishParallel is FinishEach computed by several workers at once, for a
// caller that stores results by their place: the i-th result (units sorted by
// id, then cadres sorted by id; Subjects says how many) is handed to visit,
// which is called from several goroutines, each result valid only during its
// call. It returns the counts.
func (e *Evaluator) FinishParallel(workers int, visit func(i int, r *Result)) Counts {
	tree := e.tree
	units, cadres := sortedKeys(e.units), sortedKeys(e.cadres)
	for _, id := range units {
		tree.Path(id) // every path made here: the workers only read the tree
	}
	counts := e.counts
	counts.Units, counts.Cadres = len(tree.Units), len(tree.Cadres)
	total := len(units) + len(cadres)
	scored := make([]bool, total)
	var wg sync.WaitGroup
	const chunk = 4096
	var next atomic.Int64
	for w := 0; w < max(1, workers); w++ {
		wg.Go(func() {
			rats := scratch{ratiosOnly: e.rats.ratiosOnly}
			var r Result
			for {
				from := int(next.Add(chunk)) - chunk
				if from >= total {
					return
				}
				for i := from; i < min(from+chunk, total); i++ {
					if i < len(units) {
						id := units[i]
						u := tree.Units[id]
						r = e.model.composite(e.units[id], &rats)
						r.Kind, r.ID, r.Name, r.Level, r.Unit, r.Path = SubjectUnit, id, u.Name, u.Level, id, tree.Path(id)
					} else {
						id := cadres[i-len(units)]
						c := tree.Cadres[id]
						r = e.model.composite(e.cadres[id], &rats)
						r.Kind, r.ID, r.Name, r.Unit, r.Path = SubjectCadre, id, c.Name, c.Unit, tree.Path(c.Unit)
						if u, ok := tree.Units[c.Unit]; ok {
							r.Level = u.Level
						}
					}
					scored[i] = r.Scored
					visit(i, &r)
				}
			}
		})
	}
	wg.Wait()
	for i, ok := range scored {
		switch {
		case !ok:
		case i < len(units):
			counts.ScoredUnits++
		default:
			counts.ScoredCadres++
		}
	}
	return counts
}

// Subjects is the number of results Finish gives: the units and cadres of
// the period's tree.
func (e *Evaluator) Subjects() int { return len(e.units) + len(e.cadres) }

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
