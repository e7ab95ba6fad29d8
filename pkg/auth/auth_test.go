package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequire(t *testing.T) {
	tokens, err := ParseTokens("kaoping-dev-token=dev, other=ops")
	if err != nil {
		t.Fatal(err)
	}
	h := Require(tokens, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(Principal(r.Context())))
	}))
	for _, tt := range []struct {
		header, want string
		code         int
	}{
		{"Bearer kaoping-dev-token", "dev", 200},
		{"bearer other", "ops", 200},
		{"", "", 401},
		{"Bearer nope", "", 401},
		{"Basic kaoping-dev-token", "", 401},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != tt.code || (tt.code == 200 && rec.Body.String() != tt.want) {
			t.Errorf("%q: %d %q", tt.header, rec.Code, rec.Body.String())
		}
	}
}
