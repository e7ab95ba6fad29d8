package store

import (
	"testing"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// The aggregator's String columns are written in place (fillStrings) only
// while clickhouse-go keeps them where colStrOf looks: a client upgrade that
// moves them must fail here, not quietly fall back to the slower Append.
func TestStringColumnsAreWrittenInPlace(t *testing.T) {
	col, err := column.Type("String").Column("raw", nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := colStrOf(col)
	if dst == nil {
		t.Fatalf("clickhouse-go's String column has no proto.ColStr field col; fillStrings would fall back to Append")
	}
	values := []string{"", "a", "{\"x\":\"汉字\"}", ""}
	fillStrings(dst, values, func(s string) string { return s })
	if col.Rows() != len(values) {
		t.Fatalf("rows = %d, want %d", col.Rows(), len(values))
	}
	for i, want := range values {
		if got := col.Row(i, false); got != want {
			t.Errorf("row %d = %q, want %q", i, got, want)
		}
	}
	// What the client sends is what its own Append would have sent.
	var viaAppend column.String
	if _, err := viaAppend.Append(values); err != nil {
		t.Fatal(err)
	}
	var got, want proto.Buffer
	col.Encode(&got)
	viaAppend.Encode(&want)
	if string(got.Buf) != string(want.Buf) {
		t.Errorf("encoded %q, want %q", got.Buf, want.Buf)
	}
}
