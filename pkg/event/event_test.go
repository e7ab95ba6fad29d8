package event

import (
	"strings"
	"testing"
	"time"
)

func mustValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParse(t *testing.T) {
	v := mustValidator(t)
	tests := []struct {
		name    string
		raw     string
		wantErr string // substring of the error; "" means valid
	}{
		{"valid assigned", `{"specversion":"1.0","id":"c-1","source":"/sources/hotline","type":"kaoping.complaint.assigned","time":"2026-07-03T09:12:00+08:00","datacontenttype":"application/json","data":{"complaint_id":"HX1","unit":"jx.nanhu.st07","category":"property","response_due":"2026-07-03T11:12:00+08:00","resolve_due":"2026-07-10T09:12:00+08:00"}}`, ""},
		{"valid utc with fraction", `{"specversion":"1.0","id":"c-2","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T01:12:00.123456789Z","data":{"complaint_id":"HX1"}}`, ""},
		{"unknown data field is named", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00+08:00","data":{"complaint_id":"HX1","phone":"13800000000"}}`, "phone"},
		{"unknown envelope attribute is named", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00+08:00","citizen":"x","data":{"complaint_id":"HX1"}}`, "citizen"},
		{"time without offset", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00","data":{"complaint_id":"HX1"}}`, "time"},
		{"deadline without offset", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.issue.listed","time":"2026-07-03T09:12:00Z","data":{"issue_id":"I1","list":"audit","severity":"major","unit":"u","due":"2026-08-01T00:00:00"}}`, "due"},
		{"unknown type", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.lost","time":"2026-07-03T09:12:00Z","data":{}}`, "type"},
		{"missing required", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.resolved","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1"}}`, "resolved"},
		{"rating out of range", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.rated","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1","rating":6}}`, "rating"},
		{"bad period label", `{"specversion":"1.0","id":"r","source":"/s","type":"kaoping.review.rated","time":"2026-07-03T09:12:00Z","data":{"review_id":"R1","subject_kind":"unit","subject":"u","period":"2026-Q3","rater_group":"peers","score":88.5}}`, "period"},
		{"a period after 2199", `{"specversion":"1.0","id":"r","source":"/s","type":"kaoping.review.rated","time":"2026-07-03T09:12:00Z","data":{"review_id":"R1","subject_kind":"unit","subject":"u","period":"2200Q1","rater_group":"peers","score":88.5}}`, "period"},
		{"a period before 1970", `{"specversion":"1.0","id":"r","source":"/s","type":"kaoping.review.rated","time":"2026-07-03T09:12:00Z","data":{"review_id":"R1","subject_kind":"unit","subject":"u","period":"1969","rater_group":"peers","score":88.5}}`, "period"},
		{"wrong specversion", `{"specversion":"0.3","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1"}}`, "specversion"},
		{"rating 4.5 is not an integer", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.rated","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1","rating":4.5}}`, "rating"},
		{"lower-case t and z are RFC 3339", `{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03t09:12:00z","data":{"complaint_id":"HX1"}}`, ""},
		{"not an object", `[1,2]`, "object"},
		{"not json", `{"specversion":`, "JSON"},
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

func TestToRecordKeepsExactScoreAndInstants(t *testing.T) {
	v := mustValidator(t)
	e, err := v.Parse([]byte(`{"specversion":"1.0","id":"r","source":"/s","type":"kaoping.review.rated","time":"2026-09-30T23:59:59.999999999+08:00","data":{"review_id":"R1","subject_kind":"unit","subject":"u","period":"2026Q3","rater_group":"peers","score":87.345}}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ToRecord(e, 7, 2, time.Unix(0, 5))
	if err != nil {
		t.Fatal(err)
	}
	if r.Score != "87.345" {
		t.Errorf("score = %q, want the exact text 87.345", r.Score)
	}
	want := time.Date(2026, 9, 30, 15, 59, 59, 999999999, time.UTC).UnixNano()
	if r.TimeNs != want || r.StreamSeq != 7 || r.MsgPos != 2 || r.IngestNs != 5 || r.CaseID != "R1" {
		t.Errorf("record = %+v", r)
	}
}

// JSON Schema counts 4.0 and 4e0 as integers; the stored rating must be 4, so
// that an event ingest accepted is never dead-lettered by the aggregator.
func TestRatingWrittenAsAnyIntegerNumber(t *testing.T) {
	v := mustValidator(t)
	for _, n := range []string{"4", "4.0", "4e0", "0.4e1"} {
		e, err := v.Parse([]byte(`{"specversion":"1.0","id":"c","source":"/s","type":"kaoping.complaint.rated","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1","rating":` + n + `}}`))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		r, err := ToRecord(e, 1, 0, time.Now())
		if err != nil || r.Rating != 4 {
			t.Errorf("%s: rating %d, %v", n, r.Rating, err)
		}
	}
}

func TestCheckIngestTime(t *testing.T) {
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	ok := Event{Time: now.Add(MaxFutureSkew)}
	late := Event{Time: now.Add(MaxFutureSkew + time.Nanosecond)}
	if err := ok.CheckIngestTime(now); err != nil {
		t.Errorf("exactly 5 minutes ahead: %v", err)
	}
	if err := late.CheckIngestTime(now); err == nil {
		t.Error("more than 5 minutes ahead was accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"specversion":"1.0","id":"c-1","source":"/s","type":"kaoping.complaint.responded","time":"2026-07-03T09:12:00+08:00","data":{"complaint_id":"HX1"}}`))
	f.Add([]byte(`{"specversion":"1.0","id":"r","source":"/s","type":"kaoping.review.rated","time":"2026-07-03T09:12:00Z","data":{"review_id":"R1","subject_kind":"unit","subject":"u","period":"2026Q3","rater_group":"peers","score":1e2}}`))
	f.Add([]byte(`{"specversion":"1.0","id":"c","source":"/s","type":"kaoping.complaint.rated","time":"2026-07-03T09:12:00Z","data":{"complaint_id":"HX1","rating":4.0}}`))
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := v.Parse(raw)
		if err != nil {
			return
		}
		if _, err := ToRecord(e, 1, 0, time.Now()); err != nil {
			t.Fatalf("a valid event did not become a record: %v", err)
		}
	})
}
