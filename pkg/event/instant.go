package event

import (
	"fmt"
	"time"
)

// The instants an event may carry (SPEC §4): [minInstant, maxInstant).
var (
	minInstant = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxInstant = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

var minUnix, maxUnix = minInstant.Unix(), maxInstant.Unix()

// instant is an RFC 3339 date-time as read from an event: seconds and
// nanoseconds since the epoch, and the offset it was written with.
type instant struct {
	sec    int64
	nsec   int64
	offset int // seconds east of UTC; utc is set for Z
	utc    bool
}

func (t instant) unixNano() int64 { return t.sec*1e9 + t.nsec }

// time is the instant in the offset it was written with, as time.Parse gives it.
func (t instant) time() time.Time {
	u := time.Unix(t.sec, t.nsec)
	if t.utc {
		return u.UTC()
	}
	return u.In(time.FixedZone("", t.offset))
}

// parseDateTime reads s as the schemas' `format: date-time` does in the schema
// library with AssertFormat, and as Go's time.Parse(time.RFC3339Nano) must
// afterwards: YYYY-MM-DD, T or t, hh:mm:ss, an optional fraction of any length
// (truncated to nanoseconds, as time.Parse does), then Z, z or ±hh:mm. The date
// must exist (no 2026-02-30); offsets go to ±23:59 (-00:00 is UTC).
//
// Where the two disagree the stricter wins, because an event must pass both:
// the library reads hh, mm and ss with strconv.Atoi and so takes "+1" for an
// hour, which time.Parse refuses; time.Parse takes a comma before the fraction,
// which the library refuses; the library takes the leap second 23:59:60 (UTC),
// which a time.Time cannot hold, so it is refused with its own reason.
func parseDateTime(s string) (instant, string) {
	if len(s) < len("2006-01-02T15:04:05Z") {
		return instant{}, "too short for an RFC 3339 date-time"
	}
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' {
		return instant{}, "the date is not YYYY-MM-DD"
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return instant{}, "no such date"
	}
	if s[10] != 'T' && s[10] != 't' {
		return instant{}, "the date and the time are not separated by T"
	}
	hour, ok1 := digits(s, 11, 2)
	minute, ok2 := digits(s, 14, 2)
	second, ok3 := digits(s, 17, 2)
	if !ok1 || !ok2 || !ok3 || s[13] != ':' || s[16] != ':' {
		return instant{}, "the time is not hh:mm:ss"
	}
	if hour > 23 || minute > 59 || second > 60 {
		return instant{}, "no such time of day"
	}
	if second == 60 {
		return instant{}, "a leap second (:60) cannot be represented"
	}
	i := 19
	var nsec int64
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			if i-start < 9 {
				nsec = nsec*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == start {
			return instant{}, "no digits after the decimal point"
		}
		for n := i - start; n < 9; n++ {
			nsec *= 10
		}
	}
	t := instant{nsec: nsec}
	switch rest := s[i:]; {
	case rest == "Z" || rest == "z":
		t.utc = true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest, 1, 2)
		om, ok2 := digits(rest, 4, 2)
		if !ok1 || !ok2 {
			return instant{}, "the offset is not ±hh:mm"
		}
		if oh > 23 || om > 59 {
			return instant{}, "no such offset"
		}
		t.offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			t.offset = -t.offset
		}
	default:
		return instant{}, "no offset (Z or ±hh:mm) after the time"
	}
	t.sec = daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+second) - int64(t.offset)
	return t, ""
}

// checkInstant is the range rule of SPEC §4, applied after the schemas to
// `time` and to every date-time in data: a sentinel such as 9999-12-31 is an
// error the source must see, named by its place.
// The place is prefix.name ("time", "data.due").
func checkInstant(prefix, name, text string, sec int64) error {
	if sec < minUnix || sec >= maxUnix {
		return fmt.Errorf("%s: %s is outside [%s, %s)", at(prefix, name), text,
			minInstant.Format(time.RFC3339), maxInstant.Format(time.RFC3339))
	}
	return nil
}

// digits reads n decimal digits of s at i.
func digits(s string, i, n int) (int, bool) {
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// daysIn is the number of days of a month in the proleptic Gregorian calendar,
// as time.Parse checks it.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts the days from 1970-01-01 to a date (Howard Hinnant's
// algorithm), so reading an instant needs no time.Date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= -1: years are four digits
	if y < 0 {
		era = -1
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// The patterns the schemas use, each read by hand. A schema with any other
// pattern fails NewValidator, so a new rule cannot be skipped silently;
// TestPatternsAgreeWithRegexp checks each against the regular expression.
var patterns = map[string]pattern{
	`^[\x21-\x7E]+$`:               {"is not printable ASCII without spaces", isPrintableASCII},
	`(Z|z|[+-][0-9]{2}:[0-9]{2})$`: {"does not end in an offset (Z or ±hh:mm)", hasOffsetSuffix},
	`^(19[7-9][0-9]|2[01][0-9]{2})(Q[1-4]|-(0[1-9]|1[0-2]))?$`: {"is not a period label of a year from 1970 to 2199, such as 2026, 2026Q3 or 2026-07", isPeriodLabel},
}

type pattern struct {
	says  string // what a value that does not match is
	match func(string) bool
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return false
		}
	}
	return s != ""
}

func hasOffsetSuffix(s string) bool {
	if n := len(s); n > 0 && (s[n-1] == 'Z' || s[n-1] == 'z') {
		return true
	}
	if len(s) < 6 {
		return false
	}
	t := s[len(s)-6:]
	_, ok1 := digits(t, 1, 2)
	_, ok2 := digits(t, 4, 2)
	return (t[0] == '+' || t[0] == '-') && ok1 && t[3] == ':' && ok2
}

func isPeriodLabel(s string) bool {
	if len(s) < 4 {
		return false
	}
	// The years of SPEC §5's periods: a rating of any other is never scored.
	if y, ok := digits(s, 0, 4); !ok || y < 1970 || y > 2199 {
		return false
	}
	switch rest := s[4:]; len(rest) {
	case 0:
		return true
	case 2:
		return rest[0] == 'Q' && '1' <= rest[1] && rest[1] <= '4'
	case 3:
		m, ok := digits(rest, 1, 2)
		return rest[0] == '-' && ok && 1 <= m && m <= 12
	}
	return false
}
