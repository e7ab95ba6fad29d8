// Package sheet writes the Excel workbooks of the downloads and of the
// review-meeting report (excelize): a frozen header row in bold, numbers as
// numbers with their formats, grades in their colours, and a sheet that says
// what the workbook is (model, run, status).
package sheet

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"kaoping/services/api/internal/text"
)

// Format is how a column's numbers are shown.
type Format int

// The formats: text, whole numbers, scores (2 decimals) and indicator values
// (4 decimals, as the JSON has them).
const (
	Text Format = iota
	Int
	Score
	Ratio
)

// Column is one column of a table.
type Column struct {
	Title  string
	Format Format
	Width  float64
}

// Table is one sheet of rows. Cells are nil (empty), string, int or float64.
// Grades, when given, holds each row's grade code: the cell of column
// GradeColumn is filled with its colour.
type Table struct {
	Name        string
	Columns     []Column
	Rows        [][]any
	Grades      []string
	GradeColumn int
	// RowFormats overrides the number format of every numeric column in
	// the given rows (0: the first row below the header), as a score row
	// under indicator values.
	RowFormats map[int]Format
}

// Info is the sheet of what the workbook is: a label and a value per row.
type Info struct {
	Name string
	Rows [][2]string
}

// Write writes the tables, then the info sheet, as one workbook.
func Write(w io.Writer, tables []Table, info Info) error {
	f := excelize.NewFile()
	defer f.Close()
	first := true
	styles := map[string]int{}
	style := func(s *excelize.Style, key string) (int, error) {
		if id, ok := styles[key]; ok {
			return id, nil
		}
		id, err := f.NewStyle(s)
		styles[key] = id
		return id, err
	}
	add := func(name string) error {
		if first {
			first = false
			return f.SetSheetName("Sheet1", name)
		}
		_, err := f.NewSheet(name)
		return err
	}
	for _, t := range tables {
		name := SheetName(t.Name)
		if err := add(name); err != nil {
			return err
		}
		if err := writeTable(f, name, t, style); err != nil {
			return fmt.Errorf("sheet %s: %w", name, err)
		}
	}
	name := SheetName(info.Name)
	if err := add(name); err != nil {
		return err
	}
	bold, err := style(&excelize.Style{Font: &excelize.Font{Bold: true}}, "bold")
	if err != nil {
		return err
	}
	for i, r := range info.Rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(name, cell, &[]any{r[0], r[1]}); err != nil {
			return err
		}
		if err := f.SetCellStyle(name, cell, cell, bold); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(name, "A", "A", 24); err != nil {
		return err
	}
	if err := f.SetColWidth(name, "B", "B", 48); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

func writeTable(f *excelize.File, name string, t Table, style func(*excelize.Style, string) (int, error)) error {
	header := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Title
	}
	if err := f.SetSheetRow(name, "A1", &header); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(t.Columns), 1)
	head, err := style(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}},
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}}, "head")
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(name, "A1", last, head); err != nil {
		return err
	}
	for i, row := range t.Rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(name, cell, &row); err != nil {
			return err
		}
	}
	for j, c := range t.Columns {
		col, _ := excelize.ColumnNumberToName(j + 1)
		width := c.Width
		if width == 0 {
			width = 12
		}
		if err := f.SetColWidth(name, col, col, width); err != nil {
			return err
		}
		if c.Format == Text || len(t.Rows) == 0 {
			continue
		}
		st := &excelize.Style{NumFmt: numFmt(c.Format)}
		if c.Format == Ratio {
			four := "0.0000"
			st = &excelize.Style{CustomNumFmt: &four}
		}
		id, err := style(st, fmt.Sprint("num", c.Format))
		if err != nil {
			return err
		}
		if err := f.SetCellStyle(name, col+"2", fmt.Sprintf("%s%d", col, len(t.Rows)+1), id); err != nil {
			return err
		}
	}
	for i, format := range t.RowFormats {
		st := &excelize.Style{NumFmt: numFmt(format)}
		if format == Ratio {
			four := "0.0000"
			st = &excelize.Style{CustomNumFmt: &four}
		}
		id, err := style(st, fmt.Sprint("num", format))
		if err != nil {
			return err
		}
		for j, c := range t.Columns {
			if c.Format == Text {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			if err := f.SetCellStyle(name, cell, cell, id); err != nil {
				return err
			}
		}
	}
	if t.Grades != nil {
		col, _ := excelize.ColumnNumberToName(t.GradeColumn + 1)
		for i, g := range t.Grades {
			colour := text.GradeColour(g)
			if colour == "" {
				continue
			}
			id, err := style(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colour}}}, "grade"+g)
			if err != nil {
				return err
			}
			cell := fmt.Sprintf("%s%d", col, i+2)
			if err := f.SetCellStyle(name, cell, cell, id); err != nil {
				return err
			}
		}
	}
	if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.AutoFilter(name, "A1:"+last, nil)
}

// numFmt is excelize's built-in number format of a column: 1 is "0", 2 is
// "0.00"; 4 decimals have no built-in one, so Ratio uses a custom "0.0000".
func numFmt(f Format) int {
	switch f {
	case Int:
		return 1
	case Score:
		return 2
	}
	return 0
}

// SheetName makes a valid sheet name: at most 31 characters, none of []:*?/\.
func SheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	if s == "" {
		s = "Sheet"
	}
	return s
}
