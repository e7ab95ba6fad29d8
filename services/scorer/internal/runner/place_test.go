package runner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kaoping/pkg/event"
	"kaoping/pkg/period"
	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

// TestARunPlacesEverySubjectAmongItsLevel: the ranks, grades and places a run
// stores are those scoring.Rank gives over Evaluate's results of each level,
// and the cases the store returns for a subject (some of every level) are its
// explanation's lists.
func TestARunPlacesEverySubjectAmongItsLevel(t *testing.T) {
	st := openStore(t)
	h, hwm := tricky(t, st)
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	r := New(nil, st, m, time.Minute, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.barrier = fixedBarrier(hwm)
	asOf := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return asOf }
	run, done, err := r.Start(context.Background(), "2026Q3")
	if err != nil {
		t.Fatal(err)
	}
	<-done
	rows, err := st.RunScores(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]store.ScoreRow{}
	for _, x := range rows {
		stored[x.Kind+" "+x.Subject] = x
	}

	p, _ := period.Parse("2026Q3", m.Location)
	var seen []event.Record
	for _, x := range h.recs {
		if x.StreamSeq <= hwm {
			seen = append(seen, x)
		}
	}
	want := scoring.Evaluate(m, p, asOf.UnixNano(), seen)
	if len(rows) != len(want.Units)+len(want.Cadres) {
		t.Fatalf("%d rows stored, want %d", len(rows), len(want.Units)+len(want.Cadres))
	}
	checked := 0
	for _, list := range [][]scoring.Result{want.Units, want.Cadres} {
		levels := map[string][]scoring.Entry{}
		for _, x := range list {
			levels[x.Level] = append(levels[x.Level], scoring.Entry{ID: x.ID, Scored: x.Scored, ScoreCenti: x.ScoreCenti})
		}
		for level, entries := range levels {
			for pos, x := range m.Rank(entries) {
				kind := list[0].Kind
				got := stored[kind+" "+x.ID]
				if got.Pos != pos || got.Rank != x.Rank || got.Grade != x.Grade || got.Level != level || got.ScoreCenti != x.ScoreCenti {
					t.Errorf("%s %s: stored place %d rank %d grade %q, want %d %d %q", kind, x.ID, got.Pos, got.Rank, got.Grade, pos, x.Rank, x.Grade)
				}
				checked++
			}
		}
		// The explanation as the api reads it, for some subjects of every level.
		for i, x := range list {
			if i%15 != 0 && x.Level != "province" && x.Level != "city" {
				continue
			}
			got := stored[x.Kind+" "+x.ID]
			d := scoring.Detail{Indicators: got.Ratios.Indicators(), Base: got.Base, PenaltyPoints: got.PenaltyPoints, Penalty: got.Penalty, Pending: got.Pending}
			cases, err := st.ResultCases(context.Background(), run.ID, x.Kind, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cases {
				d.AddCase(c)
			}
			d.SortLists()
			a, _ := json.Marshal(d)
			b, _ := json.Marshal(x.Detail)
			if string(a) != string(b) {
				t.Fatalf("%s %s: explanation from the store\n got  %s\n want %s", x.Kind, x.ID, a, b)
			}
		}
	}
	if checked < 500 {
		t.Fatalf("only %d subjects checked", checked)
	}
}
