// Package auth checks bearer tokens. Tokens are configured as
// "token=principal" pairs; the principal is what the audit log records.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"flag"
	"fmt"
	"net/http"
	"strings"
)

// DevToken is the development token of the local stack (SPEC §6).
const DevToken = "kaoping-dev-token"

// Tokens maps bearer tokens to principals. Lookups compare hashes in constant
// time so a token cannot be guessed from response timing.
type Tokens struct {
	entries []entry
}

type entry struct {
	hash      [32]byte
	principal string
}

// ParseTokens reads "token=principal,token2=principal2". A token without
// "=principal" is its own principal's name "token".
func ParseTokens(s string) (*Tokens, error) {
	t := &Tokens{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tok, principal, ok := strings.Cut(part, "=")
		if !ok {
			principal = "token"
		}
		if tok == "" {
			return nil, fmt.Errorf("empty token in %q", part)
		}
		t.Add(tok, principal)
	}
	return t, nil
}

// Set replaces the tokens by those of s ("token=principal,…"), so that Tokens
// is a flag.Value: a bad list stops the service at start, naming its setting.
func (t *Tokens) Set(s string) error {
	parsed, err := ParseTokens(s)
	if err != nil {
		return err
	}
	t.entries = parsed.entries
	return nil
}

// String is empty: a flag's printed value must never show a token.
func (t *Tokens) String() string { return "" }

// RegisterFlags declares the bearer tokens of a service that reads or
// controls (KAOPING_TOKENS) on fs, for flagenv.Parse.
func (t *Tokens) RegisterFlags(fs *flag.FlagSet) map[string]string {
	fs.Var(t, "tokens", `bearer tokens, "token=principal,…"; the principal goes to the audit log`)
	return map[string]string{"tokens": "KAOPING_TOKENS"}
}

// Add registers a token for a principal.
func (t *Tokens) Add(token, principal string) {
	t.entries = append(t.entries, entry{hash: sha256.Sum256([]byte(token)), principal: principal})
}

// Lookup returns the principal of a token.
func (t *Tokens) Lookup(token string) (string, bool) {
	h := sha256.Sum256([]byte(token))
	found, principal := false, ""
	for _, e := range t.entries {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			found, principal = true, e.principal
		}
	}
	return principal, found
}

// Bearer returns the token of an "Authorization: Bearer <token>" header.
func Bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

type principalKey struct{}

// Require answers 401 with a JSON error unless the request carries a known
// bearer token; the handler finds the token's principal with Principal.
func Require(tokens *Tokens, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := Bearer(r)
		principal, known := "", false
		if ok {
			principal, known = tokens.Lookup(tok)
		}
		if !known {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("WWW-Authenticate", `Bearer realm="kaoping"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"missing or unknown bearer token"}` + "\n"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, principal)))
	})
}

// Principal is the principal Require found for the request.
func Principal(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}
