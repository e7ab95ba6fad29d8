package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/ranking"
)

// responseFormat reads ?format= or the Accept header: json (default), csv or xlsx.
func responseFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json", "csv":
		return f, nil
	case "xlsx":
		return f, nil
	case "":
	default:
		return "", obs.Errorf(http.StatusBadRequest, "format must be json, csv or xlsx")
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		switch {
		case err != nil:
		case mt == "text/csv":
			return "csv", nil
		case mt == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
			return "xlsx", nil
		}
	}
	return "json", nil
}

// writeCSV writes the ranking for Excel/WPS: a UTF-8 byte-order mark (without
// it Excel reads the Chinese names as another code page), then one row per
// subject, indicator values as decimals, empty cells where there is no rank,
// score or value. The header keeps the JSON's field names, so scripts read the
// CSV by them; the XLSX is the one with Chinese headers.
func writeCSV(w http.ResponseWriter, rows []ranking.Row) {
	_, _ = io.WriteString(w, "\ufeff")
	cw := csv.NewWriter(w)
	header := append([]string{"rank", "id", "name", "score", "grade"}, scoring.Indicators...)
	band, labels := extraColumns(rows)
	if band {
		header = append(header, "band")
	}
	if labels {
		header = append(header, "labels")
	}
	_ = cw.Write(header)
	for _, row := range rows {
		rec := []string{"", spreadsheetSafe(row.ID), spreadsheetSafe(row.Name), "", ""}
		if row.Rank != nil {
			rec[0], rec[3], rec[4] = fmt.Sprint(*row.Rank), string(row.Score), *row.Grade
		}
		for _, name := range scoring.Indicators {
			rec = append(rec, row.Indicators[name].Value)
		}
		if band {
			rec = append(rec, row.Band)
		}
		if labels {
			rec = append(rec, spreadsheetSafe(labelsText(row.Labels)))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
}

// extraColumns says whether the ranking's model adds peer bands or labels
// to its rows: the downloads then carry a column for each.
func extraColumns(rows []ranking.Row) (band, labels bool) {
	for _, r := range rows {
		band = band || r.Band != ""
		labels = labels || len(r.Labels) > 0
	}
	return band, labels
}

// labelsText writes a row's labels for a cell: "先进：reason；整改：reason".
func labelsText(raw []byte) string {
	var ls []scoring.Label
	if len(raw) == 0 || json.Unmarshal(raw, &ls) != nil {
		return ""
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.Label + "：" + l.Reason
	}
	return strings.Join(parts, "；")
}

// spreadsheetSafe prefixes with ' a cell a spreadsheet would run as a formula
// (SPEC §4): one that starts with =, +, - or @, and, as OWASP advises, a tab or
// a carriage return. Excel and WPS show the text without the quote. Only ids
// and names need it: every other cell is a number or a grade.
func spreadsheetSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
