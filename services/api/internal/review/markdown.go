package review

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes the report for pasting into a meeting paper: headings,
// pipe tables, every id in code spans so that no text of an event is read as
// markup.
func (r Report) Markdown(w io.Writer) error {
	l := r.Lang
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s：%s（%s）\n\n", l.T("report"), md(r.Name), r.Period)
	p("- %s：%s · %s\n", l.T("id"), code(r.ID), l.T(r.Level))
	p("- %s：%s · %s %s · %s：%s · %s：%s\n", l.T("model"), r.Model, l.T("run"), code(r.RunID), l.T("status"), l.T(r.Status), l.T("as_of"), r.AsOf)
	if r.Standing.Scored() {
		p("- %s：%s · %s：%s · %s：%s · %s：%s\n\n", l.T("rank"), fmt.Sprintf(l.T("rank_of"), r.Standing.Rank, r.Peers), l.T("score"), r.Standing.Score,
			l.T("grade"), l.T(r.Standing.Grade), l.T("movement"), r.MovementText())
	} else {
		p("- %s · %s：%d\n\n", l.T("not_scored"), l.T("peers"), r.Peers)
	}

	p("## %s\n\n| %s | %s | %s | %s | %s | %s |\n|---|---:|---:|---:|---:|---:|\n", l.T("indicator"), l.T("indicator"), l.T("num_den"), l.T("value"), l.T("peer_median"), l.T("peer_best"), l.T("weight"))
	for _, x := range r.Indicators {
		p("| %s | %s/%s | %s | %s | %s | %s |\n", l.T(x.Name), x.Num, x.Den, dash(x.Value), dash(x.Median), dash(x.Best), x.Weight)
	}
	p("| **%s** | | %s | %s | %s | |\n\n", l.T("score"), dash(r.Standing.Score), dash(r.ScoreMedian), dash(r.ScoreBest))
	p("%s：%s · %s：%d\n\n", l.T("base"), dash(r.Base), l.T("penalty"), r.Penalty)

	p("## %s\n\n| %s | %s | %s | %s |\n|---|---:|---:|---|\n", l.T("trend"), l.T("period"), l.T("rank"), l.T("score"), l.T("grade"))
	for _, s := range r.Trend {
		if s.Scored() {
			p("| %s | %d | %s | %s |\n", s.Period, s.Rank, s.Score, l.T(s.Grade))
		} else {
			p("| %s | – | – | – |\n", s.Period)
		}
	}
	p("\n## %s\n\n| %s | %s | %s | %s |\n|---:|---|---:|---|\n", l.T("top10"), l.T("rank"), l.T("name"), l.T("score"), l.T("grade"))
	for _, t := range r.Top {
		p("| %d | %s | %s | %s |\n", t.Rank, md(t.Name), t.Score, l.T(t.Grade))
	}

	p("\n## %s\n\n", l.T("problems"))
	if len(r.Problems) == 0 {
		p("%s\n", l.T("none"))
	} else {
		p("| %s | %s | %s | %s |\n|---|---:|---|---|\n", l.T("list"), "#", l.T("open"), l.T("overdue"))
		for _, x := range r.Problems {
			p("| %s | %d | %s | %s |\n", l.T(x.List), x.Listed, codes(x.Open), codes(x.Overdue))
		}
	}
	p("\n## %s\n\n", l.T("tolerated"))
	if len(r.Tolerated) == 0 {
		p("%s\n", l.T("none"))
	} else {
		p("| %s | %s | %s |\n|---|---|---|\n", l.T("error_id"), l.T("severity"), l.T("decision_id"))
		for _, x := range r.Tolerated {
			p("| %s | %s | %s |\n", code(x.ErrorID), l.T(x.Severity), code(x.DecisionID))
		}
	}
	p("\n## %s\n\n", l.T("penalty_items"))
	if len(r.PenaltyItems) == 0 {
		p("%s\n", l.T("none"))
	} else {
		p("| %s | %s | %s |\n|---|---|---:|\n", l.T("error_id"), l.T("severity"), l.T("points"))
		for _, x := range r.PenaltyItems {
			p("| %s | %s | %d |\n", code(x.ErrorID), l.T(x.Severity), x.Points)
		}
	}
	p("\n## %s\n\n", l.T("corrections"))
	if len(r.Corrections) == 0 {
		p("%s\n", l.T("none"))
	} else {
		p("| %s | %s | %s | %s |\n|---|---|---|---|\n", l.T("run"), l.T("as_of"), l.T("before"), l.T("after"))
		for _, c := range r.Corrections {
			p("| %s | %s | %s | %s |\n", code(c.RunID), c.AsOf, place(r, c.Before), place(r, c.After))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// place is a standing in words: "#3 87.5 良好".
func place(r Report, s Standing) string {
	if !s.Scored() {
		return r.Lang.T("not_scored")
	}
	return fmt.Sprintf("#%d %s %s", s.Rank, s.Score, r.Lang.T(s.Grade))
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// codes lists ids in code spans ("–" for none), at most 20 and the count of
// the others.
func codes(ids []string) string {
	if len(ids) == 0 {
		return "–"
	}
	shown := make([]string, min(len(ids), 20))
	for i := range shown {
		shown[i] = code(ids[i])
	}
	out := strings.Join(shown, " ")
	if len(ids) > len(shown) {
		out += fmt.Sprintf(" (+%d)", len(ids)-len(shown))
	}
	return out
}

// code is an id as a code span: ids are printable ASCII and may hold a
// backtick, which a span of two backticks (padded) keeps; a pipe would end
// the table cell, so it is escaped.
func code(id string) string {
	id = strings.ReplaceAll(id, "|", `\|`)
	if strings.Contains(id, "`") {
		return "`` " + id + " ``"
	}
	return "`" + id + "`"
}

// md escapes the characters of a name that Markdown or a pipe table would read.
func md(s string) string {
	return mdEscaper.Replace(s)
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "#", `\#`, "\n", " ", "\r", " ")
