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
	if year < 1970 || year > 2199 { // SPEC §5: years 1970 to 2199
		return Period{}, fmt.Errorf("period %q is not of a year from 1970 to 2199", label)
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

// Previous is the period of the same kind just before p (2026Q3 → 2026Q2,
// 2026-01 → 2025-12, 2026 → 2025), in p's time zone; a period of 1970 has
// none (ok false).
func (p Period) Previous() (Period, bool) {
	var label string
	switch p.Kind {
	case Quarter:
		start := p.Start.AddDate(0, -3, 0)
		label = fmt.Sprintf("%04dQ%d", start.Year(), (int(start.Month())+2)/3)
	case Month:
		start := p.Start.AddDate(0, -1, 0)
		label = fmt.Sprintf("%04d-%02d", start.Year(), int(start.Month()))
	default:
		label = fmt.Sprintf("%04d", p.Start.Year()-1)
	}
	prev, err := Parse(label, p.Start.Location())
	return prev, err == nil
}
