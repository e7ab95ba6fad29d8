// Package chart draws the trend of a subject's score over periods as an
// inline SVG: no script, no external file, so a page and a saved or printed
// report show it the same.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"kaoping/services/api/internal/text"
)

// Point is a subject's score in one period; Has is false when it had none
// (no run, or unscored).
type Point struct {
	Label string
	Score float64
	Has   bool
	Grade string
}

// Trend is the SVG of points, oldest first, on a 0–100 scale: a line through
// the periods with a score, a dot in its grade's colour and the score above
// each, the period below.
func Trend(points []Point) template.HTML {
	const w, h, left, right, top, bottom = 360.0, 140.0, 30.0, 20.0, 20.0, 24.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="%g" height="%g" viewBox="0 0 %g %g" role="img">`, w, h, w, h)
	y := func(v float64) float64 { return top + (100-v)*(h-top-bottom)/100 }
	for _, v := range []float64{0, 60, 75, 90, 100} {
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/><text x="%g" y="%.1f" font-size="9" text-anchor="end" fill="#888">%g</text>`,
			left, y(v), w-right, y(v), left-4, y(v)+3, v)
	}
	step := 0.0
	if len(points) > 1 {
		step = (w - left - right - 20) / float64(len(points)-1)
	}
	x := func(i int) float64 { return left + 10 + float64(i)*step }
	var line []string
	for i, p := range points {
		if p.Has {
			line = append(line, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Score)))
		}
	}
	if len(line) > 1 {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#2b6cb0" stroke-width="2"/>`, strings.Join(line, " "))
	}
	for i, p := range points {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="10" text-anchor="middle">%s</text>`, x(i), h-6, html.EscapeString(p.Label))
		if !p.Has {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#888">–</text>`, x(i), y(50))
			continue
		}
		fill := "#" + text.GradeColour(p.Grade)
		if fill == "#" {
			fill = "#fff"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="#2b6cb0"/><text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%.2f</text>`,
			x(i), y(p.Score), fill, x(i), y(p.Score)-7, p.Score)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
