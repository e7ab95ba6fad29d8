package event

import (
	"testing"
)

func TestPeek(t *testing.T) {
	for raw, want := range map[string]Attributes{
		`{"specversion":"1.0","id":"a","source":"/sources/x","type":"t","data":{"id":"no","source":"no"}}`: {"a", "/sources/x", "t"},
		`{"data":{"source":"/sources/inner"},"source":"\/sources\/x","type":7}`:                            {"", "/sources/x", ""},
		`{"source":"/sources/x","source":"/sources/y"}`:                                                    {"", "/sources/x", ""},
		`{"id":"a","source":`:              {ID: "a"},
		`{"id":"a" "source":"/sources/x"}`: {ID: "a"},
		`[{"source":"/sources/x"}]`:        {},
		``:                                 {},
		`{"id":["x"],"type":"t","source":"s","id":"b"}`: {"b", "s", "t"},
		`  {"id" : "a"}`: {ID: "a"},
	} {
		if got := Peek([]byte(raw)); got != want {
			t.Errorf("Peek(%s) = %+v, want %+v", raw, got, want)
		}
	}
}

// FuzzPeek: Peek never panics, and on every event the validator accepts it
// reads the same id, source and type.
func FuzzPeek(f *testing.F) {
	v := mustValidator(f)
	for _, s := range corpusSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := Peek(raw)
		e, err := v.Parse(raw)
		if err != nil {
			return
		}
		if want := (Attributes{e.ID, e.Source, e.Type}); got != want {
			t.Fatalf("Peek(%q) = %+v, the validator read %+v", raw, got, want)
		}
	})
}
