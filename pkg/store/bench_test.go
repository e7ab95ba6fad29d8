package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"kaoping/pkg/event"
)

// BenchmarkInsertEvents inserts batches of 30,000 records (the aggregator's
// batch) of about 300 bytes of raw JSON each, in the order a stream brings
// them: the four steps of complaints interleaved, cases in no order.
func BenchmarkInsertEvents(b *testing.B) {
	s := openStore(b)
	const n = 30000
	types := []string{event.TypeComplaintAssigned, event.TypeComplaintResponded, event.TypeComplaintResolved, event.TypeComplaintRated}
	cases := rand.New(rand.NewPCG(1, 2)).Perm(n)
	recs := make([]event.Record, n)
	for i := range recs {
		c := cases[i]
		recs[i] = event.Record{Source: "/sources/hotline", ID: fmt.Sprintf("c-%d-%d", c, i%4), Type: types[i%4],
			TimeNs: int64(i), IngestNs: int64(i), StreamSeq: uint64(i / 1000), MsgPos: uint32(i % 1000), CaseID: fmt.Sprintf("HX%08d", c),
			PeriodNs: int64(i), Unit: "jx.nanhu.st07.c03", Cadre: "k0001234", Category: "property", ResponseDueNs: 1, ResolveDueNs: 2,
			Raw: fmt.Sprintf(`{"specversion":"1.0","id":"c-%d-%d","source":"/sources/hotline","type":"%s","time":"2026-07-03T09:12:00+08:00","datacontenttype":"application/json","data":{"complaint_id":"HX%08d","unit":"jx.nanhu.st07.c03","category":"property","response_due":"2026-07-03T11:12:00+08:00","resolve_due":"2026-07-10T09:12:00+08:00"}}`, c, i%4, types[i%4], c)}
	}
	recs = asReceived(b, recs)
	b.ResetTimer()
	cpu := processCPU(b)
	for b.Loop() {
		if err := s.InsertEvents(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "events/s")
	// The client's own CPU (ns/op holds the server's work too): what the
	// aggregator pays per batch.
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(time.Millisecond)/float64(b.N), "client-cpu-ms/op")
}

// asReceived is recs as the aggregator holds them: read back from messages
// of 1,000 in the record form, every string a substring of its message's
// body (what the column writers copy from, with its memory layout).
func asReceived(b *testing.B, recs []event.Record) []event.Record {
	var out []event.Record
	for lo := 0; lo < len(recs); lo += 1000 {
		chunk := recs[lo:min(lo+1000, len(recs))]
		body := event.AppendRecordsHead(nil, len(chunk))
		for i := range chunk {
			body = event.AppendRecord(body, &chunk[i])
		}
		var err error
		if out, err = event.ReadRecords(string(body), out); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// processCPU is the CPU time this process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
