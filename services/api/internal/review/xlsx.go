package review

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"kaoping/services/api/internal/sheet"
)

// XLSX writes the report for the meeting clerk: a sheet of the standing and
// indicators beside the peers, one of the trend, one of the top ten, one of
// the problems, tolerated errors and penalty items, one of the corrections,
// and the sheet of the model, run and status.
func (r Report) XLSX(w io.Writer) error {
	l := r.Lang
	num := func(s string) any {
		if s == "" {
			return nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return s
		}
		return v
	}
	ind := sheet.Table{Name: l.T("indicator"), Columns: []sheet.Column{{Title: l.T("indicator"), Width: 16}, {Title: l.T("num_den"), Width: 14},
		{Title: l.T("value"), Format: sheet.Ratio}, {Title: l.T("peer_median"), Format: sheet.Ratio}, {Title: l.T("peer_best"), Format: sheet.Ratio},
		{Title: l.T("weight"), Format: sheet.Int}, {Title: l.T("pending"), Format: sheet.Int}}}
	for _, x := range r.Indicators {
		ind.Rows = append(ind.Rows, []any{l.T(x.Name), x.Num + "/" + x.Den, num(x.Value), num(x.Median), num(x.Best), num(x.Weight), x.Pending})
	}
	ind.Rows = append(ind.Rows, []any{l.T("score"), nil, num(r.Standing.Score), num(r.ScoreMedian), num(r.ScoreBest), nil, nil})
	ind.RowFormats = map[int]sheet.Format{len(ind.Rows) - 1: sheet.Score}

	trend := sheet.Table{Name: l.T("trend"), Columns: []sheet.Column{{Title: l.T("period")}, {Title: l.T("rank"), Format: sheet.Int},
		{Title: l.T("score"), Format: sheet.Score}, {Title: l.T("grade")}}, GradeColumn: 3}
	for _, s := range r.Trend {
		row := []any{s.Period, nil, nil, nil}
		if s.Scored() {
			row[1], row[2], row[3] = s.Rank, num(s.Score), l.T(s.Grade)
		}
		trend.Rows, trend.Grades = append(trend.Rows, row), append(trend.Grades, s.Grade)
	}
	top := sheet.Table{Name: l.T("top10"), Columns: []sheet.Column{{Title: l.T("rank"), Format: sheet.Int}, {Title: l.T("id"), Width: 20},
		{Title: l.T("name"), Width: 18}, {Title: l.T("score"), Format: sheet.Score}, {Title: l.T("grade")}}, GradeColumn: 4}
	for _, t := range r.Top {
		top.Rows, top.Grades = append(top.Rows, []any{t.Rank, t.ID, t.Name, num(t.Score), l.T(t.Grade)}), append(top.Grades, t.Grade)
	}
	items := sheet.Table{Name: l.T("misses"), Columns: []sheet.Column{{Title: l.T("subject"), Width: 22}, {Title: l.T("list"), Width: 14},
		{Title: l.T("id"), Width: 24}, {Title: l.T("severity")}, {Title: l.T("decision_id"), Width: 20}, {Title: l.T("points"), Format: sheet.Int}}}
	for _, p := range r.Problems {
		for _, id := range p.Open {
			items.Rows = append(items.Rows, []any{l.T("open"), l.T(p.List), id, nil, nil, nil})
		}
		for _, id := range p.Overdue {
			items.Rows = append(items.Rows, []any{l.T("overdue"), l.T(p.List), id, nil, nil, nil})
		}
	}
	for _, x := range r.Tolerated {
		items.Rows = append(items.Rows, []any{l.T("tolerated"), nil, x.ErrorID, l.T(x.Severity), x.DecisionID, nil})
	}
	for _, x := range r.PenaltyItems {
		items.Rows = append(items.Rows, []any{l.T("penalty_items"), nil, x.ErrorID, l.T(x.Severity), nil, x.Points})
	}
	corr := sheet.Table{Name: l.T("corrections"), Columns: []sheet.Column{{Title: l.T("run"), Width: 38}, {Title: l.T("as_of"), Width: 20},
		{Title: l.T("before"), Width: 20}, {Title: l.T("after"), Width: 20}}}
	for _, c := range r.Corrections {
		corr.Rows = append(corr.Rows, []any{c.RunID, c.AsOf, place(r, c.Before), place(r, c.After)})
	}
	info := [][2]string{{l.T("name"), r.Name}, {l.T("id"), r.ID}, {l.T("level"), l.T(r.Level)}, {l.T("period"), r.Period},
		{l.T("model"), r.Model}, {l.T("run"), r.RunID}, {l.T("status"), l.T(r.Status)}, {l.T("as_of"), r.AsOf}}
	if r.Standing.Scored() {
		info = append(info, [2]string{l.T("rank"), fmt.Sprintf(l.T("rank_of"), r.Standing.Rank, r.Peers)},
			[2]string{l.T("score"), r.Standing.Score}, [2]string{l.T("grade"), l.T(r.Standing.Grade)})
	} else {
		info = append(info, [2]string{l.T("rank"), l.T("not_scored")})
	}
	info = append(info, [2]string{l.T("movement"), r.MovementText()}, [2]string{l.T("path"), strings.Join(r.Path, " › ")})
	return sheet.Write(w, []sheet.Table{ind, trend, top, items, corr}, sheet.Info{Name: l.T("report"), Rows: info})
}
