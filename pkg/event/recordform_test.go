package event

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
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
	if _, err := ReadRecords("\x03"+string(body[1:]), nil); !errors.Is(err, ErrRecordForm) {
		t.Errorf("version 3 read: %v", err)
	}
	bad := append(AppendRecordsHead(nil, 1), body[RecordsHeadSize(2):RecordsHeadSize(2)+RecordSize(&r)]...)
	bad[one-2] = 2 // Resolved
	if _, err := ReadRecords(string(bad), nil); !errors.Is(err, ErrRecordForm) {
		t.Errorf("a flag of 2 read: %v", err)
	}
	// A length past the body, a varint that never ends, in either version;
	// a reference past the JSON, or starting past it.
	for _, b := range []string{"\x01\x01\xff\xff\xff\xff\x0f", "\x01\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", "\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80",
		"\x02\x01\xff\xff\xff\xff\x0f", "\x02\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", "\x02\x01\x02{}\x01\x03", "\x02\x01\x02{}\x05\x00"} {
		if _, err := ReadRecords(b, nil); !errors.Is(err, ErrRecordForm) {
			t.Errorf("%q read: %v", b, err)
		}
	}
}

// TestRecordFormRefersToTheJSON: the columns the validator read are
// substrings of the event's text, and the record refers to them instead of
// writing them again, so a record is its JSON and a few bytes a column. A
// string equal to a part of the JSON but elsewhere in memory is written.
func TestRecordFormRefersToTheJSON(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, seed := range corpusSeeds() {
		_, r, err := v.Decode([]byte(seed))
		if err != nil {
			continue
		}
		seen++
		// 22 strings of at most 4 bytes each as references (offset and length
		// under 16,384), 5 instants of at most 10, the two flags, Raw's length.
		if size, most := RecordSize(&r), len(r.Raw)+22*4+5*10+2+3; size > most {
			t.Errorf("record of %.80s: %d bytes for %d of JSON", seed, size, len(r.Raw))
		}
	}
	if seen < 20 {
		t.Fatalf("only %d seeds validate", seen)
	}
	raw := `{"id":"c-1","source":"/sources/hotline"}`
	r := Record{Raw: raw, ID: raw[7:10], Source: strings.Clone(raw[22:38])}
	body := AppendRecord(AppendRecordsHead(nil, 1), &r)
	columns := body[RecordsHeadSize(1)+1+len(raw):] // after the head, Raw's length and Raw
	if !bytes.Contains(columns, []byte("/sources/hotline")) || bytes.Contains(columns, []byte("c-1")) {
		t.Errorf("the copy is not written, or the substring is: %q", body)
	}
	got, err := ReadRecords(string(body), nil)
	if err != nil || len(got) != 1 || got[0] != r {
		t.Fatalf("read %+v, %v; want %+v", got, err, r)
	}
}

// TestRecordFormReadsVersion1: bodies ingest wrote before references (every
// string a literal, Raw last) stay in the stream and are read as written.
func TestRecordFormReadsVersion1(t *testing.T) {
	want := []Record{
		{Source: "/sources/hotline", ID: "c-1", Type: TypeComplaintAssigned, CaseID: "HX1", Unit: "u", Category: "property",
			TimeNs: 1783041120000000000, ResponseDueNs: -5, Resolved: true, Rating: 4, Raw: `{"id":"c-1"}`},
		{Source: "/sources/review", ID: "r-9", Score: "9.5", Raw: `{"id":"r-9"}`},
	}
	body := binary.AppendUvarint([]byte{1}, uint64(len(want)))
	for i := range want {
		for _, s := range want[i].strings() { // Raw last
			body = binary.AppendUvarint(body, uint64(len(*s)))
			body = append(body, *s...)
		}
		for _, n := range want[i].instants() {
			body = binary.AppendVarint(body, *n)
		}
		body = append(body, 0, want[i].Rating)
		if want[i].Resolved {
			body[len(body)-2] = 1
		}
	}
	got, err := ReadRecords(string(body), nil)
	if err != nil || len(got) != len(want) {
		t.Fatalf("read %d records, %v", len(got), err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d:\n%+v\nwant\n%+v", i, got[i], want[i])
		}
	}
}

// FuzzRecordForm: no body makes ReadRecords panic, and the records it reads
// are written again (AppendRecord) into a body read back to the same records.
// The seeds are bodies of the corpus's events in both versions.
func FuzzRecordForm(f *testing.F) {
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	var records []Record
	for _, seed := range corpusSeeds() {
		if _, r, err := v.Decode([]byte(seed)); err == nil {
			records = append(records, r)
			f.Add(AppendRecord(AppendRecordsHead(nil, 1), &r))
		}
	}
	body := AppendRecordsHead(nil, len(records))
	for i := range records {
		body = AppendRecord(body, &records[i])
	}
	f.Add(body)
	f.Add([]byte("\x01\x01\x01a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ReadRecords(string(body), nil)
		if err != nil {
			return
		}
		again := AppendRecordsHead(nil, len(got))
		for i := range got {
			again = AppendRecord(again, &got[i])
		}
		back, err := ReadRecords(string(again), nil)
		if err != nil || len(back) != len(got) {
			t.Fatalf("written again: %d records, %v; read %d", len(back), err, len(got))
		}
		for i := range got {
			if back[i] != got[i] {
				t.Fatalf("record %d written again:\n%+v\nwas\n%+v", i, back[i], got[i])
			}
		}
	})
}

// TestUvarintLen: the computed length is the one binary.AppendUvarint
// writes, at every length's edges.
func TestUvarintLen(t *testing.T) {
	for shift := range 64 {
		for _, x := range []uint64{1<<shift - 1, 1 << shift, 1<<shift + 1} {
			if got, want := uvarintLen(x), len(binary.AppendUvarint(nil, x)); got != want {
				t.Errorf("uvarintLen(%d) = %d, want %d", x, got, want)
			}
		}
	}
	if got := uvarintLen(^uint64(0)); got != 10 {
		t.Errorf("uvarintLen(max) = %d, want 10", got)
	}
}
