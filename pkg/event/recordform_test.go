package event

import (
	"errors"
	"math"
	"testing"
)

// TestRecordFormKeepsEveryColumn: every seed of the corpus that validates
// comes back from the record form with every column the validator read, in
// one body holding them all, and the body's length is what RecordSize says.
func TestRecordFormKeepsEveryColumn(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	var want []Record
	var records []byte
	for _, seed := range corpusSeeds() {
		_, r, err := v.Decode([]byte(seed))
		if err != nil {
			continue
		}
		before := len(records)
		records = AppendRecord(records, &r)
		if got := len(records) - before; got != RecordSize(&r) {
			t.Fatalf("record of %.80s: %d bytes, RecordSize says %d", seed, got, RecordSize(&r))
		}
		want = append(want, r)
	}
	// Extremes the corpus may lack: negative and largest instants, a flag, a rating.
	want = append(want, Record{Source: "/s", ID: "x", TimeNs: math.MinInt64, DueNs: math.MaxInt64, Resolved: true, Rating: 255, Raw: "{}"})
	records = AppendRecord(records, &want[len(want)-1])
	body := append(AppendRecordsHead(nil, len(want)), records...)
	if head := RecordsHeadSize(len(want)); head != len(body)-len(records) {
		t.Fatalf("head of %d bytes, RecordsHeadSize says %d", len(body)-len(records), head)
	}
	if len(want) < 20 {
		t.Fatalf("only %d seeds validate", len(want))
	}
	got, err := ReadRecords(string(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records read, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d:\n%+v\nwant\n%+v", i, got[i], want[i])
		}
	}
}

// TestRecordFormRefusesWhatItDidNotWrite: a body cut anywhere short, of
// another version, or with a flag that is not 0 or 1 is an error, never a
// record made up or a panic.
func TestRecordFormRefusesWhatItDidNotWrite(t *testing.T) {
	r := Record{Source: "/sources/hotline", ID: "c-1", Type: TypeComplaintAssigned, CaseID: "HX1", TimeNs: 1, Raw: `{"id":"c-1"}`}
	body := AppendRecord(AppendRecord(AppendRecordsHead(nil, 2), &r), &r)
	for n := range len(body) {
		if got, err := ReadRecords(string(body[:n]), nil); !errors.Is(err, ErrRecordForm) {
			t.Errorf("a body cut at %d of %d: %d records, %v", n, len(body), len(got), err)
		}
	}
	if got, err := ReadRecords(string(body), nil); err != nil || len(got) != 2 {
		t.Fatalf("the whole body: %d records, %v", len(got), err)
	}
	// A count that is not the records': fewer, or more.
	for _, n := range []int{1, 3} {
		other := append(AppendRecordsHead(nil, n), body[RecordsHeadSize(2):]...)
		if got, err := ReadRecords(string(other), nil); !errors.Is(err, ErrRecordForm) {
			t.Errorf("a head counting %d of 2 records: %d records, %v", n, len(got), err)
		}
	}
	one := RecordsHeadSize(1) + RecordSize(&r)
	if _, err := ReadRecords("\x02"+string(body[1:]), nil); !errors.Is(err, ErrRecordForm) {
		t.Errorf("version 2 read: %v", err)
	}
	bad := append(AppendRecordsHead(nil, 1), body[RecordsHeadSize(2):RecordsHeadSize(2)+RecordSize(&r)]...)
	bad[one-2] = 2 // Resolved
	if _, err := ReadRecords(string(bad), nil); !errors.Is(err, ErrRecordForm) {
		t.Errorf("a flag of 2 read: %v", err)
	}
	// A length past the body, and a varint that never ends.
	for _, b := range []string{"\x01\x01\xff\xff\xff\xff\x0f", "\x01\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", "\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"} {
		if _, err := ReadRecords(b, nil); !errors.Is(err, ErrRecordForm) {
			t.Errorf("%q read: %v", b, err)
		}
	}
}
