package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/ranking"
	"kaoping/services/api/internal/sheet"
	"kaoping/services/api/internal/text"
)

// levelRows are the ranking rows of one level.
type levelRows struct {
	level string
	rows  []ranking.Row
}

// rankingColumns are the columns of a ranking sheet, in the language.
func rankingColumns(l text.Lang) []sheet.Column {
	cols := []sheet.Column{{Title: l.T("rank"), Format: sheet.Int, Width: 8}, {Title: l.T("id"), Width: 20}, {Title: l.T("name"), Width: 18},
		{Title: l.T("score"), Format: sheet.Score, Width: 10}, {Title: l.T("grade"), Width: 10}}
	for _, name := range scoring.Indicators {
		cols = append(cols, sheet.Column{Title: l.T(name), Format: sheet.Ratio, Width: 14})
	}
	return cols
}

// rankingTable is one level's sheet: numbers as numbers, empty cells where
// there is no rank, score or value, the grade by name in its colour; the
// peer band and the labels when the model gives them.
func rankingTable(l text.Lang, lr levelRows) sheet.Table {
	cols := rankingColumns(l)
	band, labels := extraColumns(lr.rows)
	if band {
		cols = append(cols, sheet.Column{Title: l.T("band"), Width: 14})
	}
	if labels {
		cols = append(cols, sheet.Column{Title: l.T("labels"), Width: 40})
	}
	t := sheet.Table{Name: l.T(lr.level), Columns: cols, GradeColumn: 4, Grades: make([]string, len(lr.rows))}
	for i, row := range lr.rows {
		rec := []any{nil, row.ID, row.Name, nil, nil}
		if row.Rank != nil {
			rec[0], rec[3], rec[4] = *row.Rank, number(string(row.Score)), l.T(*row.Grade)
			t.Grades[i] = *row.Grade
		}
		for _, name := range scoring.Indicators {
			if v := row.Indicators[name].Value; v != "" {
				rec = append(rec, number(v))
			} else {
				rec = append(rec, nil)
			}
		}
		if band {
			rec = append(rec, row.Band)
		}
		if labels {
			rec = append(rec, labelsText(row.Labels))
		}
		t.Rows = append(t.Rows, rec)
	}
	return t
}

// runInfo is the sheet that says what a workbook shows: period, model, run,
// its status and as-of, the subjects and the subtree.
func runInfo(l text.Lang, s served, subject, parent string) sheet.Info {
	rows := [][2]string{{l.T("period"), s.period.Label}, {l.T("model"), s.run.Model}, {l.T("run"), s.run.ID},
		{l.T("status"), l.T(s.status)}, {l.T("as_of"), time.Unix(0, s.run.AsOfNs).In(s.model.Location).Format("2006-01-02 15:04:05")}}
	if subject != "" {
		rows = append(rows, [2]string{l.T("subject"), l.T(subject)})
	}
	if parent != "" {
		rows = append(rows, [2]string{l.T("parent"), parent})
	}
	return sheet.Info{Name: l.T("cover"), Rows: rows}
}

// writeXLSX writes a ranking workbook for Excel and WPS: one sheet per level
// asked for, then the sheet of the model, run and status.
func writeXLSX(w io.Writer, l text.Lang, s served, subject, parent string, levels []levelRows) error {
	tables := make([]sheet.Table, len(levels))
	for i, lr := range levels {
		tables[i] = rankingTable(l, lr)
	}
	return sheet.Write(w, tables, runInfo(l, s, subject, parent))
}

// number turns a decimal with at most 4 places into a cell value. A float64
// holds it closely enough for display; the exact text is in the JSON and CSV.
func number(s string) any {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Sprint(s)
	}
	return v
}
