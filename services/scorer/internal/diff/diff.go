// Package diff compares a run with the run it answers to (SPEC §5
// "corrections"): the subjects whose score, rank (among all the peers of
// their level) or grade changed, each with the events that one run saw and
// the other did not and that concern the subject. Which subjects a case
// counts for, in each run, is read by the scoring package's own builders.
package diff

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// Diff is the answer of GET /v1/runs/{id}/diff.
type Diff struct {
	Run     string  `json:"run"`
	Against *string `json:"against"`
	// Models are the two runs' models, for a what-if (?against=RUN).
	Models  *Models  `json:"models,omitempty"`
	Changes []Change `json:"changes"`
}

// Models names the models of the two runs a what-if compares.
type Models struct {
	Run     string `json:"run"`
	Against string `json:"against"`
}

// Change is one subject whose standing differs between the two runs.
type Change struct {
	SubjectKind string `json:"subject_kind"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Before      *Place `json:"before"`
	After       *Place `json:"after"`
	// ScoreChange is after's score less before's, RankChange after's rank
	// less before's (negative: climbed), when the subject is scored in both;
	// Indicators, like them, only in a what-if.
	ScoreChange json.RawMessage `json:"score_change,omitempty"`
	RankChange  *int            `json:"rank_change,omitempty"`
	// Indicators are those whose value or insufficiency moved, by name.
	Indicators map[string]Moved `json:"indicators,omitempty"`
	Events     []EventRef       `json:"events"`
	// EventsTotal counts the events when more than MaxEvents concern the
	// subject; only the first MaxEvents (by source and id) are listed.
	EventsTotal int `json:"events_total,omitempty"`
}

// Moved is one indicator of a change in both runs, as rankings show it.
type Moved struct {
	Before scoring.Fraction `json:"before"`
	After  scoring.Fraction `json:"after"`
}

// Place is a subject's standing in one run; rank and grade are null, and
// score null, when the subject has no score.
type Place struct {
	Score json.RawMessage `json:"score"`
	Rank  *int            `json:"rank"`
	Grade *string         `json:"grade"`
}

// EventRef names an event.
type EventRef struct {
	Source string `json:"source"`
	ID     string `json:"id"`
}

// MaxEvents bounds the events listed for one change: a provisional run a
// month after the one before saw a million new events, all concerning the
// province.
const MaxEvents = 1000

// Compute compares run with against (nil: the run is the first of its
// period, and nothing changed). Events are listed when against saw fewer
// than run: a run compared with a later one, or with a run of another model
// on the same events (a what-if), lists none.
func Compute(ctx context.Context, st *store.Store, p period.Period, run store.Run, against *store.Run) (*Diff, error) {
	return compute(ctx, st, p, run, against, false)
}

// WhatIf is Compute for GET /v1/runs/{id}/diff?against=RUN: each change
// also says by how much (score_change, rank_change) and which indicators
// moved, and the diff names both runs' models. The plain diff keeps the
// shape of SPEC §5.
func WhatIf(ctx context.Context, st *store.Store, p period.Period, run, against store.Run) (*Diff, error) {
	d, err := compute(ctx, st, p, run, &against, true)
	if err == nil {
		d.Models = &Models{Run: run.Model, Against: against.Model}
	}
	return d, err
}

func compute(ctx context.Context, st *store.Store, p period.Period, run store.Run, against *store.Run, withMoves bool) (*Diff, error) {
	d := &Diff{Run: run.ID, Changes: []Change{}}
	if against == nil {
		return d, nil
	}
	d.Against = &against.ID
	after, err := st.Standings(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	before, err := st.Standings(ctx, against.ID)
	if err != nil {
		return nil, err
	}
	changes := compare(before, after, withMoves)
	if len(changes) == 0 {
		return d, nil
	}
	if against.HighWater < run.HighWater {
		if err := attach(ctx, st, p, run, *against, before, after, changes); err != nil {
			return nil, err
		}
	}
	for _, c := range changes {
		slices.SortFunc(c.Events, func(a, b EventRef) int { return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.ID, b.ID)) })
		if len(c.Events) > MaxEvents {
			c.EventsTotal, c.Events = len(c.Events), c.Events[:MaxEvents]
		}
		if c.Events == nil {
			c.Events = []EventRef{}
		}
		d.Changes = append(d.Changes, *c)
	}
	slices.SortFunc(d.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.SubjectKind, b.SubjectKind), cmp.Compare(a.ID, b.ID))
	})
	return d, nil
}

type key struct{ kind, id string }

// compare lists the subjects whose score, rank or grade differ, or that are
// in one run only; withMoves adds by how much and the indicators that moved.
func compare(before, after []store.Standing, withMoves bool) map[key]*Change {
	was := make(map[key]store.Standing, len(before))
	for _, x := range before {
		was[key{x.Kind, x.Subject}] = x
	}
	changes := map[key]*Change{}
	for _, x := range after {
		k := key{x.Kind, x.Subject}
		b, ok := was[k]
		delete(was, k)
		if ok && b.Scored == x.Scored && b.ScoreCenti == x.ScoreCenti && b.Rank == x.Rank && b.Grade == x.Grade {
			continue
		}
		c := &Change{SubjectKind: x.Kind, ID: x.Subject, Name: x.Name, After: placeOf(x)}
		if ok {
			c.Before = placeOf(b)
			if withMoves {
				moved(c, b, x)
			}
		}
		changes[k] = c
	}
	for k, b := range was {
		changes[k] = &Change{SubjectKind: b.Kind, ID: b.Subject, Name: b.Name, Before: placeOf(b)}
	}
	return changes
}

// moved writes by how much a subject in both runs changed, and which of its
// indicators moved.
func moved(c *Change, b, a store.Standing) {
	if b.Scored && a.Scored {
		c.ScoreChange = json.RawMessage(scoring.FormatCentiSigned(a.ScoreCenti - b.ScoreCenti))
		d := a.Rank - b.Rank
		c.RankChange = &d
	}
	before, after := b.Ratios.Indicators(), a.Ratios.Indicators()
	for name, x := range after {
		if y := before[name]; y.Value != x.Value || y.Insufficient != x.Insufficient {
			if c.Indicators == nil {
				c.Indicators = map[string]Moved{}
			}
			c.Indicators[name] = Moved{Before: y, After: x}
		}
	}
}

func placeOf(x store.Standing) *Place {
	p := &Place{Score: json.RawMessage("null")}
	if x.Scored {
		rank, grade := x.Rank, x.Grade
		p.Score, p.Rank, p.Grade = json.RawMessage(scoring.FormatCenti(x.ScoreCenti)), &rank, &grade
	}
	return p
}

// attach gives each change the events seen by run and not by against that
// concern its subject: a case's events concern the units and the cadre the
// case counts for in either run; a unit's upsert concerns it and the units
// above it in either tree; a cadre's upsert the cadre.
func attach(ctx context.Context, st *store.Store, p period.Period, run, against store.Run,
	before, after []store.Standing, changes map[key]*Change) error {
	if _, err := st.CatchUpDuplicates(ctx, run.HighWater); err != nil {
		return err
	}
	first, err := st.FirstCopiesAt(ctx, run.HighWater)
	if err != nil {
		return err
	}
	paths := [2]map[string][]string{pathsOf(before), pathsOf(after)}
	rows, err := st.TouchedCases(ctx, against.HighWater, run.HighWater, run.HighWater, first)
	if err != nil {
		return err
	}
	counts := countsFor(p, against.HighWater, rows, paths)
	seen := map[EventRef]bool{}
	return st.WindowEvents(ctx, against.HighWater, run.HighWater, first, func(r *event.Record) {
		ref := EventRef{r.Source, r.ID}
		if seen[ref] {
			return // one event stored twice in one place
		}
		seen[ref] = true
		var subjects []key
		kind := event.KindOf(r.Type)
		if (kind == event.KindUnit || kind == event.KindCadre) && r.TimeNs >= p.EndNs() {
			return // an upsert after the period's end is in neither tree
		}
		switch kind {
		case event.KindUnit:
			for _, ps := range paths {
				for _, id := range ps[r.CaseID] {
					subjects = append(subjects, key{scoring.SubjectUnit, id})
				}
			}
		case event.KindCadre:
			subjects = []key{{scoring.SubjectCadre, r.CaseID}}
		default:
			subjects = counts[caseKey{kind, r.CaseID}]
		}
		for _, k := range subjects {
			if c := changes[k]; c != nil && (len(c.Events) == 0 || c.Events[len(c.Events)-1] != ref) {
				c.Events = append(c.Events, ref)
			}
		}
	})
}

// pathsOf maps each unit of a run's tree to its path from the root.
func pathsOf(standings []store.Standing) map[string][]string {
	out := map[string][]string{}
	for _, x := range standings {
		if x.Kind == scoring.SubjectUnit {
			out[x.Subject] = x.Path
		}
	}
	return out
}

type caseKey struct {
	kind event.Kind
	id   string
}

// countsFor says, for each case an event of the window names, which subjects
// it counts for in either run: built from the case's defining rows (or a
// review's ratings) up to each run's mark with the scoring builders, in the
// period only.
func countsFor(p period.Period, againstMark uint64, rows map[event.Kind][]event.Record, paths [2]map[string][]string) map[caseKey][]key {
	grouped := map[caseKey][]event.Record{}
	for kind, rs := range rows {
		for _, r := range rs {
			k := caseKey{kind, r.CaseID}
			grouped[k] = append(grouped[k], r)
		}
	}
	out := make(map[caseKey][]key, len(grouped))
	for k, rs := range grouped {
		var earlier []event.Record
		for _, r := range rs {
			if r.StreamSeq <= againstMark {
				earlier = append(earlier, r)
			}
		}
		var subjects []key
		for i, view := range [2][]event.Record{earlier, rs} {
			unit, cadre, kindOf, subject, in := counted(k.kind, view, p)
			if !in {
				continue
			}
			if kindOf != "" {
				subjects = append(subjects, key{kindOf, subject})
				continue
			}
			for _, id := range paths[i][unit] {
				subjects = append(subjects, key{scoring.SubjectUnit, id})
			}
			if cadre != "" {
				subjects = append(subjects, key{scoring.SubjectCadre, cadre})
			}
		}
		out[k] = subjects
	}
	return out
}

// counted reads who a case counts for from its rows: the unit and cadre of
// its latest defining event, or for a review the subject of its latest
// rating; in is false when the case is not of the period.
func counted(kind event.Kind, rows []event.Record, p period.Period) (unit, cadre, subjectKind, subject string, in bool) {
	switch kind {
	case event.KindComplaint:
		if c := scoring.ComplaintOf(rows); c != nil && c.In(p) {
			return c.Assigned.Unit, c.Assigned.Cadre, "", "", true
		}
	case event.KindIssue:
		if x := scoring.IssueOf(rows); x != nil && x.In(p) {
			return x.Listed.Unit, x.Listed.Cadre, "", "", true
		}
	case event.KindError:
		if x := scoring.ErrorOf(rows); x != nil && x.In(p) {
			return x.Recorded.Unit, x.Recorded.Cadre, "", "", true
		}
	case event.KindReview:
		if x := scoring.ReviewOf(rows); x != nil && x.In(p) {
			return "", "", x.SubjectKind, x.Subject, true
		}
	}
	return "", "", "", "", false
}

// Encode writes a diff as JSON, names and reasons as they are (no HTML
// escapes: 「<」 in a name stays itself).
func Encode(d any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
