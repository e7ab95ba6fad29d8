package obs

import (
	"net/url"
	"strconv"
)

// Page is a bounded listing's window: at most Limit items after the first
// Offset. Listings that can grow without bound (runs, the audit log) are
// answered a page at a time, with the total, so that no request reads or
// answers more than Limit items.
type Page struct {
	Offset, Limit int
}

// ParsePage reads limit= and offset= from q: limit defaults to def and may
// be 1..most, offset defaults to 0. A bad value is a StatusError 400 that
// names it.
func ParsePage(q url.Values, def, most int) (Page, error) {
	p := Page{Limit: def}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > most {
			return p, Errorf(400, "limit must be an integer from 1 to %d, got %q", most, s)
		}
		p.Limit = n
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, Errorf(400, "offset must be a non-negative integer, got %q", s)
		}
		p.Offset = n
	}
	return p, nil
}
