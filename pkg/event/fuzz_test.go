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
	f.Fuzz(func(t *testing.T, raw []byte) { differential(t, v, o, raw) })
}

// FuzzFastMatchesSchemaMember is the same comparison on events that are valid
// but for one member: the value of a data or envelope member (by slot) is
// replaced by value, as JSON text or, when quote is set, as a JSON string. It
// reaches the checks of values that byte mutations of whole events seldom do.
func FuzzFastMatchesSchemaMember(f *testing.F) {
	v := mustValidator(f)
	o := mustOracle(f)
	for _, s := range []string{"2026-07-03T09:12:00+08:00", "2199-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59-00:00",
		"2016-12-31T23:59:60Z", "2026Q3", "张三", "a b"} {
		f.Add(uint8(2), uint8(4), s, true)
		f.Add(uint8(13), uint8(3), s, true)
	}
	for _, n := range []string{"4.0", "0.4e1", "100.0000", "-0", "1e2", "5e-1", "true", "null", "{}", `"x"`, `"\ud800\u0041"`} {
		f.Add(uint8(5), uint8(1), n, false)
		f.Add(uint8(13), uint8(5), n, false)
	}
	f.Fuzz(func(t *testing.T, typ, slot uint8, value string, quote bool) {
		st := seedTypes[int(typ)%len(seedTypes)]
		text := value
		if quote {
			b, _ := json.Marshal(value)
			text = string(b)
		}
		data := st.data
		env := seedEnvelope(st.typ, "")
		if i := int(slot) % (len(data) + len(env)); i < len(data) {
			data = with(data, data[i].name, text)
			env = with(env, "data", object(data))
		} else {
			env = with(env, "data", object(data))
			env = with(env, env[i-len(data)].name, text)
		}
		differential(t, v, o, []byte(object(env)))
	})
}

// differential compares the fast path with the oracle on one input.
func differential(t *testing.T, v *Validator, o *oracle, raw []byte) {
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
