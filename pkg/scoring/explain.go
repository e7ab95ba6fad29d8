package scoring

import (
	"encoding/json"
	"math/big"
)

// IndicatorExplanation is one indicator as an explanation shows it (SPEC §6):
// its numerator, denominator and value, its value exactly as a fraction in
// lowest terms, the cases left out as pending, and its weight in the model,
// so that every score can be recomputed from its explanation alone.
type IndicatorExplanation struct {
	Fraction
	// Exact is the value in lowest terms ("121/150"), "" when not applicable.
	Exact   string
	Pending int
	// Weight is the model's weight, an exact decimal.
	Weight string
}

// MarshalJSON writes {"num","den","value","exact","pending","weight"}, numbers
// as JSON numbers and exact null when not applicable.
func (x IndicatorExplanation) MarshalJSON() ([]byte, error) {
	b := x.Fraction.appendJSON(nil)
	b = b[:len(b)-1]
	b = append(b, `,"exact":`...)
	if x.Exact == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, x.Exact)
	}
	b = append(b, `,"pending":`...)
	b = append(b, json.Number(big.NewInt(int64(x.Pending)).String())...)
	b = append(b, `,"weight":`...)
	b = append(b, x.Weight...)
	return append(b, '}'), nil
}

// Explain writes a result's indicators for its explanation.
func (m *Model) Explain(r Ratios, pending PendingCounts) map[string]IndicatorExplanation {
	out := make(map[string]IndicatorExplanation, len(Indicators))
	waiting := [4]int{pending.Responses, pending.Resolutions, 0, pending.Issues}
	for name, f := range r.Indicators() {
		x := IndicatorExplanation{Fraction: f, Weight: exactDecimal(m.Weights[name])}
		for i := range r.Num {
			if Indicators[i] == name {
				x.Pending = waiting[i]
				x.Exact = r.Exact(i)
			}
		}
		if name == ReviewScore {
			x.Exact = r.ReviewExact
		}
		out[name] = x
	}
	return out
}

// exactDecimal writes a decimal weight with every digit it has.
func exactDecimal(w *big.Rat) string {
	if w == nil {
		return "0"
	}
	for d := 0; d < 30; d++ {
		if s := FormatDecimal(w, d); func() bool {
			back, ok := new(big.Rat).SetString(s)
			return ok && back.Cmp(w) == 0
		}() {
			return s
		}
	}
	return FormatDecimal(w, 30)
}
