package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/auth"
)

// TestPages: the rankings, unit, cadre and run pages in Chinese and English,
// each read audited; the diff the scorer stored on the run page.
func TestPages(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-q2", "2026Q2")
	f.storeIssues("run-q2")
	f.storeRun("run-q1", "2026Q1", timeAgo(2), map[string]int64{"s01": 9600, "s02": 8000, "s03": 9000})
	if err := f.store.SaveDiff(context.Background(), "run-q2", "run-q0",
		[]byte(`{"run":"run-q2","against":"run-q0","changes":[{"subject_kind":"unit","id":"s02","name":"街道 s02","before":{"score":90,"rank":3,"grade":"good"},"after":{"score":94,"rank":2,"grade":"excellent"},"events":[{"source":"/sources/hotline","id":"C7-rated"}]},`+
			`{"subject_kind":"unit","id":"s08","name":"街道 s08","before":null,"after":{"score":88,"rank":8,"grade":"good"},"events":[]}]}`)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/?period=2026Q2", []string{"考评排名", "街道 s02", `class="grade-excellent"`, "优秀", "↑1", `id="status">临时`, "/v1/rankings?format=csv&amp;level=street&amp;period=2026Q2&amp;subject=unit", "format=xlsx", `href="/units/s02?period=2026Q2`}},
		{"/?period=2026Q2&lang=en", []string{"Rankings", "excellent", "Download Excel", "lang=en"}},
		{"/?period=2026Q2&level=community&parent=c2", []string{"s07.m", "未评分"}},
		{"/", []string{"2026Q2"}},
		{"/units/s02?period=2026Q2", []string{"第 2 名 / 共 12", "上升 1", "<svg", "及时响应率", "C7", "RC-9", "E1", "IS-1", "巡视巡察", "/v1/reports/review?format=html&amp;period=2026Q2&amp;unit=s02", "街道 s10"}},
		{"/units/s02?period=2026Q2&lang=en", []string{"rank 2 of 12", "up 1", "tolerated errors", "Report (Markdown)"}},
		{"/runs/run-q2", []string{"run-q0", "街道 s02", "#3 90 良好", "#2 94 优秀", "C7-rated", "街道 s08"}},
		{"/runs/run-q1", []string{"差异尚未生成"}},
	} {
		code, hdr, body := f.get(tt.path)
		if code != 200 || hdr.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s = %d %v %s", tt.path, code, hdr, body)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", tt.path, w)
			}
		}
	}
	for path, code := range map[string]int{"/units/zz?period=2026Q2": 404, "/runs/nope": 404, "/?period=2026-Q2": 400, "/?period=2026Q2&level=town": 400, "/cadres/k9?period=2026Q2": 404} {
		if got, hdr, body := f.get(path); got != code || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(body, "error-message") {
			t.Errorf("%s = %d %s, want an HTML %d", path, got, body, code)
		}
	}
	// Every page read is audited like the JSON reads.
	waitFor(t, func() bool {
		n, err := f.count("SELECT count() FROM audit_log WHERE path IN ('/', '/units/s02', '/runs/run-q2') AND principal = 'analyst'")
		return err == nil && n >= 7
	})
}

// TestPagesForAViewer: a viewer's pages show its subtree only, others are an
// HTML 403; the run page lists only the changes inside.
func TestPagesForAViewer(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-q2", "2026Q2")
	if err := f.store.SaveDiff(context.Background(), "run-q2", "",
		[]byte(`{"run":"run-q2","against":null,"changes":[{"subject_kind":"unit","id":"s02","name":"街道 s02","before":null,"after":null,"events":[]},{"subject_kind":"unit","id":"s08","name":"街道 s08","before":null,"after":null,"events":[]}]}`)); err != nil {
		t.Fatal(err)
	}
	code, _, body := f.getAs(viewerToken, "/?period=2026Q2")
	if code != 200 || !strings.Contains(body, "街道 s06") || strings.Contains(body, "街道 s07") || !strings.Contains(body, "parent=c1") {
		t.Errorf("viewer rankings page = %d %s", code, body)
	}
	for _, path := range []string{"/?period=2026Q2&parent=c2", "/units/s08?period=2026Q2", "/units/d?period=2026Q2", "/cadres/k1?period=2026Q2"} {
		code, hdr, body := f.getAs(viewerToken, path)
		if code != 403 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(body, "无权查看") {
			t.Errorf("viewer %s = %d %s, want an HTML 403", path, code, body)
		}
	}
	if code, _, body := f.getAs(viewerToken, "/units/s02?period=2026Q2"); code != 200 || !strings.Contains(body, "第 2 名 / 共 12") || !strings.Contains(body, "街道 s10") {
		t.Errorf("viewer unit page = %d %s", code, body)
	}
	if code, _, body := f.getAs(viewerToken, "/runs/run-q2"); code != 200 || !strings.Contains(body, "街道 s02") || strings.Contains(body, "街道 s08") {
		t.Errorf("viewer run page = %d %s", code, body)
	}
}

// TestSignIn: a browser without a token is shown the form (401); a known token
// becomes an HttpOnly, SameSite=Strict cookie the pages then accept; an
// unknown one is refused; signing out clears it.
func TestSignIn(t *testing.T) {
	f := newFixture(t)
	f.storePlacedRun("run-q2", "2026Q2")
	// Without a token, or with one nobody holds: 401 (SPEC §6), the page
	// being the sign-in form that brings the browser back here.
	for _, tok := range []string{"", "wrong"} {
		code, hdr, body := f.getAs(tok, "/units/s02?period=2026Q2")
		if code != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || hdr.Get("WWW-Authenticate") == "" ||
			!strings.Contains(body, `name="token"`) || !strings.Contains(body, `name="next" value="/units/s02?period=2026Q2"`) {
			t.Fatalf("page with token %q = %d %v %s", tok, code, hdr, body)
		}
	}
	if code, _, body := f.getAs("", "/signin?next=/units/s02"); code != 200 || !strings.Contains(body, `name="token"`) {
		t.Errorf("sign-in form = %d %s", code, body)
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	if rec := post(url.Values{"token": {"wrong"}, "next": {"/"}}); rec.Code != 401 || !strings.Contains(rec.Body.String(), "令牌无效") || len(rec.Result().Cookies()) != 0 {
		t.Errorf("unknown token = %d %s", rec.Code, rec.Body)
	}
	if rec := post(url.Values{"token": {viewerToken}, "next": {"//evil.example/"}}); rec.Header().Get("Location") != "/" {
		t.Errorf("sign-in sent the browser to %q", rec.Header().Get("Location"))
	}
	rec := post(url.Values{"token": {viewerToken}, "next": {"/units/s02?period=2026Q2"}})
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/units/s02?period=2026Q2" || len(cookies) != 1 {
		t.Fatalf("sign-in = %d %v", rec.Code, rec.Header())
	}
	c := cookies[0]
	if c.Name != auth.CookieName || c.Value != viewerToken || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v", c)
	}
	req := httptest.NewRequest(http.MethodGet, "/units/s02?period=2026Q2", nil)
	req.AddCookie(c)
	got := httptest.NewRecorder()
	f.h.ServeHTTP(got, req)
	if got.Code != 200 || !strings.Contains(got.Body.String(), "lead") || !strings.Contains(got.Body.String(), "仅可查看本单位及下级") {
		t.Errorf("page with the cookie = %d %s", got.Code, got.Body)
	}
	out := httptest.NewRecorder()
	f.h.ServeHTTP(out, httptest.NewRequest(http.MethodPost, "/signout", nil))
	if cs := out.Result().Cookies(); out.Code != http.StatusSeeOther || len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("sign-out = %d %v", out.Code, cs)
	}
}

func timeAgo(hours int) time.Time { return time.Now().Add(-time.Duration(hours) * time.Hour) }

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10 s")
}
