// Package period reads the canonical period labels of SPEC §5 (2026, 2026Q3,
// 2026-07) and turns them into half-open intervals [Start, End) from local
// midnight in the model's time zone.
package period

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on machines without zoneinfo
)

// Kind is the length of a period.
type Kind string

// The kinds of periods.
const (
	Month   Kind = "month"
	Quarter Kind = "quarter"
	Year    Kind = "year"
)

// Period is one month, quarter or year in a time zone.
type Period struct {
	Label string
	Kind  Kind
	// Start is local midnight of the first day; End is local midnight after the
	// last day. An instant t is in the period when Start <= t < End.
	Start time.Time
	End   time.Time
}

var labelRE = regexp.MustCompile(`^([0-9]{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$`)

// Parse reads a canonical label in loc. Anything else (2026-7, 2026q3, 2026-Q3)
// is an error.
func Parse(label string, loc *time.Location) (Period, error) {
	m := labelRE.FindStringSubmatch(label)
	if m == nil {
		return Period{}, fmt.Errorf("period %q is not a canonical label (2026, 2026Q3 or 2026-07)", label)
	}
	year, _ := strconv.Atoi(m[1])
	if year < 1970 {
		return Period{}, fmt.Errorf("period %q is before 1970", label)
	}
	p := Period{Label: label}
	switch {
	case m[2] != "":
		q, _ := strconv.Atoi(m[2])
		p.Kind = Quarter
		p.Start = time.Date(year, time.Month(3*q-2), 1, 0, 0, 0, 0, loc)
		p.End = p.Start.AddDate(0, 3, 0)
	case m[3] != "":
		mon, _ := strconv.Atoi(m[3])
		p.Kind = Month
		p.Start = time.Date(year, time.Month(mon), 1, 0, 0, 0, 0, loc)
		p.End = p.Start.AddDate(0, 1, 0)
	default:
		p.Kind = Year
		p.Start = time.Date(year, 1, 1, 0, 0, 0, 0, loc)
		p.End = p.Start.AddDate(1, 0, 0)
	}
	return p, nil
}

// Contains reports whether the instant (nanoseconds since the epoch) is in the period.
func (p Period) Contains(ns int64) bool {
	return ns >= p.Start.UnixNano() && ns < p.End.UnixNano()
}

// StartNs and EndNs are the bounds as nanoseconds since the epoch.
func (p Period) StartNs() int64 { return p.Start.UnixNano() }

// EndNs is the exclusive end as nanoseconds since the epoch.
func (p Period) EndNs() int64 { return p.End.UnixNano() }

// Previous is the label of the period of the same kind just before p
// (2026Q3 → 2026Q2, 2026-01 → 2025-12, 2026 → 2025); "" before 1970.
func (p Period) Previous() string {
	y, m := p.Start.Year(), int(p.Start.Month())
	switch p.Kind {
	case Month:
		if m--; m == 0 {
			m, y = 12, y-1
		}
		if y < 1970 {
			return ""
		}
		return fmt.Sprintf("%d-%02d", y, m)
	case Quarter:
		q := (m-1)/3 + 1
		if q--; q == 0 {
			q, y = 4, y-1
		}
		if y < 1970 {
			return ""
		}
		return fmt.Sprintf("%dQ%d", y, q)
	}
	if y-1 < 1970 {
		return ""
	}
	return fmt.Sprint(y - 1)
}
