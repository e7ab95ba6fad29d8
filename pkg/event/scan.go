package event

import (
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads JSON tokens from an event's text in one pass. It never
// recurses, so no nesting depth can exhaust the stack, and it returns string
// values as substrings of the text whenever they hold no escape.
type scanner struct {
	s string
	i int
	// spaced records whitespace between tokens: the stored event must then be
	// compacted, as Raw is kept without it.
	spaced bool
}

// syntaxError is input that is not JSON text (RFC 8259).
type syntaxError struct {
	what string
	at   int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("event is not JSON: %s at byte %d", e.what, e.at)
}

func (sc *scanner) fail(what string) error { return &syntaxError{what: what, at: sc.i} }

// skipSpace skips the four whitespace bytes JSON allows between tokens.
func (sc *scanner) skipSpace() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
			sc.spaced = true
		default:
			return
		}
	}
}

// next skips whitespace and returns the byte of the next token, 0 at the end
// (a NUL byte starts no token either, so the two need not be told apart).
func (sc *scanner) next() byte {
	sc.skipSpace()
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

// expect consumes the byte c after optional whitespace.
func (sc *scanner) expect(c byte) error {
	if sc.next() != c {
		if sc.i == len(sc.s) {
			return sc.fail("unexpected end")
		}
		return sc.fail(fmt.Sprintf("want %q, found %q", c, sc.s[sc.i]))
	}
	sc.i++
	return nil
}

// kindAt names the JSON type of the value starting with byte c, for error
// messages; "" when c starts no value.
func kindAt(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || isDigit(c):
		return "number"
	}
	return ""
}

// str reads a string at sc.i (which holds '"') and returns its value and its
// length in Unicode code points, as JSON Schema counts minLength and maxLength.
// Bytes that are not UTF-8 are refused: RFC 8259 §8.1 requires UTF-8 text, and
// the value stored in a typed column must be the one in the raw event.
func (sc *scanner) str() (string, int, error) {
	s := sc.s
	i := sc.i + 1
	start, runes := i, 0
	for i < len(s) {
		if i+8 <= len(s) {
			// Eight bytes at a time up to the first that is not printable
			// ASCII other than '"' and '\\' (most strings of an event are
			// ids, codes and instants, and hold none).
			if n := plainPrefix(load64(s, i)); n > 0 {
				i += n
				runes += n
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				sc.i = i + 1
				return s[start:i], runes, nil
			case c == '\\':
				return sc.escaped(start, i)
			case c < 0x20:
				sc.i = i
				return "", 0, sc.fail("control character in a string")
			}
			i++
			runes++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sc.i = i
			return "", 0, sc.fail("invalid UTF-8 in a string")
		}
		i += size
		runes++
	}
	sc.i = i
	return "", 0, sc.fail("unexpected end inside a string")
}

// load64 is the eight bytes of s at i, the first in the lowest byte.
func load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// plainPrefix is how many of the eight bytes of x, from its lowest, are
// printable ASCII other than '"' and '\\': bytes str passes over one by one
// without a second look. The tests are the classic ones for "a byte below
// n" and "a zero byte" in a word (Hacker's Delight §6-1): each may also flag
// a byte above one it rightly flags, never below, so the lowest flagged byte
// of them all is the first that is not plain.
func plainPrefix(x uint64) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := (x - ones*0x20) &^ x // a byte below 0x20
	quote := x ^ ones*'"'
	quote = (quote - ones) &^ quote // a byte equal to '"'
	backslash := x ^ ones*'\\'
	backslash = (backslash - ones) &^ backslash
	stop := (control | quote | backslash | x) & highs // x: a byte of 0x80 or more
	return bits.TrailingZeros64(stop) / 8
}

// escaped finishes a string whose first escape is at i, decoding escapes as
// encoding/json (and so the schema library) does: a surrogate escape that is
// not half of a pair becomes U+FFFD.
func (sc *scanner) escaped(start, i int) (string, int, error) {
	s := sc.s
	b := make([]byte, 0, i-start+16)
	b = append(b, s[start:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			sc.i = i + 1
			return string(b), utf8.RuneCount(b), nil
		case c == '\\':
			if i+1 >= len(s) {
				sc.i = i
				return "", 0, sc.fail("unexpected end inside a string")
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(s, i+2)
				if r < 0 {
					sc.i = i
					return "", 0, sc.fail(`invalid \u escape`)
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, escapedRune(s, i)); dec != utf8.RuneError {
						i += 6
						b = utf8.AppendRune(b, dec)
						continue
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				sc.i = i
				return "", 0, sc.fail("invalid escape in a string")
			}
			i += 2
		case c < 0x20:
			sc.i = i
			return "", 0, sc.fail("control character in a string")
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				sc.i = i
				return "", 0, sc.fail("invalid UTF-8 in a string")
			}
			b = append(b, s[i:i+size]...)
			i += size
		}
	}
	sc.i = i
	return "", 0, sc.fail("unexpected end inside a string")
}

// escapedRune is the rune of a \uXXXX escape at i, or -1 if there is none.
func escapedRune(s string, i int) rune {
	if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
		return hex4(s, i+2)
	}
	return -1
}

func hex4(s string, i int) rune {
	if i+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number reads a number at sc.i and returns its text, checked against the JSON
// grammar. Its value is decided later from the text (parseDecimal).
func (sc *scanner) number() (string, error) {
	s, start, i := sc.s, sc.i, sc.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		sc.i = i
		return "", sc.fail("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			sc.i = i
			return "", sc.fail("no digits after the decimal point")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			sc.i = i
			return "", sc.fail("no digits in the exponent")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	sc.i = i
	return s[start:i], nil
}

// literal reads true, false or null at sc.i.
func (sc *scanner) literal(word string) error {
	if len(sc.s)-sc.i < len(word) || sc.s[sc.i:sc.i+len(word)] != word {
		return sc.fail("invalid literal")
	}
	sc.i += len(word)
	return nil
}

// skipValue checks one JSON value at sc.i and moves past it. It keeps the open
// containers on a slice instead of recursing, so no nesting depth can exhaust
// the stack.
func (sc *scanner) skipValue() error {
	var open []byte // '{' or '['
	for {
		switch c := sc.next(); {
		case c == '{' || c == '[':
			sc.i++
			if sc.next() == c+2 { // '}' is '{'+2, ']' is '['+2
				sc.i++
				break
			}
			open = append(open, c)
			if c == '{' {
				if err := sc.memberName(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			if _, _, err := sc.str(); err != nil {
				return err
			}
		case c == 't':
			if err := sc.literal("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := sc.literal("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := sc.literal("null"); err != nil {
				return err
			}
		case c == '-' || isDigit(c):
			if _, err := sc.number(); err != nil {
				return err
			}
		case sc.i == len(sc.s):
			return sc.fail("unexpected end")
		default:
			return sc.fail("want a value")
		}
		// After a value: close what it ends, or go on to the next one.
		for {
			if len(open) == 0 {
				return nil
			}
			top := open[len(open)-1]
			c := sc.next()
			if c == ',' {
				sc.i++
				if top == '{' {
					if err := sc.memberName(); err != nil {
						return err
					}
				}
				break
			}
			if c != top+2 || sc.i == len(sc.s) {
				return sc.fail("want ',' or the end of the " + map[byte]string{'{': "object", '[': "array"}[top])
			}
			sc.i++
			open = open[:len(open)-1]
		}
	}
}

// memberName reads a member name and the colon after it.
func (sc *scanner) memberName() error {
	if sc.next() != '"' {
		if sc.i == len(sc.s) {
			return sc.fail("unexpected end")
		}
		return sc.fail("want a member name")
	}
	if _, _, err := sc.str(); err != nil {
		return err
	}
	return sc.expect(':')
}

// document checks that the whole text is one JSON value.
func (sc *scanner) document() error {
	if err := sc.skipValue(); err != nil {
		return err
	}
	if sc.skipSpace(); sc.i != len(sc.s) {
		return sc.fail("text after the value")
	}
	return nil
}

// compact removes the whitespace between tokens of a text the scanner has
// read without error, as encoding/json's Compact does.
func compact(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r':
		case '"':
			j := i + 1
			for ; s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			b = append(b, s[i:j+1]...)
			i = j
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
