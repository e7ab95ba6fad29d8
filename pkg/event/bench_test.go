package event

import (
	"strings"
	"testing"
	"time"
)

// The events the benchmarks read: a typical assignment (three instants, six
// data members) and a review rating (a decimal score, enums, a period label).
const (
	benchAssigned = `{"specversion":"1.0","id":"c-1","source":"/sources/hotline","type":"kaoping.complaint.assigned","time":"2026-07-03T09:12:00+08:00","datacontenttype":"application/json","data":{"complaint_id":"HX1","unit":"jx.nanhu.st07","cadre":"k1","category":"property","response_due":"2026-07-03T11:12:00+08:00","resolve_due":"2026-07-10T09:12:00+08:00"}}`
	benchReview   = `{"specversion":"1.0","id":"r-1","source":"/sources/review","type":"kaoping.review.rated","time":"2026-07-03T09:12:00+08:00","datacontenttype":"application/json","data":{"review_id":"R2026Q3-u-17","subject_kind":"unit","subject":"jx.nanhu.st07","period":"2026Q3","rater_group":"peers","score":87.345}}`
)

// BenchmarkParse validates one complaint assignment: the per-event cost of
// ingest and of the aggregator.
func BenchmarkParse(b *testing.B) { benchFast(b, benchAssigned) }

// BenchmarkParseReviewRated validates one review rating.
func BenchmarkParseReviewRated(b *testing.B) { benchFast(b, benchReview) }

// BenchmarkParseIndented validates an assignment sent with whitespace, which
// is compacted and read again.
func BenchmarkParseIndented(b *testing.B) {
	benchFast(b, strings.NewReplacer(`,"`, ",\n  \"", `{`, "{\n  ", `}`, "\n}").Replace(benchAssigned))
}

// BenchmarkOracle is the old path on the same assignment: the schema library,
// time.Parse and json.Unmarshal into the typed structs. It is the baseline the
// fast path is measured against.
func BenchmarkOracle(b *testing.B) { benchOracle(b, benchAssigned) }

// BenchmarkOracleReviewRated is the old path on the review rating.
func BenchmarkOracleReviewRated(b *testing.B) { benchOracle(b, benchReview) }

func benchFast(b *testing.B, raw string) {
	v := mustValidator(b)
	body := []byte(raw)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := v.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// benchOracle also times the fast path on the same event as many times, and
// reports how many times faster it is (GUIDE: ratios against a baseline
// measured in the same run).
func benchOracle(b *testing.B, raw string) {
	o := mustOracle(b)
	v := mustValidator(b)
	body := []byte(raw)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, _, err := o.parse(body); err != nil {
			b.Fatal(err)
		}
		n++
	}
	oracle := b.Elapsed()
	start := time.Now()
	for range n {
		if _, _, err := v.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(oracle)/float64(time.Since(start)), "x-slower-than-fast")
}
