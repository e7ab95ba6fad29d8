package chart

import (
	"strings"
	"testing"
)

func TestTrend(t *testing.T) {
	svg := string(Trend([]Point{{Label: "2026Q1", Score: 80, Has: true, Grade: "good"}, {Label: "2026Q2"}, {Label: "<Q3>", Score: 91.5, Has: true, Grade: "excellent"}}))
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, "<polyline", "80.00", "91.50", "&lt;Q3&gt;", "#C6EFCE", "–"} {
		if !strings.Contains(svg, want) {
			t.Errorf("trend lacks %q: %s", want, svg)
		}
	}
	if strings.Contains(svg, "<Q3>") {
		t.Errorf("a label is not escaped")
	}
	if n := strings.Count(string(Trend([]Point{{Label: "2026Q1", Score: 1, Has: true}})), "<polyline"); n != 0 {
		t.Errorf("one point drew a line")
	}
}
