package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
	"kaoping/pkg/testkit"
	"kaoping/pkg/testkit/province"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ch := testkit.SharedClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, store.Options{Addr: ch.Addr, Database: ch.NewDatabase(t), MaxExecutionTime: time.Minute},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// history is what a test stores: records with their places in the stream.
type history struct {
	t    *testing.T
	seq  uint64
	recs []event.Record
}

// add gives r the next stream sequence (pos 0) and keeps it.
func (h *history) add(r event.Record) event.Record {
	h.seq++
	r.StreamSeq, r.IngestNs = h.seq, r.TimeNs
	h.recs = append(h.recs, r)
	return r
}

var cst = time.FixedZone("CST", 8*3600)

func ns(s string) int64 {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

func assigned(id, caseID, unit, cadre, at string) event.Record {
	t := ns(at)
	return event.Record{Source: "/h", ID: id, Type: event.TypeComplaintAssigned, TimeNs: t, PeriodNs: t, CaseID: caseID, Unit: unit, Cadre: cadre,
		Category: "x", ResponseDueNs: t + int64(2*time.Hour), ResolveDueNs: t + int64(7*24*time.Hour)}
}

func responded(id, caseID, at string) event.Record {
	return event.Record{Source: "/h", ID: id, Type: event.TypeComplaintResponded, TimeNs: ns(at), CaseID: caseID}
}

// tricky adds, on top of a small generated province, what makes a streaming
// reader go wrong: copies with other bodies and other cases, copies past the
// high-water mark, reassignments across the period's bounds, an outcome
// before its case, org moves, and a batch stored twice.
func tricky(t *testing.T, st *store.Store) (*history, uint64) {
	h := &history{t: t}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	q3, _ := period.Parse("2026Q3", loc)
	q2, _ := period.Parse("2026Q2", loc)
	if _, err := province.Generate(province.Config{Seed: 3, Cities: 2, Districts: 3, Streets: 8, Communities: 40, Cadres: 480,
		Periods: []period.Period{q2, q3}, Events: 30000, DuplicateEvery: 37, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		func(r event.Record) error { h.add(r); return nil }); err != nil {
		t.Fatal(err)
	}
	s1, s2 := "jx.c01.d001.s0001", "jx.c01.d001.s0002"
	c1 := "jx.c01.d001.s0001.m00001"
	// A: the first copy of r-A names A; a later copy names B. It counts for A only.
	h.add(assigned("a-A", "TA", s1, "", "2026-08-01 09:00"))
	h.add(assigned("a-B", "TB", s2, "", "2026-08-01 09:00"))
	h.add(responded("r-A", "TA", "2026-08-01 09:30"))
	h.add(responded("r-A", "TB", "2026-08-01 09:30"))
	// Z is a Q2 case; the first copy of r-Z names it, a later copy names C (Q3).
	h.add(assigned("a-Z", "TZ", s1, "", "2026-05-01 09:00"))
	h.add(responded("r-Z", "TZ", "2026-05-01 09:10"))
	h.add(assigned("a-C", "TC", s2, "", "2026-08-02 09:00"))
	h.add(responded("r-Z", "TC", "2026-08-02 09:10"))
	// D's first assignment is in Q2; a later copy with a Q3 time must lose.
	h.add(assigned("a-D", "TD", c1, "", "2026-06-20 09:00"))
	h.add(assigned("a-D", "TD", c1, "", "2026-07-20 09:00"))
	// E is reassigned out of Q3 (the latest assignment is in Q4), F into Q3 from Q2.
	h.add(assigned("a-E1", "TE", c1, "", "2026-09-30 20:00"))
	h.add(assigned("a-E2", "TE", s2, "", "2026-10-01 01:00"))
	h.add(assigned("a-F1", "TF", c1, "", "2026-06-30 20:00"))
	h.add(assigned("a-F2", "TF", s1, "k000002", "2026-07-01 01:00"))
	// G's response is in the stream before its assignment.
	h.add(responded("r-G", "TG", "2026-08-03 10:00"))
	h.add(assigned("a-G", "TG", s2, "k000003", "2026-08-03 09:00"))
	// A complaint with the same id as an issue: same case hash, other family.
	h.add(assigned("a-X", "SAME1", s1, "", "2026-08-04 09:00"))
	h.add(event.Record{Source: "/s", ID: "l-X", Type: event.TypeIssueListed, TimeNs: ns("2026-07-01 09:00"), CaseID: "SAME1",
		List: "audit", Severity: "major", Unit: s2, DueNs: ns("2026-08-10 00:00"), PeriodNs: ns("2026-08-10 00:00")})
	// The community c1 moves to s2 during Q3; an upsert after the period's end counts nowhere.
	h.add(event.Record{Source: "/org", ID: "move-c1", Type: event.TypeUnitUpserted, TimeNs: ns("2026-08-15 00:00"), CaseID: c1, Unit: c1,
		Name: "东栅社区", Level: "community", Parent: s2})
	h.add(event.Record{Source: "/org", ID: "late-c1", Type: event.TypeUnitUpserted, TimeNs: ns("2026-10-15 00:00"), CaseID: c1, Unit: c1,
		Name: "东栅社区", Level: "community", Parent: s1})
	// A review moved to another period by its correction.
	h.add(event.Record{Source: "/rv", ID: "v-1", Type: event.TypeReviewRated, TimeNs: ns("2026-09-20 09:00"), CaseID: "RVX",
		SubjectKind: "unit", Subject: s1, ReviewPeriod: "2026Q3", RaterGroup: "peers", Score: "99"})
	h.add(event.Record{Source: "/rv", ID: "v-2", Type: event.TypeReviewRated, TimeNs: ns("2026-09-21 09:00"), CaseID: "RVX",
		SubjectKind: "unit", Subject: s1, ReviewPeriod: "2026Q2", RaterGroup: "peers", Score: "10"})
	hwm := h.seq
	// Past the high-water mark: a copy that would place H in Q3, and A's resolution.
	h.add(assigned("a-H", "TH", s1, "", "2026-08-05 09:00"))
	h.add(event.Record{Source: "/h", ID: "s-A", Type: event.TypeComplaintResolved, TimeNs: ns("2026-08-02 09:00"), CaseID: "TA", Resolved: true})

	ctx := context.Background()
	for i := 0; i < len(h.recs); i += 5000 {
		batch := h.recs[i:min(i+5000, len(h.recs))]
		if err := st.InsertEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if i == 5000 { // an insert retried after a crash: the same rows again
			if err := st.InsertEvents(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	return h, hwm
}

// TestScoreStreamsWhatEvaluateComputes: a run that streams its period from
// the store gives, subject for subject and list for list, the evaluation
// scoring.Evaluate computes over every record up to the high-water mark, for
// one partition per family and for many.
func TestScoreStreamsWhatEvaluateComputes(t *testing.T) {
	st := openStore(t)
	h, hwm := tricky(t, st)
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := period.Parse("2026Q3", m.Location)
	asOf := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC).UnixNano() // some deadlines still ahead
	var seen []event.Record
	for _, r := range h.recs {
		if r.StreamSeq <= hwm {
			seen = append(seen, r)
		}
	}
	want := scoring.Evaluate(m, p, asOf, seen)
	want.Counts.Events = 0
	tree := scoring.BuildTree(scoring.Dedupe(seen), p.EndNs())
	wantJSON, _ := json.Marshal(want)

	for _, partitionRows := range []int{0, 4000} {
		var cases []scoring.CaseResult
		e, stats, err := Score(context.Background(), st, m, p, asOf, hwm, func(c scoring.CaseResult) { cases = append(cases, c) },
			store.PeriodScan{PartitionRows: partitionRows})
		if err != nil {
			t.Fatal(err)
		}
		ev := e.Finish()
		if stats.Copies == 0 || ev.Counts.Complaints < 500 {
			t.Fatalf("partition rows %d: %d copies dropped, counts %+v: the data proves nothing", partitionRows, stats.Copies, ev.Counts)
		}
		if partitionRows > 0 && len(stats.Queries) < 10 {
			t.Errorf("partition rows %d: queries %v, want several partitions", partitionRows, stats.Queries)
		}
		ev.Counts.Events = 0
		for _, list := range [][]scoring.Result{ev.Units, ev.Cadres} {
			for i := range list {
				r := &list[i]
				for _, c := range cases {
					if (r.Kind == scoring.SubjectUnit && slices.Contains(tree.Path(c.Unit), r.ID)) || (r.Kind == scoring.SubjectCadre && c.Cadre == r.ID) {
						r.Detail.AddCase(c)
					}
				}
				r.Detail.SortLists()
			}
		}
		got, _ := json.Marshal(ev)
		if string(got) != string(wantJSON) {
			differences(t, fmt.Sprint("partition rows ", partitionRows), ev, want)
		}
	}
}

// differences names the first subjects whose results differ.
func differences(t *testing.T, what string, got, want *scoring.Evaluation) {
	t.Helper()
	if got.Counts != want.Counts {
		t.Errorf("%s: counts %+v, want %+v", what, got.Counts, want.Counts)
	}
	shown := 0
	for k, pair := range [][2][]scoring.Result{{got.Units, want.Units}, {got.Cadres, want.Cadres}} {
		if len(pair[0]) != len(pair[1]) {
			t.Errorf("%s: %d subjects of kind %d, want %d", what, len(pair[0]), k, len(pair[1]))
			continue
		}
		for i := range pair[0] {
			a, _ := json.Marshal(pair[0][i])
			b, _ := json.Marshal(pair[1][i])
			if string(a) != string(b) && shown < 3 {
				shown++
				t.Errorf("%s:\n got  %s\n want %s", what, a, b)
			}
		}
	}
	if shown == 0 && !t.Failed() {
		t.Errorf("%s: evaluations differ", what)
	}
}
