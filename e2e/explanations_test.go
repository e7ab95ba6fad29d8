package e2e

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"testing"
	"time"

	"kaoping/pkg/period"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/testkit/province"
)

// explained is what the test reads of an explanation.
type explained struct {
	Score       *big.Rat `json:"-"`
	RawScore    any      `json:"score"`
	Explanation struct {
		Indicators map[string]struct {
			Num    any     `json:"num"`
			Den    any     `json:"den"`
			Exact  *string `json:"exact"`
			Weight any     `json:"weight"`
		} `json:"indicators"`
		PenaltyPoints int64 `json:"penalty_points"`
		Penalty       int64 `json:"penalty"`
		PenaltyCap    int64 `json:"penalty_cap"`
		PenaltyItems  []struct {
			Points int64 `json:"points"`
		} `json:"penalty_items"`
		Misses struct {
			LateResponses        []string `json:"late_responses"`
			UnresolvedComplaints []string `json:"unresolved_complaints"`
			Dissatisfied         []string `json:"dissatisfied"`
			OverdueIssues        []string `json:"overdue_issues"`
		} `json:"misses"`
	} `json:"explanation"`
}

func rat(t *testing.T, v any) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(fmt.Sprint(v))
	if !ok {
		t.Fatalf("%v is not a number", v)
	}
	return r
}

// TestEveryScoreIsRecomputedFromItsExplanation publishes a small province's
// quarter (duplicates, reassignments, reopenings, tolerances and all), runs
// it, and recomputes the score of every unit and cadre from its explanation
// alone: 100 × Σ weight × exact / Σ weight over the indicators with a value,
// less min(cap, Σ points of the penalty items), at least 0, rounded half up
// to hundredths. The lists of misses count what the fractions miss.
func TestEveryScoreIsRecomputedFromItsExplanation(t *testing.T) {
	s := startStack(t, "KAOPING_SOURCES="+localRegistry(t))
	js := s.connectNATS()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	q3, _ := period.Parse("2026Q3", loc)
	last, _ := publishProvince(t, js, province.Config{Seed: 5, Cities: 2, Districts: 3, Streets: 8, Communities: 30, Cadres: 240,
		Periods: []period.Period{q3}, Events: 12000, DuplicateEvery: 97, Now: time.Now().Add(-time.Hour)})
	testkit.Eventually(t, time.Minute, func() error {
		if done, err := stream.Processed(context.Background(), js); err != nil || done < last {
			return fmt.Errorf("stored %d of %d (%v)", done, last, err)
		}
		return nil
	})
	s.runPeriod("2026Q3")

	checked := 0
	for _, q := range []struct{ subject, level, path string }{
		{"unit", "province", "units"}, {"unit", "city", "units"}, {"unit", "district", "units"}, {"unit", "street", "units"},
		{"unit", "community", "units"}, {"cadre", "street", "cadres"}, {"cadre", "community", "cadres"},
	} {
		var ranking struct {
			Rows []struct {
				ID    string `json:"id"`
				Score any    `json:"score"`
			} `json:"rows"`
		}
		code, b := s.call("GET", "http://"+s.api+"/v1/rankings?period=2026Q3&subject="+q.subject+"&level="+q.level, "", nil)
		if code != http.StatusOK {
			t.Fatalf("ranking: %d %s", code, b)
		}
		mustJSON(t, b, &ranking)
		for _, row := range ranking.Rows {
			code, b := s.call("GET", "http://"+s.api+"/v1/"+q.path+"/"+row.ID+"/scores?period=2026Q3", "", nil)
			if code != http.StatusOK {
				t.Fatalf("explanation of %s: %d %s", row.ID, code, b)
			}
			var e explained
			mustJSON(t, b, &e)
			got := recompute(t, e)
			if (got == "") != (row.Score == nil) || (got != "" && rat(t, got).Cmp(rat(t, row.Score)) != 0) {
				t.Errorf("%s %s: recomputed %q from %s, ranked %v", q.subject, row.ID, got, b, row.Score)
			}
			checked++
		}
	}
	if checked < 250 {
		t.Fatalf("only %d subjects checked", checked)
	}
}

// recompute is the score an explanation gives, "" for none.
func recompute(t *testing.T, e explained) string {
	t.Helper()
	x := e.Explanation
	sum, weights := new(big.Rat), new(big.Rat)
	for name, ind := range x.Indicators {
		if ind.Exact == nil {
			continue
		}
		v, ok := new(big.Rat).SetString(*ind.Exact)
		if !ok {
			t.Fatalf("%s exact %q", name, *ind.Exact)
		}
		w := rat(t, ind.Weight)
		sum.Add(sum, new(big.Rat).Mul(w, v))
		weights.Add(weights, w)
		missed := new(big.Rat).Sub(rat(t, ind.Den), rat(t, ind.Num))
		var listed int
		switch name {
		case "response_rate":
			listed = len(x.Misses.LateResponses)
		case "resolution_rate":
			listed = len(x.Misses.UnresolvedComplaints)
		case "satisfaction_rate":
			listed = len(x.Misses.Dissatisfied)
		case "closure_rate": // a major issue weighs 2
			if n := len(x.Misses.OverdueIssues); missed.Cmp(big.NewRat(int64(n), 1)) < 0 || missed.Cmp(big.NewRat(int64(2*n), 1)) > 0 {
				t.Errorf("closure misses %v for %d overdue issues", missed, n)
			}
			continue
		default:
			continue
		}
		if missed.Cmp(big.NewRat(int64(listed), 1)) != 0 {
			t.Errorf("%s misses %v, %d listed", name, missed, listed)
		}
	}
	var points int64
	for _, p := range x.PenaltyItems {
		points += p.Points
	}
	if points != x.PenaltyPoints || x.Penalty != min(points, x.PenaltyCap) {
		t.Errorf("penalty %d of %d points (cap %d), items add up to %d", x.Penalty, x.PenaltyPoints, x.PenaltyCap, points)
	}
	if weights.Sign() == 0 {
		return ""
	}
	score := new(big.Rat).Quo(new(big.Rat).Mul(sum, big.NewRat(100, 1)), weights)
	score.Sub(score, big.NewRat(min(points, x.PenaltyCap), 1))
	if score.Sign() < 0 {
		score.SetInt64(0)
	}
	// round half up to hundredths
	c := new(big.Rat).Add(new(big.Rat).Mul(score, big.NewRat(100, 1)), big.NewRat(1, 2))
	q := new(big.Int).Quo(c.Num(), c.Denom())
	return new(big.Rat).SetFrac(q, big.NewInt(100)).FloatString(2)
}
