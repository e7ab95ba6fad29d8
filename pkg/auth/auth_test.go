package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequire(t *testing.T) {
	sum := sha256.Sum256([]byte("hashed-token"))
	tokens, err := ParseTokens("kaoping-dev-token=dev:admin, other=ops:reader, v=street-lead:viewer:jx.nanhu.st07, sha256:" + hex.EncodeToString(sum[:]) + "=auditor:reader")
	if err != nil {
		t.Fatal(err)
	}
	h := func(roles ...Role) http.Handler {
		return Require(tokens, roles, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := IdentityOf(r.Context())
			_, _ = w.Write([]byte(id.Principal + "/" + string(id.Role) + "/" + id.Unit))
		}))
	}
	for _, tt := range []struct {
		header string
		roles  []Role
		want   string
		code   int
	}{
		{"Bearer kaoping-dev-token", []Role{Admin}, "dev/admin/", 200},
		{"bearer other", Readers, "ops/reader/", 200},
		{"Bearer v", Readers, "street-lead/viewer/jx.nanhu.st07", 200},
		{"Bearer hashed-token", Readers, "auditor/reader/", 200},
		{"Bearer other", []Role{Admin}, "", 403},
		{"Bearer v", []Role{Admin, Reader}, "", 403},
		{"", Readers, "", 401},
		{"Bearer nope", Readers, "", 401},
		{"Basic kaoping-dev-token", Readers, "", 401},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		h(tt.roles...).ServeHTTP(rec, req)
		if rec.Code != tt.code || (tt.code == 200 && rec.Body.String() != tt.want) {
			t.Errorf("%q %v: %d %q", tt.header, tt.roles, rec.Code, rec.Body.String())
		}
		if tt.code != 200 && !strings.HasPrefix(rec.Body.String(), `{"error":`) {
			t.Errorf("%q: not a JSON error: %s", tt.header, rec.Body.String())
		}
	}
	// A browser signed in carries the token in a cookie.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: CookieName, Value: "other"})
	h(Readers...).ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "ops/reader/" {
		t.Errorf("cookie: %d %s", rec.Code, rec.Body.String())
	}
}

func TestParseTokensRefusesEntriesWithoutARole(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"secret=dev", "entry 1 (principal dev) has no role"},
		{"a=x:admin,secret=ops:boss", "entry 2 (principal ops): unknown role"},
		{"secret=lead:viewer", "a viewer needs its unit"},
		{"secret=ops:reader:u1", "only a viewer names a unit"},
		{"secret=a:admin,secret=b:reader", "already given to a"},
		{"sha256:abc=a:admin", "64 hex digits"},
		{"=a:admin", "want TOKEN=PRINCIPAL:ROLE"},
		{"secret=:admin", "principal is empty"},
	} {
		_, err := ParseTokens(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.in, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error shows the token: %v", tt.in, err)
		}
	}
}
