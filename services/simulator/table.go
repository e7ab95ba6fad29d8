package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// displayWidth is how many terminal columns s takes: East Asian wide and
// fullwidth characters (Chinese names) take two, combining marks none.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u200b':
		case width.LookupRune(r).Kind() == width.EastAsianWide || width.LookupRune(r).Kind() == width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// pad fills s with spaces to w columns, on the right or, for numbers, on the left.
func pad(s string, w int, right bool) string {
	fill := strings.Repeat(" ", max(0, w-displayWidth(s)))
	if right {
		return fill + s
	}
	return s + fill
}

// printRanking prints rows as a table aligned in a terminal; "-" stands for the
// null rank, score and grade of an unscored subject.
func printRanking(w io.Writer, rows []rankingRow) {
	header := []string{"rank", "id", "name", "score", "grade"}
	rightAligned := []bool{true, false, false, true, false}
	cells := [][]string{header}
	for _, r := range rows {
		rank, score, grade := "-", "-", "-"
		if r.Rank != nil {
			rank = strconv.Itoa(*r.Rank)
		}
		if r.Score != nil {
			score = r.Score.String()
		}
		if r.Grade != nil {
			grade = *r.Grade
		}
		cells = append(cells, []string{rank, r.ID, r.Name, score, grade})
	}
	widths := make([]int, len(header))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, row := range cells {
		parts := make([]string, len(row))
		for i, c := range row {
			parts[i] = pad(c, widths[i], rightAligned[i])
		}
		fmt.Fprintln(w, strings.TrimRight(strings.Join(parts, "  "), " "))
	}
}
