package review

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"kaoping/services/api/internal/chart"
)

//go:embed report.html
var reportHTML string

// HTML writes the report as one self-contained file: inline CSS with a
// print stylesheet for A4, the trend as inline SVG, no script and nothing
// fetched, so it can be mailed, saved and printed to a clean PDF.
func (r Report) HTML(w io.Writer) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"t":     r.Lang.T,
		"dash":  dash,
		"trend": chart.Trend,
		"place": func(s Standing) string { return place(r, s) },
		"ids": func(ids []string) string {
			if len(ids) == 0 {
				return "–"
			}
			shown := ids[:min(len(ids), 20)]
			s := strings.Join(shown, " ")
			if len(ids) > len(shown) {
				s += " (+" + itoa(len(ids)-len(shown)) + ")"
			}
			return s
		},
	}).Parse(reportHTML)
	if err != nil {
		return err
	}
	return t.Execute(w, r)
}
