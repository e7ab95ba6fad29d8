package event

import "unsafe"

// Attributes are the id, source and type of a structured event as a cheap
// look at its text found them, before anything is validated.
type Attributes struct {
	ID, Source, Type string
}

// Peek reads the id, source and type members of a structured event's
// top-level object and nothing else: each is the member's string value
// (escapes decoded), "" when it is missing, not a string, or the text breaks
// off before it. It stops once it has all three, at the first syntax error,
// or at the object's end; the values of other members are skipped, not
// checked. Ingest uses it to refuse another source's event as forbidden before
// it spends a validation on it, and to name the event in its answer. The
// strings are copies: they keep nothing of raw alive.
func Peek(raw []byte) Attributes {
	var a Attributes
	if len(raw) == 0 {
		return a
	}
	sc := scanner{s: unsafe.String(&raw[0], len(raw))}
	if sc.next() != '{' {
		return a
	}
	sc.i++
	var found [3]bool
	for sc.next() == '"' {
		name, _, err := sc.str()
		if err != nil || sc.expect(':') != nil {
			return a
		}
		var into *string
		slot := -1
		switch name {
		case "id":
			into, slot = &a.ID, 0
		case "source":
			into, slot = &a.Source, 1
		case "type":
			into, slot = &a.Type, 2
		}
		if into != nil && !found[slot] && sc.next() == '"' {
			v, _, err := sc.str()
			if err != nil {
				return a
			}
			*into = string([]byte(v)) // a copy: v may be a view of raw
			found[slot] = true
			if found[0] && found[1] && found[2] {
				return a
			}
		} else if sc.skipValue() != nil {
			return a
		}
		if sc.next() != ',' {
			return a
		}
		sc.i++
	}
	return a
}

// CountArray checks that raw is one JSON array, as ArrayBounds does and with
// the same errors, and returns how many elements it has without collecting
// them: a body of millions of tiny elements costs no memory per element.
// EachShapedElement then hands them out one at a time.
func CountArray(raw []byte) (int, error) {
	n, _, err := CountArrayUpTo(raw, 0)
	return n, err
}

// CountArrayUpTo is CountArray that also returns where each element lies
// (ArrayBounds) when the array has at most keep of them, and nil bounds past
// that: a request's thousand events are then not skipped over a second time,
// and a body of millions of tiny elements still costs no memory per element.
// On an error the bounds are those read before it.
func CountArrayUpTo(raw []byte, keep int) (int, []Bounds, error) {
	return countArrayUpTo(raw, keep, (*scanner).skipValue)
}

// countArrayUpTo is CountArrayUpTo with each element passed over by skip:
// read whole (skipValue) or by its shape (skipShape).
func countArrayUpTo(raw []byte, keep int, skip func(*scanner) error) (int, []Bounds, error) {
	if len(raw) == 0 {
		return 0, nil, (&scanner{}).fail("unexpected end")
	}
	sc := scanner{s: unsafe.String(&raw[0], len(raw))}
	if sc.next() != '[' {
		if err := sc.document(); err != nil {
			return 0, nil, err
		}
		return 0, nil, ErrNotArray
	}
	n := 0
	var bounds []Bounds
	err := elements(&sc, skip, func(start, end int) bool {
		if n++; n <= keep {
			bounds = append(bounds, Bounds{start, end})
		} else {
			bounds = nil
		}
		return true
	})
	return n, bounds, err
}

// elements walks the array whose '[' is at sc.i, passing over each element
// with skip and calling fn with its bounds, and checks that nothing follows
// the array.
func elements(sc *scanner, skip func(*scanner) error, fn func(start, end int) bool) error {
	sc.i++
	if sc.next() == ']' {
		sc.i++
	} else {
		for {
			sc.skipSpace()
			start := sc.i
			if err := skip(sc); err != nil {
				return err
			}
			if !fn(start, sc.i) {
				return nil
			}
			c := sc.next()
			sc.i++
			if c == ']' {
				break
			}
			if c != ',' {
				sc.i--
				if sc.i == len(sc.s) {
					return sc.fail("unexpected end")
				}
				return sc.fail("want ',' or the end of the array")
			}
		}
	}
	if sc.skipSpace(); sc.i != len(sc.s) {
		return sc.fail("text after the value")
	}
	return nil
}
