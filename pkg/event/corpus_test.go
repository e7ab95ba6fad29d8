package event

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var writeCorpus = flag.Bool("write-corpus", false, "write the seed corpus of FuzzFastMatchesSchema to testdata")

// TestWriteCorpus writes the seeds below to testdata/fuzz/FuzzFastMatchesSchema
// when run with -write-corpus; inputs the fuzzer found are kept beside them.
func TestWriteCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -write-corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzFastMatchesSchema")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range corpusSeeds() {
		sum := sha256.Sum256([]byte(s))
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+hex.EncodeToString(sum[:8])), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// member is one member of a seed's data, its value as JSON text.
type member struct{ name, value string }

type seedType struct {
	typ  string
	data []member
}

var seedTypes = []seedType{
	{TypeUnitUpserted, []member{{"unit", `"jx.nanhu.st07"`}, {"name", `"南湖街道"`}, {"level", `"street"`}, {"parent", `"jx.nanhu"`}}},
	{TypeCadreUpserted, []member{{"cadre", `"k1"`}, {"name", `"张三"`}, {"unit", `"jx.nanhu.st07"`}, {"position", `"主任"`}}},
	{TypeComplaintAssigned, []member{{"complaint_id", `"HX1"`}, {"unit", `"jx.nanhu.st07"`}, {"cadre", `"k1"`},
		{"category", `"property"`}, {"response_due", `"2026-07-03T11:12:00+08:00"`}, {"resolve_due", `"2026-07-10T09:12:00+08:00"`}}},
	{TypeComplaintResponded, []member{{"complaint_id", `"HX1"`}}},
	{TypeComplaintResolved, []member{{"complaint_id", `"HX1"`}, {"resolved", `true`}}},
	{TypeComplaintRated, []member{{"complaint_id", `"HX1"`}, {"rating", `4`}}},
	{TypeComplaintReopened, []member{{"complaint_id", `"HX1"`}, {"reason", `"not fixed"`}}},
	{TypeComplaintExcluded, []member{{"complaint_id", `"HX1"`}, {"reason", `"duplicate"`}}},
	{TypeIssueListed, []member{{"issue_id", `"I1"`}, {"list", `"production_safety"`}, {"severity", `"major"`},
		{"unit", `"u"`}, {"cadre", `"k1"`}, {"due", `"2026-08-01T00:00:00Z"`}}},
	{TypeIssueClosed, []member{{"issue_id", `"I1"`}}},
	{TypeIssueReopened, []member{{"issue_id", `"I1"`}, {"reason", `"again"`}}},
	{TypeErrorRecorded, []member{{"error_id", `"E1"`}, {"unit", `"u"`}, {"cadre", `"k1"`}, {"severity", `"serious"`},
		{"summary", `"late report; DROP TABLE events; --"`}}},
	{TypeErrorTolerated, []member{{"error_id", `"E1"`}, {"decision_id", `"D1"`}, {"basis", `"rule \"3\""`}}},
	{TypeReviewRated, []member{{"review_id", `"R1"`}, {"subject_kind", `"unit"`}, {"subject", `"u"`},
		{"period", `"2026Q3"`}, {"rater_group", `"peers"`}, {"score", `87.345`}}},
}

func object(ms []member) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = `"` + m.name + `":` + m.value
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func with(ms []member, name, value string) []member {
	out := append([]member(nil), ms...)
	for i := range out {
		if out[i].name == name {
			out[i].value = value
			return out
		}
	}
	return append(out, member{name, value})
}

func without(ms []member, name string) []member {
	var out []member
	for _, m := range ms {
		if m.name != name {
			out = append(out, m)
		}
	}
	return out
}

func seedEnvelope(typ, data string) []member {
	return []member{{"specversion", `"1.0"`}, {"id", `"e-1"`}, {"source", `"/sources/hotline"`}, {"type", fmt.Sprintf("%q", typ)},
		{"time", `"2026-07-03T09:12:00+08:00"`}, {"datacontenttype", `"application/json"`}, {"data", data}}
}

func seedEvent(typ string, data []member) string { return object(seedEnvelope(typ, object(data))) }

func quoted(s string) string { return fmt.Sprintf("%q", s) }

// corpusSeeds are valid and invalid variants of every event type and of the
// envelope, and the edge cases of strings, times and numbers.
func corpusSeeds() []string {
	var seeds []string
	add := func(s ...string) { seeds = append(seeds, s...) }
	for _, st := range seedTypes {
		add(seedEvent(st.typ, st.data))
		add(seedEvent(st.typ, with(st.data, "phone", `"13800000000"`)))
		for _, m := range st.data {
			add(seedEvent(st.typ, without(st.data, m.name)))
			wrong := `1`
			if !strings.HasPrefix(m.value, `"`) {
				wrong = `"1"`
			}
			add(seedEvent(st.typ, with(st.data, m.name, wrong)))
		}
		add(seedEvent(st.typ, with(st.data, st.data[0].name, `null`)))
		add(seedEvent(st.typ, append(append([]member(nil), st.data...), st.data[0]))) // a member twice
	}
	for _, name := range []string{"level", "list", "severity", "subject_kind", "rater_group", "reason"} {
		for _, st := range seedTypes {
			for _, m := range st.data {
				if m.name == name {
					add(seedEvent(st.typ, with(st.data, name, `"nope"`)), seedEvent(st.typ, with(st.data, name, strings.ToUpper(m.value))))
				}
			}
		}
	}
	responded := seedTypes[3]
	base := seedEnvelope(responded.typ, object(responded.data))
	for _, m := range base {
		add(object(without(base, m.name)))
	}
	for _, kv := range [][2]string{
		{"citizen", `"x"`}, {"traceparent", `"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"`}, {"Source", `"/s"`},
		{"specversion", `1.0`}, {"specversion", `"0.3"`}, {"datacontenttype", `"text/plain"`}, {"datacontenttype", `null`},
		{"dataschema", `"https://x/s.json"`}, {"dataschema", `1`}, {"subject", quoted(strings.Repeat("é", 256))},
		{"subject", quoted(strings.Repeat("é", 257))}, {"data", `null`}, {"data", `[]`}, {"data", `"x"`}, {"data", `{}`},
		{"type", `"kaoping.complaint.lost"`}, {"type", `"KAOPING.COMPLAINT.RESPONDED"`}, {"type", `null`},
		{"id", `""`}, {"id", quoted(strings.Repeat("é", 256))}, {"id", quoted(strings.Repeat("é", 257))}, {"id", `"a b\u0000"`},
		{"id", `"\u0041\ud800\udc00\ud800x\udc00"`}, {"source", `""`}, {"source", quoted(strings.Repeat("😀", 256))},
		{"source", quoted(strings.Repeat("😀", 257))}, {"time", `1751505120`},
	} {
		add(object(with(base, kv[0], kv[1])))
	}
	// data before type, as FromBinary writes it; with nested content the
	// schema must refuse once the type is known
	add(`{"data":{"complaint_id":"HX1"},"id":"e-1","source":"/s","specversion":"1.0","time":"2026-07-03T09:12:00Z","type":"kaoping.complaint.responded"}`,
		`{"data":{"complaint_id":"HX1","x":[[[{"}":"]"}]]]},"id":"e-1","source":"/s","specversion":"1.0","time":"2026-07-03T09:12:00Z","type":"kaoping.complaint.responded"}`,
		`{"data":{"complaint_id":"HX1"},"id":"e-1","source":"/s","specversion":"1.0","time":"2026-07-03T09:12:00Z"}`,
		`{"data":{"complaint_id":"HX1"},"data":{"complaint_id":"HX2"},"id":"e-1","source":"/s","specversion":"1.0","time":"2026-07-03T09:12:00Z","type":"kaoping.complaint.responded"}`)
	// strings at their length bounds, counted in code points
	cadre := seedTypes[1]
	for _, n := range []int{199, 200, 201} {
		add(seedEvent(cadre.typ, with(cadre.data, "name", quoted(strings.Repeat("张", n)))),
			seedEvent(cadre.typ, with(cadre.data, "position", quoted(strings.Repeat("😀", n)))))
	}
	reopened := seedTypes[6]
	for _, n := range []int{2000, 2001} {
		add(seedEvent(reopened.typ, with(reopened.data, "reason", quoted(strings.Repeat("é", n)))))
	}
	for _, id := range []string{`"HX 1"`, `"HX\u007f"`, `"é"`, `"!"`, `"~"`, `""`, quoted(strings.Repeat("a", 128)), quoted(strings.Repeat("a", 129)),
		`"\u0048X1"`, `"HX1\n"`} {
		add(seedEvent(responded.typ, with(responded.data, "complaint_id", id)))
	}
	for _, s := range []string{`"\ud800"`, `"\udc00\ud800"`, `"\ud83d\ude00"`, `"a\\u"`, `"tab\there"`, "\"raw\ttab\"", `"\/\b\f\n\r\t\""`} {
		add(seedEvent(cadre.typ, with(cadre.data, "name", s)))
	}
	// times: the range, the offsets, the calendar and the library's quirks
	issue := seedTypes[8]
	assigned := seedTypes[2]
	for _, tm := range []string{
		"1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "1970-01-01T07:59:59+08:00", "1969-12-31T16:00:00-08:00",
		"2199-12-31T23:59:59.999999999Z", "2200-01-01T00:00:00Z", "2200-01-01T07:59:59+08:00", "2199-12-31T23:59:59-00:01",
		"2026-07-03t09:12:00z", "2026-07-03T09:12:00+14:00", "2026-07-03T09:12:00-00:00", "2026-07-03T09:12:00+23:59",
		"2026-07-03T09:12:00+24:00", "2026-07-03T09:12:00+08:60", "2016-12-31T23:59:60Z", "2026-07-03T23:59:60Z",
		"2016-12-31T15:59:60-08:00", "2026-02-30T00:00:00Z", "2028-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
		"2026-07-03T09:12:00", "2026-07-03 09:12:00Z", "2026-07-03T9:12:00Z", "2026-07-03T+9:12:00Z", "2026-07-03T-0:12:00Z",
		"2026-07-03T09:12:00.1234567891234Z", "2026-07-03T09:12:00,5Z", "2026-07-03T09:12:00.Z", "2026-07-03T09:12:00.5+08:00",
		"9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2026-7-3T09:12:00Z", "2026-07-03T09:12:00+0800", "2026-07-03T09:12:00+08:00\n",
		"2026-07-03T24:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-07-03T09:12:00+08:00Z", "２０２６-07-03T09:12:00Z",
	} {
		add(object(with(base, "time", quoted(tm))), seedEvent(issue.typ, with(issue.data, "due", quoted(tm))),
			seedEvent(assigned.typ, with(assigned.data, "response_due", quoted(tm))))
	}
	// numbers: integers written every way, bounds, and costly exponents
	rated, review := seedTypes[5], seedTypes[13]
	for _, n := range []string{"4.0", "4e0", "0.4e1", "40e-1", "4E+0", "5.0000", "5.0001", "1", "0", "6", "-0", "-1", "4.5",
		`"4"`, "1e999999", "1e1000001", "1e-1000001", "1e99999999999999999999", "0e999999999", "01", "1.", ".5", "+1", "4 ", "1e", "Infinity", "NaN",
		"0.5e1", "50000000000000000000e-19", strings.Repeat("0", 1) + "." + strings.Repeat("0", 20) + "4e21"} {
		add(seedEvent(rated.typ, with(rated.data, "rating", n)))
	}
	for _, n := range []string{"0", "-0", "-0.0", "100", "100.0000", "100.0001", "1e2", "1E+2", "0.1e3", "0.10000000001e3", "99.99999999999999999999",
		"1e999999", "1e-999999", "1e1000001", "1e-1000001", "-1e-9", `"88"`, "true", "null", "-", "2.", strings.Repeat("9", 10240),
		"0." + strings.Repeat("0", 10240) + "1", "100" + strings.Repeat("0", 3) + "e-3", "1000e-1", "1000.1e-1"} {
		add(seedEvent(review.typ, with(review.data, "score", n)))
	}
	for _, p := range []string{"2026", "2026Q3", "2026-07", "2026-Q3", "2026Q5", "2026-13", "2026-00", "20261", "٢٠٢٦", "2026\n", "1969Q4", "1970", "2199-12", "2200", "2200Q1", "9999Q4", "0000"} {
		add(seedEvent(review.typ, with(review.data, "period", quoted(p))))
	}
	// duplicates, also by escape, and the first copy carrying personal data
	add(seedEvent(responded.typ, []member{{"complaint_id", `"HX1"`}, {"complaint_id", `"HX2"`}}),
		seedEvent(responded.typ, []member{{"complaint_id", `"HX1"`}, {`compl\u0061int_id`, `"HX2"`}}),
		`{"specversion":"1.0","id":"e-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1","phone":"1"},"data":{"complaint_id":"HX1"}}`,
		`{"specversion":"1.0","id":"e-1","id":"e-2","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1"}}`)
	// bytes that are not UTF-8, a BOM, whitespace, text that is not one object
	valid := seedEvent(responded.typ, responded.data)
	add(strings.Replace(valid, "HX1", "HX\xff", 1), strings.Replace(valid, `"complaint_id"`, `"complaint\xc0_id"`, 1),
		strings.Replace(valid, `"HX1"`, "\"HX1\"\xff", 1), seedEvent(cadre.typ, with(cadre.data, "name", "\"\xed\xa0\x80\"")),
		"\xef\xbb\xbf"+valid, " \t\r\n"+strings.ReplaceAll(valid, ",", " ,\n ")+"\n", valid+" x", valid+valid, valid+"\x00",
		`[1,2]`, `42`, `null`, ``, `{`, `{"specversion":`, `{}`, `"x"`, `{"specversion":"1.0",}`, `{,}`,
		seedEvent(responded.typ, with(responded.data, "x", strings.Repeat("[", 5000)+strings.Repeat("]", 5000))),
		seedEvent(responded.typ, with(responded.data, "complaint_id", `{"a":1}`)),
		seedEvent(responded.typ, with(responded.data, "complaint_id", `["HX1"]`)))
	return seeds
}
