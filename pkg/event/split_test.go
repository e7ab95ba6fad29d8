package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

func TestSplitArrayMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`[]`, ` [ ] `, `[1]`, `[{"a":"]"},2,"x\"]"]`, "[\n {\"id\": \"a\"} ,\t{\"id\":\"b\"}\n]",
		`[1,]`, `[1 2]`, `[`, `[1`, `{"a":1}`, `"x"`, `[1] x`, `[{"a":}]`, ``, `[[[]]]`,
	} {
		got, err := SplitArray([]byte(in))
		var want []json.RawMessage
		wantErr := json.Unmarshal([]byte(in), &want)
		if (err == nil) != (wantErr == nil) {
			t.Errorf("%q: err %v, encoding/json %v", in, err, wantErr)
			continue
		}
		if err != nil {
			var se *syntaxError
			if !errors.As(err, &se) && !errors.Is(err, ErrNotArray) {
				t.Errorf("%q: error %v is neither a syntax error nor ErrNotArray", in, err)
			}
			continue
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d elements, want %d", in, len(got), len(want))
		}
		for i := range got {
			var a, b any
			_ = json.Unmarshal(got[i], &a)
			_ = json.Unmarshal(want[i], &b)
			if string(mustMarshal(a)) != string(mustMarshal(b)) {
				t.Errorf("%q element %d: %s, want %s", in, i, got[i], want[i])
			}
		}
	}
	if _, err := SplitArray([]byte(`{"a":1}`)); !errors.Is(err, ErrNotArray) {
		t.Errorf("an object: %v", err)
	}
}

// SplitArray is ArrayBounds giving the elements themselves, as the tests
// compare them.
func SplitArray(raw []byte) ([][]byte, error) {
	bounds, err := ArrayBounds(raw)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(bounds))
	for i, b := range bounds {
		out[i] = raw[b.Start:b.End]
	}
	return out, nil
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func FuzzSplitArray(f *testing.F) {
	f.Add([]byte(`[{"id":"a"},{"id":"b"}]`))
	f.Add([]byte(`[1,"]",[2]]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := SplitArray(in)
		// CountArray and EachShapedElement, which ingest uses, agree with it.
		n, cerr := CountArray(in)
		if (err == nil) != (cerr == nil) || err != nil && err.Error() != cerr.Error() || err == nil && n != len(got) {
			t.Fatalf("%q: SplitArray %d elements, %v; CountArray %d, %v", in, len(got), err, n, cerr)
		}
		if err == nil {
			seen := 0
			EachShapedElement(in, func(i int, e []byte) bool {
				if i != seen || !bytes.Equal(e, got[i]) {
					t.Fatalf("%q: element %d is %q, want %q", in, i, e, got[i])
				}
				seen++
				return true
			})
			if seen != len(got) {
				t.Fatalf("%q: EachShapedElement gave %d elements, want %d", in, seen, len(got))
			}
			// CountArrayUpTo keeps the places of as many elements as it may.
			for _, keep := range []int{0, len(got) - 1, len(got)} {
				n, bounds, err := CountArrayUpTo(in, keep)
				if err != nil || n != len(got) || (keep >= n && n > 0) != (bounds != nil) {
					t.Fatalf("%q keeping %d: %d elements, %d places, %v", in, keep, n, len(bounds), err)
				}
				for i, b := range bounds {
					if !bytes.Equal(in[b.Start:b.End], got[i]) {
						t.Fatalf("%q keeping %d: element %d at %v", in, keep, i, b)
					}
				}
			}
		}
		if !utf8.Valid(in) {
			if err == nil && bytes.ContainsAny(in, "\"") {
				// Text that is not UTF-8 inside a string is refused, by design
				// (RFC 8259); outside strings it is no JSON anyway.
				for _, e := range got {
					if !utf8.Valid(e) {
						t.Fatalf("%q: an element that is not UTF-8 was accepted", in)
					}
				}
			}
			return
		}
		var want []json.RawMessage
		if wantErr := json.Unmarshal(in, &want); (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: err %v, encoding/json %v", in, err, wantErr)
		}
		if err == nil && len(got) != len(want) {
			t.Fatalf("%q: %d elements, want %d", in, len(got), len(want))
		}
	})
}
