package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// shapeAgrees checks what ArrayShapeUpTo promises against the whole check:
// a body passes CountArrayUpTo exactly when its shape passes and every
// element is a JSON value, and then both find the same elements.
func shapeAgrees(t *testing.T, body []byte) {
	t.Helper()
	n, bounds, err := CountArrayUpTo(body, 1<<20)
	sn, sbounds, serr := ArrayShapeUpTo(body, 1<<20)
	whole := serr == nil
	if serr == nil {
		for _, b := range sbounds {
			if ElementSyntax(body, b.Start, b.End) != nil {
				whole = false
				break
			}
		}
	}
	if (err == nil) != whole {
		t.Fatalf("%q: whole check %v, shape %v (elements checked: %v)", body, err, serr, whole)
	}
	if errorsIsNotArray(err) != errorsIsNotArray(serr) {
		t.Fatalf("%q: not an array: whole %v, shape %v", body, err, serr)
	}
	if err == nil && (n != sn || !slices.Equal(bounds, sbounds)) {
		t.Fatalf("%q: whole finds %d %v, shape %d %v", body, n, bounds, sn, sbounds)
	}
	if err == nil && len(body) < 10_000 && !json.Valid(body) { // encoding/json refuses nesting past 10,000
		t.Fatalf("%q passes, but encoding/json says it is not JSON", body)
	}
	if serr == nil {
		// EachShapedElement hands out the same elements, as subslices of body.
		var each []Bounds
		EachShapedElement(body, func(i int, elem []byte) bool {
			start := int(uintptr(unsafe.Pointer(unsafe.SliceData(elem))) - uintptr(unsafe.Pointer(unsafe.SliceData(body))))
			each = append(each, Bounds{start, start + len(elem)})
			return true
		})
		if !slices.Equal(each, sbounds) {
			t.Fatalf("%q: EachShapedElement gives %v, ArrayShapeUpTo %v", body, each, sbounds)
		}
	}
}

func errorsIsNotArray(err error) bool { return err == ErrNotArray }

var shapeSeeds = []string{
	`[]`, ` [ ] `, `[1]`, `[1,2]`, `[1 2]`, `[1,]`, `[,1]`, `[`, `]`, `[1`, `[{}]`, `[{},{}]`, `[{}x]`,
	`[{]}`, `[[}]`, `[tru]`, `[true,false,null]`, `[1"a"]`, `["a"1]`, `["a\"]`, `["a\\"]`, `["\u00e9"]`,
	`["a` + "\n" + `"]`, `[{"a":[1,{"b":"]"}]}]`, `[{"a":1}]x`, `[{"a":1}] `, `{}`, `{`, `1`, `"x"`, `null`,
	`[-]`, `[01]`, `[1.]`, `[1e5, -0.5E-3]`, "[\t{}\r\n,\n{} ]", `[{"a" 1}]`, `[{"a":}]`, `[{,}]`, `[[[[]]]]`,
	`[[[[]]]`, `["长城", "\ud800"]`, `[{"k":"v\\\"w"}]`, `[""]`, `["` + strings.Repeat("abcdefgh", 5) + `"]`,
	`["` + strings.Repeat("abcdefg\\\"", 5) + `"]`, `[{"a":"` + strings.Repeat("x", 17) + `\`,
}

// TestArrayShapeAgrees runs shapeAgrees on bodies built around each way an
// array can be broken, and on a batch of real events.
func TestArrayShapeAgrees(t *testing.T) {
	for _, s := range shapeSeeds {
		shapeAgrees(t, []byte(s))
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := range 50 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, strings.Replace(benchAssigned, `"c-1"`, fmt.Sprintf(`"c-%d"`, i), 1))
	}
	b.WriteByte(']')
	shapeAgrees(t, []byte(b.String()))
	if n, _, err := ArrayShapeUpTo([]byte(b.String()), 10); n != 50 || err != nil {
		t.Fatalf("50 events: %d, %v", n, err)
	}
}

// FuzzArrayShape: shapeAgrees on every input.
func FuzzArrayShape(f *testing.F) {
	for _, s := range shapeSeeds {
		f.Add(s)
	}
	f.Add("[" + benchAssigned + "," + benchReview + "]")
	f.Fuzz(func(t *testing.T, body string) {
		shapeAgrees(t, []byte(body))
	})
}

// BenchmarkArrayShape and BenchmarkArrayWhole read a batch of 1,000 events
// by its shape and whole: what ingest's pass before validating costs.
func BenchmarkArrayShape(b *testing.B) { benchArray(b, ArrayShapeUpTo) }
func BenchmarkArrayWhole(b *testing.B) { benchArray(b, CountArrayUpTo) }

func benchArray(b *testing.B, read func([]byte, int) (int, []Bounds, error)) {
	var body bytes.Buffer
	body.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(strings.Replace(benchAssigned, `"c-1"`, fmt.Sprintf(`"c-%d"`, i), 1))
	}
	body.WriteByte(']')
	b.SetBytes(int64(body.Len()))
	for b.Loop() {
		if n, _, err := read(body.Bytes(), 10_000); n != 1000 || err != nil {
			b.Fatal(n, err)
		}
	}
}
