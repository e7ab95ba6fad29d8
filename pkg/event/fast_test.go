package event

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"kaoping/schemas"
)

func responded(data string) string {
	return `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00Z","data":` + data + `}`
}

func rated(rating string) string {
	return `{"specversion":"1.0","id":"c","source":"/s","type":"kaoping.complaint.rated","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1","rating":` + rating + `}}`
}

func review(score string) string {
	return `{"specversion":"1.0","id":"r","source":"/s","type":"kaoping.review.rated","time":"2026-07-03T09:12:00Z","data":{"review_id":"R1","subject_kind":"unit","subject":"u","period":"2026Q3","rater_group":"peers","score":` + score + `}}`
}

func withTime(tm string) string {
	return `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"` + tm + `","data":{"complaint_id":"HX1"}}`
}

// TestDecisions pins every place where the fast path had to choose between
// the schema library's behaviour and the schemas' meaning.
func TestDecisions(t *testing.T) {
	v := mustValidator(t)
	tests := []struct {
		name    string
		raw     string
		wantErr string // "" means accepted
	}{
		// The library replaces bytes that are not UTF-8 with U+FFFD and accepts;
		// RFC 8259 §8.1 requires UTF-8, and a typed column must hold what Raw holds.
		{"bytes that are not UTF-8", responded(`{"complaint_id":"HX` + "\xff" + `"}`), "UTF-8"},
		{"an encoded surrogate is not UTF-8", responded(`{"complaint_id":"` + "\xed\xa0\x80" + `"}`), "UTF-8"},
		// A lone surrogate escape is JSON (RFC 8259 §8.2); it decodes to
		// U+FFFD as in encoding/json, which the library uses.
		{"a lone surrogate escape is U+FFFD", `{"specversion":"1.0","id":"\ud800","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1"}}`, ""},
		// The library keeps the last of two equal names; the raw event would
		// then carry a first copy no schema has seen.
		{"a member twice", responded(`{"complaint_id":"HX1","complaint_id":"HX2"}`), `"complaint_id" appears more than once`},
		{"a member twice by escape", responded(`{"complaint_id":"HX1","compl\u0061int_id":"HX2"}`), "more than once"},
		{"data twice, the first with a phone", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1","phone":"1"},"data":{"complaint_id":"HX1"}}`, "phone"},
		{"a BOM is not JSON", "\xef\xbb\xbf" + responded(`{"complaint_id":"HX1"}`), "JSON"},
		// Numbers are decided from their text, exactly.
		{"rating 4.0", rated("4.0"), ""},
		{"rating 0.4e1", rated("0.4e1"), ""},
		{"rating 5.0001", rated("5.0001"), "not an integer"},
		{"rating 1e999999 is too large", rated("1e999999"), "maximum"},
		{"rating 1e-1000001 is not an integer", rated("1e-1000001"), "not an integer"},
		{"score -0 is 0", review("-0"), ""},
		{"score 100.0000", review("100.0000"), ""},
		{"score 100.0001", review("100.0001"), "maximum"},
		{"score 1e999999", review("1e999999"), "maximum"},
		// The library panics here (big.Rat refuses exponents past 1e6 and
		// the library compares the nil it gets); the value is in [0, 100].
		{"score 1e-1000001", review("1e-1000001"), ""},
		{"score 1e99999999999999999999 saturates", review("1e99999999999999999999"), "maximum"},
		{"score 0e99999999999", review("0e99999999999"), ""},
		{"score of 10 KB of digits", review(strings.Repeat("9", 10<<10)), "maximum"},
		// Times: the library and time.Parse must both accept.
		{"leap second", withTime("2016-12-31T23:59:60Z"), "leap second"},
		{"-00:00 is UTC", withTime("2026-07-03T09:12:00-00:00"), ""},
		{"+14:00", withTime("2026-07-03T09:12:00+14:00"), ""},
		{"+24:00", withTime("2026-07-03T09:12:00+24:00"), "offset"},
		{"the library reads +9 as an hour, time.Parse does not", withTime("2026-07-03T+9:12:00Z"), "hh:mm:ss"},
		{"time.Parse reads a comma fraction, the library does not", withTime("2026-07-03T09:12:00,5Z"), "time"},
		{"a fraction past nanoseconds is cut", withTime("2026-07-03T09:12:00.1234567899Z"), ""},
		{"2026-02-30", withTime("2026-02-30T00:00:00Z"), "no such date"},
		{"lower-case t and z", withTime("2026-07-03t09:12:00z"), ""},
		// The range rule of SPEC §4 names the field.
		{"1969-12-31T23:59:59Z", withTime("1969-12-31T23:59:59Z"), "time: 1969-12-31T23:59:59Z is outside"},
		{"1970-01-01T00:00:00Z", withTime("1970-01-01T00:00:00Z"), ""},
		{"2199-12-31T23:59:59.999999999Z", withTime("2199-12-31T23:59:59.999999999Z"), ""},
		{"2200-01-01T00:00:00Z", withTime("2200-01-01T00:00:00Z"), "outside"},
		{"a due of 9999-12-31", `{"specversion":"1.0","id":"i","source":"/s","type":"kaoping.issue.listed","time":"2026-07-03T09:12:00Z","data":{"issue_id":"I1","list":"audit","severity":"major","unit":"u","due":"9999-12-31T23:59:59Z"}}`, "data.due: 9999-12-31T23:59:59Z is outside"},
		// Lengths count code points, as JSON Schema does.
		{"200 Chinese characters", `{"specversion":"1.0","id":"k","source":"/s","type":"kaoping.org.cadre.upserted","time":"2026-07-03T09:12:00Z","data":{"cadre":"k1","name":"` + strings.Repeat("张", 200) + `","unit":"u","position":"p"}}`, ""},
		{"201 Chinese characters", `{"specversion":"1.0","id":"k","source":"/s","type":"kaoping.org.cadre.upserted","time":"2026-07-03T09:12:00Z","data":{"cadre":"k1","name":"` + strings.Repeat("张", 201) + `","unit":"u","position":"p"}}`, "data.name: 201 characters, more than 200"},
		{"data before type", `{"data":{"complaint_id":"HX1"},"id":"c-1","source":"/s","specversion":"1.0","time":"2026-07-03T09:12:00Z","type":"kaoping.complaint.responded"}`, ""},
		{"data before type with an unknown member", `{"data":{"complaint_id":"HX1","phone":[1]},"id":"c-1","source":"/s","specversion":"1.0","time":"2026-07-03T09:12:00Z","type":"kaoping.complaint.responded"}`, "phone"},
		{"null data", responded(`null`), "data: got null, want object"},
		{"an extension attribute", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00Z","traceparent":"00-1-2-01","data":{"complaint_id":"HX1"}}`, "traceparent"},
		{"a NUL after the event", responded(`{"complaint_id":"HX1"}`) + "\x00", "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Parse([]byte(tt.raw))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("want an error naming %q, got none", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not name %q", err, tt.wantErr)
			}
		})
	}
}

func TestRecordValues(t *testing.T) {
	v := mustValidator(t)
	_, r, err := v.Decode([]byte(`{"specversion":"1.0","id":"\u0063-1","source":"/s","type":"kaoping.org.cadre.upserted","time":"2026-07-03T09:12:00.5+05:30","data":{"cadre":"k1","name":"\ud800\ud83d\ude00","unit":"u","position":"p"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 7, 3, 3, 42, 0, 5e8, time.UTC).UnixNano()
	if r.ID != "c-1" || r.Name != "\uFFFD😀" || r.TimeNs != want || r.CaseID != "k1" || r.PeriodNs != 0 {
		t.Errorf("record = %+v", r)
	}
	e, err := v.Parse([]byte(" {\n \"specversion\" : \"1.0\", \"id\":\"c 1\",\"source\":\"/s\",\"type\":\"kaoping.complaint.responded\",\"time\":\"2026-07-03T09:12:00+08:00\",\"data\": { \"complaint_id\" : \"HX1\" } }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Raw) != `{"specversion":"1.0","id":"c 1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00+08:00","data":{"complaint_id":"HX1"}}` ||
		string(e.Data) != `{"complaint_id":"HX1"}` || e.ID != "c 1" {
		t.Errorf("not compacted: %s / %s", e.Raw, e.Data)
	}
	if _, off := e.Time.Zone(); off != 8*3600 {
		t.Errorf("offset %d, want +08:00", off)
	}
}

// TestNumbersAndNestingAreCheap: a number's value is decided from its text,
// and nothing recurses, so the cost is linear in the size of the text (the
// nesting is 10,000 deep, the limit of encoding/json and so of the library; a
// 100,000 deep one costs ten times as much). The bound is issue 14's, about
// 1 ms of CPU per KB, on the fastest of ten runs (the slower ones measure the
// machine's other work), and never more than 1 ms for a small event.
func TestNumbersAndNestingAreCheap(t *testing.T) {
	v := mustValidator(t)
	for name, raw := range map[string]string{
		"1e999999 score":         review("1e999999"),
		"1e-999999 score":        review("1e-999999"),
		"1e999999 rating":        rated("1e999999"),
		"10 KB of digits":        review(strings.Repeat("7", 10<<10)),
		"10 KB of fraction":      review("0." + strings.Repeat("7", 10<<10)),
		"nested arrays in data":  `{"data":{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `},"type":"kaoping.complaint.responded"}`,
		"nested arrays as value": responded(`{"complaint_id":` + strings.Repeat("[", 10000) + `}`),
		"nested objects":         responded(`{"complaint_id":"HX1","x":` + strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000) + `}`),
	} {
		fastest := time.Hour
		for range 10 {
			start := time.Now()
			v.Parse([]byte(raw))
			fastest = min(fastest, time.Since(start))
		}
		budget := max(time.Millisecond, time.Duration(len(raw)/1024)*time.Millisecond)
		if fastest > budget {
			t.Errorf("%s (%d bytes): %s an event, want < %s (1 ms per KB)", name, len(raw), fastest, budget)
		}
	}
}

// TestPatternsAgreeWithRegexp checks each hand-written pattern against the
// regular expression it stands for, on random strings over the bytes that matter.
func TestPatternsAgreeWithRegexp(t *testing.T) {
	alphabet := []string{"0", "1", "2", "5", "9", "Q", "q", "-", "+", ":", "Z", "z", " ", "~", "!", "\x7f", "\x20", "é", "\n", "T"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for src, p := range patterns {
		re := regexp.MustCompile(src)
		check := func(s string) {
			if p.match(s) != re.MatchString(s) {
				t.Errorf("pattern %s on %q: hand-written %v, regexp %v", src, s, p.match(s), re.MatchString(s))
			}
		}
		for _, s := range []string{"", "2026", "2026Q3", "2026-07", "2026-13", "Z", "+08:00", "x+08:00", "a", "~!", "2026-07-03T09:12:00+08:00"} {
			check(s)
		}
		for range 20000 {
			var b strings.Builder
			for range rnd.IntN(9) {
				b.WriteString(alphabet[rnd.IntN(len(alphabet))])
			}
			check(b.String())
		}
	}
}

// TestSchemasDriveTheRules: the tables come from the schema files, and a
// construct the decoder cannot read fails loading instead of being skipped.
func TestSchemasDriveTheRules(t *testing.T) {
	r, err := loaded()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(slices.Values(r.types)), slices.Sorted(slices.Values(Types)); !slices.Equal(got, want) {
		t.Errorf("the envelope's type enum %v is not Types %v", got, want)
	}
	base := fstest.MapFS{}
	for _, name := range append([]string{"cloudevent"}, Types...) {
		b, err := schemas.Events.ReadFile("events/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		base["events/"+name+".json"] = &fstest.MapFile{Data: b}
	}
	if _, err := loadRules(base); err != nil {
		t.Fatalf("the schemas as files: %v", err)
	}
	for change, want := range map[[2]string]string{
		{`"maxLength": 128`, `"maxLength": 128, "multipleOf": 2`}:         "multipleOf",
		{`"pattern": "^[\\x21-\\x7E]+$"`, `"pattern": "^[a-z]+$"`}:        "pattern",
		{`"additionalProperties": false`, `"additionalProperties": true`}: "additionalProperties",
		{`"format": "date-time"`, `"format": "date"`}:                     "format",
		{`"type": "boolean"`, `"type": ["boolean", "null"]`}:              "type",
		{`"maxLength": 2000`, `"maxLength": 2000, "minimum": 1`}:          "number keywords",
		{`"complaint_id": {`, `"complaint_no": {`}:                        "no Record column",
	} {
		fsys := fstest.MapFS{}
		changed := false
		for name, f := range base {
			s := string(f.Data)
			if strings.Contains(s, change[0]) {
				s, changed = strings.Replace(s, change[0], change[1], 1), true
			}
			fsys[name] = &fstest.MapFile{Data: []byte(s)}
		}
		if !changed {
			t.Fatalf("%s: not found in any schema", change[0])
		}
		if _, err := loadRules(fsys); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s → %s: error %v, want one naming %q", change[0], change[1], err, want)
		}
	}
}

func TestErrorsNameThePlace(t *testing.T) {
	v := mustValidator(t)
	for raw, want := range map[string]string{
		responded(`{"complaint_id":"HX1","phone":"1"}`): `data: unknown member "phone" is not allowed`,
		responded(`{}`): `data: missing required member "complaint_id"`,
		`{"specversion":"1.0","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1"}}`: `event: missing required member "id"`,
		responded(`{"complaint_id":"HX 1"}`): `data.complaint_id: "HX 1" is not printable ASCII without spaces`,
		rated(`6`):                           `data.rating: 6 is more than the maximum 5`,
		`{"specversion":`:                    `event is not JSON: unexpected end at byte 15`,
		`[1,2]`:                              `event: got array, want object`,
		withTime("2026-07-03T09:12:00"):      `time: "2026-07-03T09:12:00" does not end in an offset (Z or ±hh:mm)`,
	} {
		if _, err := v.Parse([]byte(raw)); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", raw, err, want)
		}
	}
}

func TestToRecordWithoutParse(t *testing.T) {
	v := mustValidator(t)
	e, err := v.Parse([]byte(rated("4e0")))
	if err != nil {
		t.Fatal(err)
	}
	bare := Event{ID: e.ID, Source: e.Source, Type: e.Type, Time: e.Time, Data: e.Data, Raw: e.Raw}
	r1, err1 := ToRecord(e, 3, 1, time.Unix(0, 9))
	r2, err2 := ToRecord(bare, 3, 1, time.Unix(0, 9))
	if err1 != nil || err2 != nil || r1 != r2 || r1.Rating != 4 || r1.IngestNs != 9 {
		t.Errorf("%+v %v\n%+v %v", r1, err1, r2, err2)
	}
	if _, err := ToRecord(Event{}, 0, 0, time.Time{}); err == nil {
		t.Error("an empty event became a record")
	}
}

func ExampleValidator_Decode() {
	v, _ := NewValidator()
	_, r, err := v.Decode([]byte(rated("0.4e1")))
	fmt.Println(r.CaseID, r.Rating, err)
	// Output: HX1 4 <nil>
}
