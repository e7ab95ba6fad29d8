package store

import (
	"testing"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// The aggregator's String columns are written in place (fillRows) only
// while clickhouse-go keeps them where colStrOf looks: a client upgrade that
// moves them must fail here, not quietly fall back to the slower Append.
func TestStringColumnsAreWrittenInPlace(t *testing.T) {
	col, err := column.Type("String").Column("raw", nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := colStrOf(col)
	if dst == nil {
		t.Fatalf("clickhouse-go's String column has no proto.ColStr field col; fillRows would fall back to Append")
	}
	values := []string{"", "a", "{\"x\":\"汉字\"}", ""}
	fillColumn(dst, values)
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

// Row by row, each column still gets its own field of every element, in order.
func TestFillRowsWritesEachColumnItsField(t *testing.T) {
	type pair struct{ a, b string }
	elems := []pair{{"a1", ""}, {"", "b2"}, {"a3", "b3-longer"}}
	var cols [2]column.Interface
	var dsts []*proto.ColStr
	for i := range cols {
		col, err := column.Type("String").Column("c", nil)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = col
		dsts = append(dsts, colStrOf(col))
	}
	fillRows(dsts, []func(pair) string{func(p pair) string { return p.a }, func(p pair) string { return p.b }}, elems)
	for i, e := range elems {
		if a, b := cols[0].Row(i, false), cols[1].Row(i, false); a != e.a || b != e.b {
			t.Errorf("row %d = %q, %q, want %q, %q", i, a, b, e.a, e.b)
		}
	}
}
