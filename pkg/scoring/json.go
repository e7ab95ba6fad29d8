package scoring

import (
	"encoding/json"
	"sort"
	"strconv"
)

// AppendJSON appends the detail as json.Marshal writes it, without
// reflection: a province's run writes 325,000 of them. A test holds the two
// to the same bytes.
func (d *Detail) AppendJSON(b []byte) []byte {
	b = append(b, `{"indicators":`...)
	b = appendIndicators(b, d.Indicators)
	b = append(b, `,"base":`...)
	b = appendString(b, d.Base)
	b = append(b, `,"penalty_points":`...)
	b = strconv.AppendInt(b, d.PenaltyPoints, 10)
	b = append(b, `,"penalty":`...)
	b = strconv.AppendInt(b, d.Penalty, 10)
	b = append(b, `,"penalty_items":`...)
	if d.PenaltyItems == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, p := range d.PenaltyItems {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"error_id":`...)
			b = appendString(b, p.ErrorID)
			b = append(b, `,"severity":`...)
			b = appendString(b, p.Severity)
			b = append(b, `,"points":`...)
			b = strconv.AppendInt(b, p.Points, 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"tolerated_errors":`...)
	if d.ToleratedItems == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, x := range d.ToleratedItems {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"error_id":`...)
			b = appendString(b, x.ErrorID)
			b = append(b, `,"severity":`...)
			b = appendString(b, x.Severity)
			b = append(b, `,"decision_id":`...)
			b = appendString(b, x.DecisionID)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"misses":{"late_responses":`...)
	b = appendStrings(b, d.Misses.LateResponses)
	b = append(b, `,"unresolved_complaints":`...)
	b = appendStrings(b, d.Misses.UnresolvedComplaints)
	b = append(b, `,"dissatisfied":`...)
	b = appendStrings(b, d.Misses.Dissatisfied)
	b = append(b, `,"overdue_issues":`...)
	b = appendStrings(b, d.Misses.OverdueIssues)
	b = append(b, `},"reopened_issues":`...)
	b = appendStrings(b, d.ReopenedIssues)
	b = append(b, `,"pending":{"responses":`...)
	b = strconv.AppendInt(b, int64(d.Pending.Responses), 10)
	b = append(b, `,"resolutions":`...)
	b = strconv.AppendInt(b, int64(d.Pending.Resolutions), 10)
	b = append(b, `,"issues":`...)
	b = strconv.AppendInt(b, int64(d.Pending.Issues), 10)
	return append(b, "}}"...)
}

// appendIndicators writes the indicators as a JSON object, keys in order.
func appendIndicators(b []byte, ind map[string]Fraction) []byte {
	if ind == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(ind))
	for k := range ind {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = ind[k].appendJSON(b)
	}
	return append(b, '}')
}

// appendJSON writes the fraction as MarshalJSON does.
func (f Fraction) appendJSON(b []byte) []byte {
	b = append(b, `{"num":`...)
	b = append(b, f.Num...)
	b = append(b, `,"den":`...)
	b = append(b, f.Den...)
	b = append(b, `,"value":`...)
	if f.Value == "" {
		b = append(b, "null"...)
	} else {
		b = append(b, f.Value...)
	}
	if f.Insufficient {
		b = append(b, `,"insufficient":true`...)
	}
	return append(b, '}')
}

// IndicatorsJSON writes the indicators as a JSON object, as json.Marshal
// would, for readers that pass them on without decoding them.
func IndicatorsJSON(ind map[string]Fraction) []byte { return appendIndicators(nil, ind) }

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString writes s as encoding/json does. Ids and grades are plain
// printable ASCII and are copied; anything else goes through encoding/json,
// which escapes quotes, HTML characters and control characters its own way.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendRatiosJSON appends the indicators of r as IndicatorsJSON writes
// r.Indicators(), without making the map: a reader encoding a thousand
// stored rows at once need not.
func AppendRatiosJSON(b []byte, r Ratios) []byte {
	// Keys in byte order, as encoding/json writes a map.
	order := [...]int{3, 1, 0, -1, 2} // closure, resolution, response, review, satisfaction
	names := [...]string{ClosureRate, ResolutionRate, ResponseRate, ReviewScore, SatisfactionRate}
	b = append(b, '{')
	for k, i := range order {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, names[k]...)
		b = append(b, `":`...)
		if i < 0 {
			f := Fraction{Num: "0", Den: "0"}
			if r.ReviewValue != "" {
				f = Fraction{Num: r.ReviewNum, Den: "100", Value: r.ReviewValue}
			}
			b = f.appendJSON(b)
			continue
		}
		if r.scale(i) > 1 || r.Insufficient != 0 {
			b = r.Fraction(i).appendJSON(b)
			continue
		}
		b = append(b, `{"num":`...)
		b = strconv.AppendInt(b, r.Num[i], 10)
		b = append(b, `,"den":`...)
		b = strconv.AppendInt(b, r.Den[i], 10)
		b = append(b, `,"value":`...)
		if r.Den[i] > 0 {
			b = append(b, formatQuotient(r.Num[i], r.Den[i], 4)...)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}
