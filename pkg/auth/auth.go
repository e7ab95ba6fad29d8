// Package auth checks bearer tokens and what they may do (SPEC §6 "Access").
// KAOPING_TOKENS lists TOKEN=PRINCIPAL:ROLE or TOKEN=PRINCIPAL:viewer:UNIT;
// TOKEN may be written sha256:<hex>, so a configuration need not hold the
// token itself. The principal is what the audit log records.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// DevToken is the development token of the local stack (SPEC §6).
const DevToken = "kaoping-dev-token"

// Role is what a token may do.
type Role string

// The roles (SPEC §6): an admin may do everything (runs, finalising, dead
// letters, the audit log); a reader may read everything; a viewer may read
// within the subtree of its unit.
const (
	Admin  Role = "admin"
	Reader Role = "reader"
	Viewer Role = "viewer"
)

// Readers are the roles that may read rankings, explanations and reports.
var Readers = []Role{Admin, Reader, Viewer}

// Identity is who a token is: the principal the audit log records, its role
// and, for a viewer, the unit whose subtree it may see.
type Identity struct {
	Principal string
	Role      Role
	Unit      string
}

// Tokens maps bearer tokens to identities. Lookups compare hashes in constant
// time so a token cannot be guessed from response timing, and only hashes are
// held.
type Tokens struct {
	entries []entry
}

type entry struct {
	hash [32]byte
	id   Identity
}

// ParseTokens reads "TOKEN=PRINCIPAL:ROLE,TOKEN=PRINCIPAL:viewer:UNIT,…". An
// entry without a role, an unknown role, a viewer without a unit, or a token
// given twice is refused; the message names the entry by its place and
// principal, never by its token.
func ParseTokens(s string) (*Tokens, error) {
	t := &Tokens{}
	n := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n++
		tok, rest, ok := strings.Cut(part, "=")
		if !ok || tok == "" {
			return nil, fmt.Errorf("token entry %d: want TOKEN=PRINCIPAL:ROLE", n)
		}
		fields := strings.Split(rest, ":")
		id := Identity{Principal: fields[0]}
		if len(fields) > 1 {
			id.Role = Role(fields[1])
		}
		switch {
		case id.Principal == "":
			return nil, fmt.Errorf("token entry %d: the principal is empty", n)
		case len(fields) == 1:
			return nil, fmt.Errorf("token entry %d (principal %s) has no role: write TOKEN=%s:admin, :reader or :viewer:UNIT", n, id.Principal, id.Principal)
		case id.Role == Viewer && (len(fields) != 3 || fields[2] == ""):
			return nil, fmt.Errorf("token entry %d (principal %s): a viewer needs its unit, TOKEN=%s:viewer:UNIT", n, id.Principal, id.Principal)
		case id.Role == Viewer:
			id.Unit = fields[2]
		case id.Role != Admin && id.Role != Reader:
			return nil, fmt.Errorf("token entry %d (principal %s): unknown role %q (admin, reader or viewer)", n, id.Principal, fields[1])
		case len(fields) != 2:
			return nil, fmt.Errorf("token entry %d (principal %s): only a viewer names a unit", n, id.Principal)
		}
		hash, err := tokenHash(tok)
		if err != nil {
			return nil, fmt.Errorf("token entry %d (principal %s): %w", n, id.Principal, err)
		}
		for _, e := range t.entries {
			if e.hash == hash {
				return nil, fmt.Errorf("token entry %d (principal %s): the token is already given to %s", n, id.Principal, e.id.Principal)
			}
		}
		t.entries = append(t.entries, entry{hash: hash, id: id})
	}
	return t, nil
}

// tokenHash is the SHA-256 of a token, or the hash itself of sha256:<hex>.
func tokenHash(tok string) ([32]byte, error) {
	var h [32]byte
	hexed, isHash := strings.CutPrefix(tok, "sha256:")
	if !isHash {
		return sha256.Sum256([]byte(tok)), nil
	}
	b, err := hex.DecodeString(hexed)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("sha256: wants 64 hex digits")
	}
	copy(h[:], b)
	return h, nil
}

// Set replaces the tokens by those of s, so that Tokens is a flag.Value: a
// bad list stops the service at start, naming its setting.
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
	fs.Var(t, "tokens", `bearer tokens, "TOKEN=PRINCIPAL:ROLE" (admin, reader) or "TOKEN=PRINCIPAL:viewer:UNIT", comma-separated; TOKEN may be sha256:<hex>`)
	return map[string]string{"tokens": "KAOPING_TOKENS"}
}

// Lookup returns the identity of a token.
func (t *Tokens) Lookup(token string) (Identity, bool) {
	h := sha256.Sum256([]byte(token))
	found, id := false, Identity{}
	for _, e := range t.entries {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			found, id = true, e.id
		}
	}
	return id, found
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

type identityKey struct{}

// Require answers 401 with a JSON error unless the request carries a known
// bearer token (from the Authorization header, or the cookie a browser's
// sign-in set), and 403 unless its role is one of roles; the handler finds the
// identity with IdentityOf.
func Require(tokens *Tokens, roles []Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, known := Identify(tokens, r)
		if !known {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kaoping"`)
			writeError(w, http.StatusUnauthorized, "missing or unknown bearer token")
			return
		}
		if !slices.Contains(roles, id.Role) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("the role %s may not %s %s", id.Role, r.Method, r.URL.Path))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}

// CookieName is the cookie a browser's sign-in sets to the token.
const CookieName = "kaoping_token"

// Identify finds the identity of a request's token: the Authorization header,
// else the sign-in cookie.
func Identify(tokens *Tokens, r *http.Request) (Identity, bool) {
	tok, ok := Bearer(r)
	if !ok {
		if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
			tok, ok = c.Value, true
		}
	}
	if !ok {
		return Identity{}, false
	}
	return tokens.Lookup(tok)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "{\"error\":%q}\n", msg)
}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityOf is the identity Require found for the request.
func IdentityOf(ctx context.Context) Identity {
	id, _ := ctx.Value(identityKey{}).(Identity)
	return id
}

// Principal is the principal Require found for the request.
func Principal(ctx context.Context) string { return IdentityOf(ctx).Principal }
