package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/ranking"
)

// writeXLSX writes the ranking as an Excel workbook for Excel and WPS: one
// sheet, a header row, numbers as numbers, empty cells for what is null.
func writeXLSX(w io.Writer, sheetName string, rows []ranking.Row) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return err
	}
	header := append([]any{"rank", "id", "name", "score", "grade"}, stringsToAny(scoring.Indicators)...)
	band, labels := extraColumns(rows)
	if band {
		header = append(header, "band")
	}
	if labels {
		header = append(header, "labels")
	}
	if err := f.SetSheetRow(sheetName, "A1", &header); err != nil {
		return err
	}
	for i, row := range rows {
		rec := []any{nil, row.ID, row.Name, nil, nil}
		if row.Rank != nil {
			rec[0], rec[3], rec[4] = *row.Rank, number(string(row.Score)), *row.Grade
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
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow(sheetName, cell, &rec); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheetName, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	_, err := f.WriteTo(w)
	return err
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

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
