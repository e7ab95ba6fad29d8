package review

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }

func parse(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
