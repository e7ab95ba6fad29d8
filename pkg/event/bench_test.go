package event

import "testing"

// BenchmarkParse validates one complaint assignment: the per-event cost of
// ingest and of the aggregator.
func BenchmarkParse(b *testing.B) {
	v, err := NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(`{"specversion":"1.0","id":"c-1","source":"/sources/hotline","type":"kaoping.complaint.assigned","time":"2026-07-03T09:12:00+08:00","datacontenttype":"application/json","data":{"complaint_id":"HX1","unit":"jx.nanhu.st07","cadre":"k1","category":"property","response_due":"2026-07-03T11:12:00+08:00","resolve_due":"2026-07-10T09:12:00+08:00"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
