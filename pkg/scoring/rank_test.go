package scoring

import (
	"fmt"
	"math/big"
	"reflect"
	"testing"
)

func TestRank(t *testing.T) {
	m := mustModel(t)
	scored := func(id string, c int64) Entry { return Entry{ID: id, Scored: true, ScoreCenti: c} }
	unscored := func(id string) Entry { return Entry{ID: id} }
	tests := []struct {
		name    string
		entries []Entry
		want    []string // "rank id grade"
	}{
		{
			name:    "ties share a rank, the next rank skips, ties listed by id",
			entries: []Entry{scored("c", 8000), scored("b", 8500), scored("a", 8000), scored("d", 7000)},
			want:    []string{"1 b good", "2 a good", "2 c good", "4 d basic"},
		},
		{
			name: "SPEC example: 12 peers, quota 2; 96 excellent; the tie at 93 would make 3, so both good, and so is 91",
			entries: []Entry{scored("p01", 9600), scored("p02", 9300), scored("p03", 9300), scored("p04", 9100),
				scored("p05", 8000), scored("p06", 7000), scored("p07", 6000), scored("p08", 5000),
				scored("p09", 4000), scored("p10", 3000), scored("p11", 2000), scored("p12", 1000)},
			want: []string{"1 p01 excellent", "2 p02 good", "2 p03 good", "4 p04 good", "5 p05 good", "6 p06 basic",
				"7 p07 basic", "8 p08 poor", "9 p09 poor", "10 p10 poor", "11 p11 poor", "12 p12 poor"},
		},
		{
			name: "a tie group that fits the quota whole is excellent",
			entries: []Entry{scored("a", 9500), scored("b", 9500), scored("c", 9000), scored("d", 1), scored("e", 1),
				scored("f", 1), scored("g", 1), scored("h", 1), scored("i", 1), scored("j", 1)},
			want: []string{"1 a excellent", "1 b excellent", "3 c good", "4 d poor", "4 e poor", "4 f poor", "4 g poor", "4 h poor", "4 i poor", "4 j poor"},
		},
		{
			name:    "unscored peers count in N, come last by id, with no rank or grade",
			entries: []Entry{unscored("z"), scored("y", 9900), unscored("a"), unscored("b"), unscored("c")},
			want:    []string{"1 y excellent", "0 a ", "0 b ", "0 c ", "0 z "},
		},
		{
			name:    "fewer than 5 peers: quota 0, nobody is excellent",
			entries: []Entry{scored("a", 10000), scored("b", 9000)},
			want:    []string{"1 a good", "2 b good"},
		},
		{
			name:    "band edges: 90, 75, 60 are in; 59.99 is poor; 0 is a score",
			entries: []Entry{scored("a", 7500), scored("b", 7499), scored("c", 6000), scored("d", 5999), scored("e", 0)},
			want:    []string{"1 a good", "2 b basic", "3 c basic", "4 d poor", "5 e poor"},
		},
		{
			name:    "ids in byte order, not by locale",
			entries: []Entry{scored("b", 8000), scored("B", 8000), scored("a", 8000)},
			want:    []string{"1 B good", "1 a good", "1 b good"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range m.Rank(tt.entries) {
				got = append(got, fmt.Sprintf("%d %s %s", r.Rank, r.ID, r.Grade))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRoundHalfUp(t *testing.T) {
	for _, tt := range []struct {
		num, den int64
		want     string
	}{
		{87345, 1000, "87.35"}, {87344, 1000, "87.34"}, {1, 3, "0.33"}, {2, 3, "0.67"}, {5, 1000, "0.01"}, {4999, 1000, "5"},
	} {
		if got := FormatDecimal(newRat(tt.num, tt.den), 2); got != tt.want {
			t.Errorf("%d/%d → %s, want %s", tt.num, tt.den, got, tt.want)
		}
	}
}

func TestModelIsRecordedByHash(t *testing.T) {
	m := mustModel(t)
	if m.Version != "kp-2026.1" || len(m.SHA256) != 64 || m.Location.String() != "Asia/Shanghai" {
		t.Errorf("model = %s %s %s", m.Version, m.SHA256, m.Location)
	}
	if m.PenaltyCap != 20 || m.PenaltyPoints["serious"] != 5 || m.IssueWeights["major"] != 2 {
		t.Errorf("model values = %+v", m)
	}
}

func newRat(num, den int64) *big.Rat { return big.NewRat(num, den) }
