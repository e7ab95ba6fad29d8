package main

import (
	"net/http"
	"net/url"

	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/review"
	"kaoping/services/api/internal/text"
)

type reportLinks struct {
	HTML, MD, XLSX string
}

type subjectPage struct {
	pageBase
	Report  review.Report
	Reports *reportLinks
}

// subjectPage answers GET /units/{id} and GET /cadres/{id}: the explanation
// (each indicator beside the peer median and best, the misses with their case
// ids, the tolerated errors with their decision ids, the penalty items), the
// trend over the last four periods, and for a unit the links to its
// review-meeting report.
func (h *handlers) subjectPage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		l := text.FromQuery(q)
		s, err := h.pickRun(r)
		if err != nil {
			h.pageFail(w, r, err)
			return
		}
		id := r.PathValue("id")
		rep, _, err := h.subjectReport(r, s, kind, id, l)
		if err != nil {
			h.pageFail(w, r, err)
			return
		}
		p := subjectPage{pageBase: newPageBase(r, rep.Name), Report: rep}
		if kind == scoring.SubjectUnit {
			v := url.Values{"unit": {id}, "period": {s.period.Label}}
			if q.Get("run") != "" {
				v.Set("run", q.Get("run"))
			}
			keepModel(v, q)
			if l == text.EN {
				v.Set("lang", "en")
			}
			link := func(format string) string {
				v.Set("format", format)
				return "/v1/reports/review?" + v.Encode()
			}
			p.Reports = &reportLinks{HTML: link("html"), MD: link("md"), XLSX: link("xlsx")}
		}
		h.render(w, r, http.StatusOK, "subject", p)
	}
}
