package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzFastMatchesSchema is the differential test of the fast path against the
// oracle (the schema library, as Parse was before): for every input both
// accept or both reject, and an accepted input gives the same Event and the
// same Record. The seed corpus is testdata/fuzz/FuzzFastMatchesSchema, written
// by TestWriteCorpus.
//
// Three kinds of input are outside the comparison, each for a decision the
// fast path makes on purpose (see TestDecisions):
//   - bytes that are not UTF-8: the fast path refuses them (RFC 8259 §8.1),
//     the library replaces them with U+FFFD;
//   - a member name twice in one object: the fast path refuses it, the
//     library keeps the last copy;
//   - numbers with an exponent of 1000 or more, or 1000 digits: the library
//     needs big.Rat powers of ten (230 ms for 1e999999, a panic past 1e1000000),
//     the fast path compares their text.
func FuzzFastMatchesSchema(f *testing.F) {
	v := mustValidator(f)
	o := mustOracle(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, r, err := v.Decode(raw)
		dup, huge := inspect(raw)
		switch {
		case !utf8.Valid(raw):
			if err == nil {
				t.Fatalf("accepted bytes that are not UTF-8: %q", raw)
			}
			return
		case dup:
			if err == nil {
				t.Fatalf("accepted a member name twice: %q", raw)
			}
			return
		case huge:
			return
		}
		oe, or, oerr := o.parse(raw)
		switch {
		case err == nil && oerr != nil:
			t.Fatalf("fast path accepted what the schema library rejects (%v): %q", oerr, raw)
		case err != nil && oerr == nil:
			t.Fatalf("fast path rejected what the schema library accepts (%v): %q", err, raw)
		case err != nil:
			return
		}
		sameEvent(t, e, oe)
		if r != or {
			t.Fatalf("records differ for %q:\n fast   %+v\n oracle %+v", raw, r, or)
		}
		if back, err := ToRecord(e, 0, 0, time.Unix(0, 0)); err != nil || back != r {
			t.Fatalf("ToRecord does not give the record of Decode: %v", err)
		}
	})
}

func sameEvent(t *testing.T, e, o Event) {
	t.Helper()
	_, eo := e.Time.Zone()
	_, oo := o.Time.Zone()
	var data bytes.Buffer
	if err := json.Compact(&data, o.Data); err != nil {
		t.Fatal(err)
	}
	if e.ID != o.ID || e.Source != o.Source || e.Type != o.Type || !e.Time.Equal(o.Time) || eo != oo ||
		!bytes.Equal(e.Raw, o.Raw) || !bytes.Equal(e.Data, data.Bytes()) {
		t.Fatalf("events differ:\n fast   %+v\n oracle %+v", e, o)
	}
}

// inspect reports whether a JSON text has an object with a member name twice
// (after unescaping, as the library compares them), and whether it has a
// number the library could only decide with huge big.Rat powers of ten. Both
// are false for text that is not JSON, which the library refuses cheaply.
func inspect(raw []byte) (dup, huge bool) {
	type frame struct {
		object, wantKey bool
		keys            map[string]bool
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return dup, huge && errors.Is(err, io.EOF)
		}
		if n, ok := tok.(json.Number); ok && hugeNumber.MatchString(string(n)) {
			huge = true
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			top := stack[len(stack)-1]
			if top.wantKey {
				k := tok.(string)
				dup = dup || top.keys[k]
				top.keys[k], top.wantKey = true, false
				continue
			}
			top.wantKey = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantKey: true, keys: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		}
	}
}

var hugeNumber = regexp.MustCompile(`[eE][+-]?0*[1-9][0-9]{3,}|[0-9]{1000,}`)
