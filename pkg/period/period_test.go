package period

import (
	"testing"
	"time"
)

func TestParseAndContains(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	tests := []struct {
		label   string
		kind    Kind
		in, out []string
	}{
		// SPEC §5: 2026-09-30T16:00:00Z is in 2026Q4, 15:59:59Z in 2026Q3.
		{"2026Q3", Quarter, []string{"2026-09-30T15:59:59Z", "2026-09-30T15:59:59.999999999Z", "2026-06-30T16:00:00Z"}, []string{"2026-09-30T16:00:00Z", "2026-06-30T15:59:59Z"}},
		{"2026Q4", Quarter, []string{"2026-09-30T16:00:00Z", "2026-12-31T15:59:59Z"}, []string{"2026-12-31T16:00:00Z"}},
		{"2026-07", Month, []string{"2026-07-01T00:00:00+08:00", "2026-07-31T23:59:59+08:00"}, []string{"2026-08-01T00:00:00+08:00", "2026-06-30T23:59:59+08:00"}},
		{"2026", Year, []string{"2025-12-31T16:00:00Z"}, []string{"2025-12-31T15:59:59Z", "2026-12-31T16:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			p, err := Parse(tt.label, sh)
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != tt.kind {
				t.Errorf("kind %s, want %s", p.Kind, tt.kind)
			}
			for _, s := range tt.in {
				if !p.Contains(at(s)) {
					t.Errorf("%s not in %s", s, tt.label)
				}
			}
			for _, s := range tt.out {
				if p.Contains(at(s)) {
					t.Errorf("%s in %s", s, tt.label)
				}
			}
		})
	}
}

func TestParseRejectsNonCanonical(t *testing.T) {
	for _, label := range []string{"", "2026-7", "2026q3", "2026-Q3", "2026Q5", "2026-13", "26Q3", "2026Q3 ", "2026-00", "0999", "1969Q4", "2200", "2200-01", "9999Q4"} {
		if _, err := Parse(label, time.UTC); err == nil {
			t.Errorf("%q accepted", label)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026", "2026Q3", "2026-07", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, label string) {
		p, err := Parse(label, time.UTC)
		if err == nil && !p.Start.Before(p.End) {
			t.Fatalf("%q: empty interval", label)
		}
	})
}

func TestPrevious(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ label, want string }{
		{"2026Q3", "2026Q2"}, {"2026Q1", "2025Q4"}, {"2026-01", "2025-12"}, {"2026-07", "2026-06"}, {"2026", "2025"}, {"1970", ""}, {"1970Q1", ""},
	} {
		p, err := Parse(tt.label, loc)
		if err != nil {
			t.Fatal(err)
		}
		prev, ok := p.Previous()
		if got := prev.Label; got != tt.want || ok != (tt.want != "") {
			t.Errorf("Previous(%s) = %q, %v; want %q", tt.label, got, ok, tt.want)
		}
		if ok && !prev.End.Equal(p.Start) {
			t.Errorf("Previous(%s) ends %v, not at %v", tt.label, prev.End, p.Start)
		}
	}
}
