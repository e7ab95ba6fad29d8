package event

// decimal is the exact value of a JSON number, read from its text without
// arithmetic: JSON Schema compares numbers as exact values (the schema library
// uses big.Rat, which costs 230 ms for 1e999999 and panics past 1e1000000), and
// a comparison of digit strings costs only the length of the text.
//
// The value is 0.d₁d₂…dₙ × 10^point, where d₁…dₙ are the significant digits of
// the integer and fraction parts written one after the other, without leading
// or trailing zeros. n is 0 for any zero (0, -0, 0.000e99).
type decimal struct {
	src        string // the text
	neg        bool
	int, frac  string // the digits before and after the '.', as written
	first, end int    // the significant digits are [first, end) of int+frac
	point      int64
}

// maxExponent bounds an exponent read from text: any larger magnitude moves the
// value past every bound a schema can write, so saturating changes no comparison.
const maxExponent = 1 << 50

// parseDecimal reads a number whose text the scanner has checked against the
// JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func parseDecimal(text string) decimal {
	d := decimal{src: text}
	i := 0
	if i < len(text) && text[i] == '-' {
		d.neg = true
		i++
	}
	start := i
	for i < len(text) && isDigit(text[i]) {
		i++
	}
	d.int = text[start:i]
	if i < len(text) && text[i] == '.' {
		i++
		start = i
		for i < len(text) && isDigit(text[i]) {
			i++
		}
		d.frac = text[start:i]
	}
	var exp int64
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		i++
		expNeg := false
		if i < len(text) && (text[i] == '+' || text[i] == '-') {
			expNeg = text[i] == '-'
			i++
		}
		for ; i < len(text); i++ {
			if exp < maxExponent {
				exp = exp*10 + int64(text[i]-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	total := len(d.int) + len(d.frac)
	for d.first < total && d.digitAt(d.first) == '0' {
		d.first++
	}
	d.end = total
	for d.end > d.first && d.digitAt(d.end-1) == '0' {
		d.end--
	}
	d.point = int64(len(d.int)-d.first) + exp
	return d
}

// digitAt is the digit at position p of the integer and fraction parts
// written one after the other.
func (d *decimal) digitAt(p int) byte {
	if p < len(d.int) {
		return d.int[p]
	}
	return d.frac[p-len(d.int)]
}

func (d *decimal) digits() int { return d.end - d.first }

func (d *decimal) sign() int {
	switch {
	case d.digits() == 0:
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// isInteger reports whether the value is an integer, as JSON Schema's
// "integer" type asks: 4, 4.0, 4e0 and 0.4e1 are.
func (d *decimal) isInteger() bool {
	return d.digits() == 0 || d.point >= int64(d.digits())
}

// cmp compares the values of d and o: -1, 0 or +1.
func (d *decimal) cmp(o *decimal) int {
	ds, os := d.sign(), o.sign()
	if ds != os || ds == 0 {
		return compareInts(ds, os)
	}
	c := d.cmpAbs(o)
	if ds < 0 {
		return -c
	}
	return c
}

func (d *decimal) cmpAbs(o *decimal) int {
	if d.point != o.point {
		if d.point < o.point {
			return -1
		}
		return 1
	}
	n, m := d.digits(), o.digits()
	for k := 0; k < n && k < m; k++ {
		if a, b := d.digitAt(d.first+k), o.digitAt(o.first+k); a != b {
			return compareInts(int(a), int(b))
		}
	}
	return compareInts(n, m)
}

// uint8Value is the value of a non-negative integer below 1000 (the caller has
// checked it against the schema's bounds, which keep it below 256).
func (d *decimal) uint8Value() uint8 {
	var v int
	for k := 0; int64(k) < d.point && k < 3; k++ {
		v *= 10
		if k < d.digits() {
			v += int(d.digitAt(d.first+k) - '0')
		}
	}
	return uint8(v)
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
