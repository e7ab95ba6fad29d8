package ranking

import (
	"fmt"
	"reflect"
	"testing"

	"kaoping/pkg/scoring"
	"kaoping/pkg/store"
)

func TestPeersAndRank(t *testing.T) {
	m, err := scoring.LoadModel(scoring.DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	res := func(id, level string, path []string, score int64) store.Result {
		return store.Result{Subject: id, Name: "n-" + id, Level: level, Path: path, Scored: score >= 0, ScoreCenti: max(score, 0), Detail: `{"indicators":{}}`}
	}
	all := []store.Result{
		res("d", "district", []string{"d"}, 8000),
		res("s1", "street", []string{"d", "s1"}, 9100),
		res("s2", "street", []string{"d", "s2"}, 9100),
		res("s1.c1", "community", []string{"d", "s1", "s1.c1"}, 7000),
		res("s1.c2", "community", []string{"d", "s1", "s1.c2"}, -1),
		res("s2.c1", "community", []string{"d", "s2", "s2.c1"}, 9900),
	}
	tests := []struct {
		level, parent string
		want          []string
	}{
		{"street", "", []string{"1 s1 91 good", "1 s2 91 good"}},
		{"community", "", []string{"1 s2.c1 99 good", "2 s1.c1 70 basic", "- s1.c2 - -"}},
		{"community", "s1", []string{"1 s1.c1 70 basic", "- s1.c2 - -"}},
		{"street", "s2", []string{"1 s2 91 good"}}, // the parent itself, being of the level
		{"district", "s1", nil},
	}
	for _, tt := range tests {
		rows, err := Rank(m, Peers(all, tt.level, tt.parent))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			rank, grade := "-", "-"
			if r.Rank != nil {
				rank, grade = fmt.Sprint(*r.Rank), *r.Grade
			}
			score := string(r.Score)
			if score == "null" {
				score = "-"
			}
			got = append(got, rank+" "+r.ID+" "+score+" "+grade)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s under %q: got %q, want %q", tt.level, tt.parent, got, tt.want)
		}
	}
}
