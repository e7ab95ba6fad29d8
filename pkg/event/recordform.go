package event

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
	"unsafe"
)

// The record form: the typed columns of events already validated, in a
// binary layout read without parsing JSON. Ingest publishes what it accepted
// in this form on kaoping.ingest.<name>, where only ingest may publish (SPEC
// §4), so the aggregator stores an event ingest checked without checking or
// parsing it again. It is no part of the wire contract for sources: a
// message in this form on any other subject is read as what SPEC §4 says it
// is, one structured event, and refused as not JSON.
//
// A body is the version byte and the number of records as a uvarint (so a
// reader makes room for them once), then each record: its JSON (Raw) as a
// uvarint length and its bytes; every other string as a uvarint h, either
// a literal (h = length<<1, its bytes follow) or a reference into the JSON
// (h = offset<<1 | 1, a uvarint length follows): the validator reads most
// columns as substrings of the event's text (Validator.DecodeInto), so they
// are not written twice, and a record is hardly longer than its JSON; then
// the instants as varints, then Resolved and Rating as one byte each.
// StreamSeq, MsgPos and IngestNs are not carried: the stream gives them
// (Record.Stamp).
//
// Version 1 wrote every string as a literal, Raw last (it made a record
// about 1.5 times its JSON). Its bodies stay in the stream and are read as
// they were, by the aggregator and by a rebuild.

// RecordFormVersion is the first byte of a body in the record form, the
// version AppendRecordsHead writes.
const RecordFormVersion = 2

// recordFormLiterals is version 1, every string a literal.
const recordFormLiterals = 1

// ErrRecordForm means a body is not a sequence of records in the form.
var ErrRecordForm = errors.New("event: a body in the record form is cut short or of another version")

// AppendRecordsHead begins a body of n records in b.
func AppendRecordsHead(b []byte, n int) []byte {
	return binary.AppendUvarint(append(b, RecordFormVersion), uint64(n))
}

// RecordsHeadSize is the length AppendRecordsHead adds.
func RecordsHeadSize(n int) int {
	return 1 + uvarintLen(uint64(n))
}

// AppendRecord appends r in the record form to b, after the body's head.
func AppendRecord(b []byte, r *Record) []byte {
	b = binary.AppendUvarint(b, uint64(len(r.Raw)))
	b = append(b, r.Raw...)
	strs := r.strings()
	for _, s := range strs[:len(strs)-1] {
		if off, ok := within(r.Raw, *s); ok {
			b = binary.AppendUvarint(b, uint64(off)<<1|1)
			b = binary.AppendUvarint(b, uint64(len(*s)))
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(*s))<<1)
		b = append(b, *s...)
	}
	for _, n := range r.instants() {
		b = binary.AppendVarint(b, *n)
	}
	resolved := byte(0)
	if r.Resolved {
		resolved = 1
	}
	return append(b, resolved, r.Rating)
}

// RecordSize is the length AppendRecord adds for r.
func RecordSize(r *Record) int {
	n := 2 + uvarintLen(uint64(len(r.Raw))) + len(r.Raw)
	strs := r.strings()
	for _, s := range strs[:len(strs)-1] {
		if off, ok := within(r.Raw, *s); ok {
			n += uvarintLen(uint64(off)<<1|1) + uvarintLen(uint64(len(*s)))
			continue
		}
		n += uvarintLen(uint64(len(*s))<<1) + len(*s)
	}
	for _, x := range r.instants() {
		n += uvarintLen(uint64(*x<<1) ^ uint64(*x>>63)) // zigzag, as AppendVarint
	}
	return n
}

// within is where s lies in raw when s is a substring of raw's bytes (not
// merely equal to one: the same memory), as the validator's columns are.
func within(raw, s string) (int, bool) {
	if len(s) == 0 || len(s) > len(raw) {
		return 0, false
	}
	off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.StringData(raw)))
	if off > uintptr(len(raw)-len(s)) { // also when s starts before raw: off wraps around
		return 0, false
	}
	return int(off), true
}

// uvarintLen is the length binary.AppendUvarint gives x: 7 bits a byte.
func uvarintLen(x uint64) int {
	return (bits.Len64(x|1) + 6) / 7
}

// ReadRecords appends to dst the records of body, a whole body in the
// record form. Every string of a record is a substring of body: one copy of
// a message holds its events.
func ReadRecords(body string, dst []Record) ([]Record, error) {
	if len(body) == 0 || (body[0] != RecordFormVersion && body[0] != recordFormLiterals) {
		return dst, ErrRecordForm
	}
	n, w := uvarint(body[1:])
	// Each record takes at least one byte per field: a count past that is not
	// one this package wrote.
	if w <= 0 || n > uint64(len(body)) {
		return dst, ErrRecordForm
	}
	rd := formReader{s: body, at: 1 + w}
	dst = slices.Grow(dst, int(n))
	for range n {
		dst = append(dst, Record{})
		r := &dst[len(dst)-1]
		strs := r.strings()
		if body[0] == recordFormLiterals {
			for _, s := range strs {
				*s = rd.str()
			}
		} else {
			r.Raw = rd.str()
			for _, s := range strs[:len(strs)-1] {
				*s = rd.strIn(r.Raw)
			}
		}
		for _, n := range r.instants() {
			*n = rd.varint()
		}
		resolved, rating := rd.byte(), rd.byte()
		r.Resolved, r.Rating = resolved == 1, rating
		if rd.bad || resolved > 1 {
			return dst[:len(dst)-1], ErrRecordForm
		}
	}
	if rd.at != len(body) {
		return dst, ErrRecordForm
	}
	return dst, nil
}

// RecordOf is the record the validator read into e, shared, not copied; nil
// for an event that did not come from the validator (see ToRecord).
func RecordOf(e *Event) *Record { return e.record }

// strings are a record's string fields, in the order of the form.
func (r *Record) strings() [23]*string {
	return [...]*string{&r.Source, &r.ID, &r.Type, &r.CaseID, &r.Unit, &r.Cadre, &r.Name, &r.Level, &r.Parent,
		&r.Position, &r.Category, &r.List, &r.Severity, &r.Reason, &r.DecisionID, &r.Basis, &r.Summary,
		&r.SubjectKind, &r.Subject, &r.ReviewPeriod, &r.RaterGroup, &r.Score, &r.Raw}
}

// instants are a record's instants, in the order of the form.
func (r *Record) instants() [5]*int64 {
	return [...]*int64{&r.TimeNs, &r.PeriodNs, &r.ResponseDueNs, &r.ResolveDueNs, &r.DueNs}
}

// formReader reads the fields of the record form; bad is set, and zero values
// returned, once the body is cut short.
type formReader struct {
	s   string
	at  int
	bad bool
}

func (rd *formReader) str() string {
	n, w := uvarint(rd.s[rd.at:])
	if w <= 0 || n > uint64(len(rd.s)-rd.at-w) {
		rd.bad, rd.at = true, len(rd.s)
		return ""
	}
	start := rd.at + w
	rd.at = start + int(n)
	return rd.s[start:rd.at]
}

// strIn reads a string of version 2: a literal, or a reference into raw.
func (rd *formReader) strIn(raw string) string {
	h, w := uvarint(rd.s[rd.at:])
	if w <= 0 {
		rd.bad, rd.at = true, len(rd.s)
		return ""
	}
	if h&1 == 0 {
		n := h >> 1
		if n > uint64(len(rd.s)-rd.at-w) {
			rd.bad, rd.at = true, len(rd.s)
			return ""
		}
		start := rd.at + w
		rd.at = start + int(n)
		return rd.s[start:rd.at]
	}
	rd.at += w
	off := h >> 1
	n, w := uvarint(rd.s[rd.at:])
	if w <= 0 || off > uint64(len(raw)) || n > uint64(len(raw))-off {
		rd.bad, rd.at = true, len(rd.s)
		return ""
	}
	rd.at += w
	return raw[off : off+n]
}

func (rd *formReader) varint() int64 {
	u, w := uvarint(rd.s[rd.at:])
	if w <= 0 {
		rd.bad, rd.at = true, len(rd.s)
		return 0
	}
	rd.at += w
	// Zigzag, as binary.AppendVarint writes it.
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (rd *formReader) byte() byte {
	if rd.at >= len(rd.s) {
		rd.bad = true
		return 0
	}
	rd.at++
	return rd.s[rd.at-1]
}

// uvarint is binary.Uvarint on a string: the width read, 0 when cut short,
// negative on an overflow.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1)
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}
