package store_test

import (
	"context"
	"fmt"
	"testing"

	"kaoping/pkg/event"
)

// BenchmarkInsertEvents inserts batches of 10,000 records of about 300
// bytes of raw JSON each, as the aggregator does.
var benchBatch = 10000

func BenchmarkInsertEvents(b *testing.B) {
	s := openStore(b)
	recs := make([]event.Record, benchBatch)
	for i := range recs {
		recs[i] = event.Record{Source: "/sources/hotline", ID: fmt.Sprintf("c-%d-assigned", i), Type: event.TypeComplaintAssigned,
			TimeNs: int64(i), IngestNs: int64(i), StreamSeq: uint64(i / 1000), MsgPos: uint32(i % 1000), CaseID: fmt.Sprintf("HX%08d", i),
			PeriodNs: int64(i), Unit: "jx.nanhu.st07.c03", Cadre: "k0001234", Category: "property", ResponseDueNs: 1, ResolveDueNs: 2,
			Raw: fmt.Sprintf(`{"specversion":"1.0","id":"c-%d-assigned","source":"/sources/hotline","type":"kaoping.complaint.assigned","time":"2026-07-03T09:12:00+08:00","datacontenttype":"application/json","data":{"complaint_id":"HX%08d","unit":"jx.nanhu.st07.c03","category":"property","response_due":"2026-07-03T11:12:00+08:00","resolve_due":"2026-07-10T09:12:00+08:00"}}`, i, i)}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := s.InsertEvents(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "events/s")
}
