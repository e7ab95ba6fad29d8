package aggregate

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"kaoping/pkg/event"
	"kaoping/pkg/sources"
	"kaoping/pkg/wire"
)

// BenchmarkDecodeBatch reads one batch message of 1,000 complaint events as
// the receiver does: split, check, record.
func BenchmarkDecodeBatch(b *testing.B) {
	v, err := event.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	reg, err := sources.Parse([]byte("sources:\n  - source: /sources/hotline\n    token: t\n    types: [\"*\"]\n"))
	if err != nil {
		b.Fatal(err)
	}
	src, _ := reg.ByName("hotline")
	var raws []byte
	raws = append(raws, '[')
	for i := range 1000 {
		if i > 0 {
			raws = append(raws, ',')
		}
		raws = fmt.Appendf(raws, `{"specversion":"1.0","id":"c-%d-assigned","source":"/sources/hotline","type":"kaoping.complaint.assigned","time":"2026-07-03T09:12:00+08:00","datacontenttype":"application/json","data":{"complaint_id":"HX2026070%05d","unit":"jx.nanhu.st07.c03","cadre":"jx.nanhu.st07.c03.k2","category":"property","response_due":"2026-07-03T11:12:00+08:00","resolve_due":"2026-07-10T09:12:00+08:00"}}`, i, i)
	}
	raws = append(raws, ']')
	d := decoder{validator: v, registry: reg}
	h := nats.Header{"Content-Type": {wire.MediaBatch}}
	now := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(raws)))
	b.ReportAllocs()
	for b.Loop() {
		items, err := wire.Split(h, raws)
		if err != nil {
			b.Fatal(err)
		}
		text := string(raws)
		recs := make([]event.Record, len(items))
		for pos, it := range items {
			if _, err := d.event(it, text, &recs[pos], false, src, now); err != nil {
				b.Fatal(err)
			}
			recs[pos].Stamp(1, uint32(pos), now)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "events/s")
}
