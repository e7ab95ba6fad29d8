package main

import (
	"bytes"
	"mime"
	"net/http"

	"kaoping/pkg/obs"
	"kaoping/pkg/scoring"
	"kaoping/services/api/internal/text"
)

// report answers GET /v1/reports/review?unit=ID&period=P&format=html|md|xlsx
// (html when no format is given; lang=en for English): the review-meeting
// report of one unit. 400 for a bad parameter, 404 for a unit not in the
// period's tree or a period without a done run, 403 for a viewer's unit
// outside its subtree.
func (h *handlers) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	unit, format := q.Get("unit"), q.Get("format")
	switch {
	case unit == "":
		h.fail(w, r, obs.Errorf(http.StatusBadRequest, "unit is required"))
		return
	case format == "":
		format = "html"
	case format != "html" && format != "md" && format != "xlsx":
		h.fail(w, r, obs.Errorf(http.StatusBadRequest, "format must be html, md or xlsx"))
		return
	}
	s, err := h.pickRun(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, _, err := h.subjectReport(r, s, scoring.SubjectUnit, unit, text.FromQuery(q))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Written whole before answering, so a failure is still a JSON error.
	var b bytes.Buffer
	var ctype, disposition string
	name := "review-" + unit + "-" + s.period.Label
	switch format {
	case "html":
		err, ctype, disposition = rep.HTML(&b), "text/html; charset=utf-8", "inline"
	case "md":
		err, ctype, disposition = rep.Markdown(&b), "text/markdown; charset=utf-8", "attachment"
	case "xlsx":
		err, ctype, disposition = rep.XLSX(&b), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name + "." + format}))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}
