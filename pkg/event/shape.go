package event

import (
	"math/bits"
	"unsafe"
)

// ArrayShapeUpTo is CountArrayUpTo by the array's shape alone: where each
// element lies, found by brackets, commas and strings, and that what lies
// between the elements is what JSON allows (whitespace, one comma between
// two elements, the closing bracket, nothing after it). The elements
// themselves are not checked: raw is a JSON array exactly when its shape
// passes and every element is a JSON value (ElementSyntax), so a caller that
// reads every element anyway (ingest's validator) checks the body whole
// without reading it twice. A body that does not begin with '[' is checked
// whole, to tell ErrNotArray from text that is not JSON.
func ArrayShapeUpTo(raw []byte, keep int) (int, []Bounds, error) {
	return countArrayUpTo(raw, keep, (*scanner).skipShape)
}

// EachShapedElement calls fn with each element of the JSON array raw, in
// order, as a subslice of raw (no copy), until fn returns false. raw must
// have passed ArrayShapeUpTo (or CountArray): on text whose shape is not an
// array it stops where the shape breaks.
func EachShapedElement(raw []byte, fn func(i int, elem []byte) bool) {
	if len(raw) == 0 {
		return
	}
	sc := scanner{s: unsafe.String(&raw[0], len(raw))}
	if sc.next() != '[' {
		return
	}
	i := 0
	_ = elements(&sc, (*scanner).skipShape, func(start, end int) bool {
		ok := fn(i, raw[start:end:end])
		i++
		return ok
	})
}

// ElementSyntax checks that body[start:end] is one JSON value, with the
// error's byte counted in body.
func ElementSyntax(body []byte, start, end int) error {
	if end > len(body) || start > end {
		return (&scanner{}).fail("element out of the body")
	}
	if start == end {
		return &syntaxError{what: "want a value", at: start}
	}
	sc := scanner{s: unsafe.String(&body[0], end), i: start}
	if err := sc.skipValue(); err != nil {
		return err
	}
	if sc.skipSpace(); sc.i != end {
		return sc.fail("text after the value")
	}
	return nil
}

// skipShape passes over one value by its shape: a string to its closing
// quote, an object or array to the bracket that closes it (strings inside
// passed over whole, brackets counted, not matched by kind), anything else
// up to whitespace, a comma, a closing bracket or the end. It fails only
// where no value could end: nothing, or a string or bracket never closed.
func (sc *scanner) skipShape() error {
	s, start := sc.s, sc.i
	i, depth := start, 0
	for i < len(s) {
		switch s[i] {
		case '"':
			end, ok := skipStringShape(s, i+1)
			if !ok {
				sc.i = end
				return sc.fail("unexpected end inside a string")
			}
			if i = end; depth == 0 {
				sc.i = i
				return nil
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return sc.scalarEnd(start, i)
			}
			if depth--; depth == 0 {
				sc.i = i + 1
				return nil
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return sc.scalarEnd(start, i)
			}
		}
		i++
	}
	if depth > 0 {
		sc.i = i
		return sc.fail("unexpected end")
	}
	return sc.scalarEnd(start, i)
}

// scalarEnd ends at i a value that began at start and is neither a string,
// an object nor an array.
func (sc *scanner) scalarEnd(start, i int) error {
	sc.i = i
	switch {
	case i > start:
		return nil
	case i == len(sc.s):
		return sc.fail("unexpected end")
	}
	return sc.fail("want a value")
}

// skipStringShape returns where the string whose first byte after the
// opening quote is at i ends (after its closing quote), escapes passed over
// by the byte after each backslash; false when it never closes.
func skipStringShape(s string, i int) (int, bool) {
	for {
		for i+8 <= len(s) {
			n := quoteOrBackslash(load64(s, i))
			i += n
			if n < 8 {
				break
			}
		}
		if i >= len(s) {
			return len(s), false
		}
		switch s[i] {
		case '"':
			return i + 1, true
		case '\\':
			i += 2
		default:
			i++
		}
	}
}

// quoteOrBackslash is how many of the eight bytes of x, from its lowest, are
// neither '"' nor '\\' (see plainPrefix).
func quoteOrBackslash(x uint64) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ ones*'"'
	backslash := x ^ ones*'\\'
	stop := ((quote - ones) &^ quote) | ((backslash - ones) &^ backslash)
	return bits.TrailingZeros64(stop&highs) / 8
}
