package main

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
	"kaoping/services/api/internal/chart"
	"kaoping/services/api/internal/review"
	"kaoping/services/api/internal/text"
)

// The pages (SPEC §6 "Pages"): server-rendered from embedded templates, one
// set per language so every string comes from the text table, no script but
// the filters' submit on change.

//go:embed templates
var templateFiles embed.FS

// pageNames are the pages, each a template of templates/ run inside layout.html.
var pageNames = []string{"rankings", "subject", "run", "signin", "error"}

// pageTemplates: language → page → template.
var pageTemplates = map[text.Lang]map[string]*template.Template{text.ZH: parsePages(text.ZH), text.EN: parsePages(text.EN)}

func parsePages(l text.Lang) map[string]*template.Template {
	funcs := template.FuncMap{
		"t":     l.T,
		"dash":  func(s string) string { return cmpOr(s, "–") },
		"trend": chart.Trend,
		"deref": func(p *int) int { return *p },
		"ids":   func(ids []string) string { return shortList(ids, 200) },
		"place": func(s review.Standing) string {
			if !s.Scored() {
				return l.T("not_scored")
			}
			return fmt.Sprintf("#%d %s %s", s.Rank, s.Score, l.T(s.Grade))
		},
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFiles, "templates/"+name+".html"))
	}
	return out
}

func cmpOr(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// shortList joins ids with spaces, at most n of them and the count of the others.
func shortList(ids []string, n int) string {
	if len(ids) == 0 {
		return "–"
	}
	shown := ids[:min(len(ids), n)]
	s := strings.Join(shown, " ")
	if len(ids) > len(shown) {
		s += fmt.Sprintf(" (+%d)", len(ids)-len(shown))
	}
	return s
}

// pageBase is what every page's layout shows.
type pageBase struct {
	Lang  text.Lang
	Title string
	Who   auth.Identity
	// LangQuery ("?lang=en" or "") and LangAmp ("&lang=en" or "") keep the
	// language in links; OtherLang is this page in the other language.
	LangQuery, LangAmp, OtherLang string
	// ModelParam is the model= a page was asked with ("" for none): its
	// template's links keep it (keepModel, the links written in Go).
	ModelParam string
}

func newPageBase(r *http.Request, title string) pageBase {
	q := r.URL.Query()
	l := text.FromQuery(q)
	b := pageBase{Lang: l, Title: title, Who: auth.IdentityOf(r.Context())}
	other := url.Values{}
	for k, v := range q {
		other[k] = v
	}
	if l == text.EN {
		b.LangQuery, b.LangAmp = "?lang=en", "&lang=en"
		other.Del("lang")
	} else {
		other.Set("lang", "en")
	}
	b.ModelParam = q.Get("model")
	b.OtherLang = r.URL.Path
	if enc := other.Encode(); enc != "" {
		b.OtherLang += "?" + enc
	}
	return b
}

// render writes a page whole (a template failing midway is then a clean 503).
func (h *handlers) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var b bytes.Buffer
	if err := pageTemplates[text.FromQuery(r.URL.Query())][name].ExecuteTemplate(&b, "layout", data); err != nil {
		h.log.Error("page not rendered", "page", name, "err", err)
		http.Error(w, "page not rendered", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

type errorPage struct {
	pageBase
	Code             int
	Heading, Message string
}

// pageFail answers a failed page as HTML, as obs.Fail answers JSON: the
// client's mistakes (400, 403, 404) with their message, anything else logged
// and answered 503.
func (h *handlers) pageFail(w http.ResponseWriter, r *http.Request, err error) {
	l := text.FromQuery(r.URL.Query())
	p := errorPage{pageBase: newPageBase(r, l.T("error")), Code: http.StatusServiceUnavailable, Heading: l.T("error")}
	var se *obs.StatusError
	if errors.As(err, &se) {
		p.Code, p.Message = se.Status, se.Msg
		switch se.Status {
		case http.StatusForbidden:
			p.Heading = l.T("forbidden")
		case http.StatusNotFound:
			p.Heading = l.T("not_found")
		case http.StatusBadRequest:
			p.Heading = l.T("bad_request")
		}
	} else {
		h.log.Error("page failed", "path", r.URL.Path, "err", err)
		p.Message = "temporarily unavailable; try again"
		w.Header().Set("Retry-After", "1")
	}
	p.Title = p.Heading
	h.render(w, r, p.Code, "error", p)
}

// signedIn answers a request without a known token (header or cookie) 401,
// as SPEC §6 has every missing or unknown token, with the sign-in form as the
// page: a browser shows it where it was going, and the form brings it back
// there once its token is set.
func (h *handlers) signedIn(tokens *auth.Tokens, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.Identify(tokens, r); !ok {
			l := text.FromQuery(r.URL.Query())
			w.Header().Set("WWW-Authenticate", `Bearer realm="kaoping"`)
			h.render(w, r, http.StatusUnauthorized, "signin", signinPage{pageBase: newPageBase(r, l.T("signin")), Next: localPath(r.URL.RequestURI())})
			return
		}
		next.ServeHTTP(w, r)
	})
}

type signinPage struct {
	pageBase
	Next, Message string
}

// localPath is next when it is a path of this server ("/…", not "//…" nor
// "/\…", which browsers read as another host), else "/".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return "/"
	}
	return next
}

// signinForm answers GET /signin: the form a browser presents its token in once.
func (h *handlers) signinForm(w http.ResponseWriter, r *http.Request) {
	l := text.FromQuery(r.URL.Query())
	h.render(w, r, http.StatusOK, "signin", signinPage{pageBase: newPageBase(r, l.T("signin")), Next: localPath(r.URL.Query().Get("next"))})
}

// signIn answers POST /signin: a known token is set as the cookie pkg/auth
// reads (HttpOnly: no script reads it; SameSite=Strict: no other site's page
// sends it; Secure behind TLS) and the browser goes where it was going; an
// unknown one gets the form again with 401.
func (h *handlers) signIn(tokens *auth.Tokens) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		tok := strings.TrimSpace(r.PostFormValue("token"))
		next := localPath(r.PostFormValue("next"))
		if r.PostFormValue("lang") == "en" {
			r.URL.RawQuery = "lang=en"
		}
		l := text.FromQuery(r.URL.Query())
		if _, ok := tokens.Lookup(tok); !ok || tok == "" {
			h.render(w, r, http.StatusUnauthorized, "signin", signinPage{pageBase: newPageBase(r, l.T("signin")), Next: next, Message: l.T("bad_token")})
			return
		}
		http.SetCookie(w, &http.Cookie{Name: auth.CookieName, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// signOut answers POST /signout: the cookie is cleared.
func signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: auth.CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// atoiOr reads a non-negative integer parameter, or def.
func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return def
	}
	return n
}
