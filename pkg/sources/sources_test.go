package sources

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaoping/pkg/event"
)

func TestParse(t *testing.T) {
	r, err := Parse([]byte(`
sources:
  - source: /sources/dev
    token: kaoping-dev-token
    types: ["*"]
  - source: /sources/hotline
    token: hotline-token
    types: [kaoping.complaint.assigned, kaoping.complaint.responded]
  - source: /sources/hotline
    token: hotline-rater-token
    types: [kaoping.complaint.rated]
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token, eventType string
		wantSource       string // "" means the token is unknown
		wantAllowed      bool
	}{
		{"kaoping-dev-token", event.TypeReviewRated, "/sources/dev", true},
		{"kaoping-dev-token", event.TypeUnitUpserted, "/sources/dev", true},
		{"hotline-token", event.TypeComplaintAssigned, "/sources/hotline", true},
		{"hotline-token", event.TypeComplaintRated, "/sources/hotline", false},
		{"hotline-rater-token", event.TypeComplaintRated, "/sources/hotline", true},
		{"hotline-rater-token", event.TypeComplaintAssigned, "/sources/hotline", false},
		{"hotline-token ", event.TypeComplaintAssigned, "", false},
		{"", event.TypeComplaintAssigned, "", false},
	}
	for _, tt := range tests {
		s, ok := r.Lookup(tt.token)
		if ok != (tt.wantSource != "") || (ok && s.Source.URI != tt.wantSource) {
			t.Errorf("Lookup(%q) = %+v, %v; want %q", tt.token, s, ok, tt.wantSource)
			continue
		}
		if ok && s.Allows(tt.eventType) != tt.wantAllowed {
			t.Errorf("%q allows %s = %v, want %v", tt.token, tt.eventType, !tt.wantAllowed, tt.wantAllowed)
		}
	}
	if r.Len() != 3 {
		t.Errorf("Len = %d, want 3", r.Len())
	}
	// On NATS a source may send what any of its tokens may send.
	hotline, ok := r.ByName("hotline")
	if !ok || hotline.URI != "/sources/hotline" || !hotline.Allows(event.TypeComplaintRated) || !hotline.Allows(event.TypeComplaintAssigned) || hotline.Allows(event.TypeIssueListed) {
		t.Errorf("ByName(hotline) = %+v, %v", hotline, ok)
	}
	if dev, ok := r.ByName("dev"); !ok || dev.URI != DevSource || !dev.Allows(event.TypeReviewRated) {
		t.Errorf("ByName(dev) = %+v, %v", dev, ok)
	}
	if got := r.Names(); len(got) != 2 || got[0] != "dev" || got[1] != "hotline" {
		t.Errorf("Names = %v", got)
	}
}

func TestNamesAndHashedTokens(t *testing.T) {
	hash := sha256.Sum256([]byte("grid-token"))
	r, err := Parse([]byte("sources:\n  - name: grid-2\n    source: https://grid.example/events\n    token_sha256: " + hex.EncodeToString(hash[:]) + "\n    types: [\"*\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := r.Lookup("grid-token"); !ok || g.Source.Name != "grid-2" || g.Source.URI != "https://grid.example/events" {
		t.Errorf("Lookup by a token given as its hash = %+v, %v", g, ok)
	}
	for _, tt := range []struct{ yaml, wantErr string }{
		{"sources:\n  - source: /sources/a.b\n    token: t\n    types: [\"*\"]\n", "not a subject token"},
		{"sources:\n  - name: x\n    source: /a\n    token: t1\n    types: [\"*\"]\n  - name: x\n    source: /b\n    token: t2\n    types: [\"*\"]\n", "already the name of /a"},
		{"sources:\n  - name: x\n    source: /a\n    token: t1\n    types: [\"*\"]\n  - name: y\n    source: /a\n    token: t2\n    types: [\"*\"]\n", "named both"},
		{"sources:\n  - source: /a\n    token_sha256: abc\n    types: [\"*\"]\n", "64 hex digits"},
		{"sources:\n  - source: /a\n    token: t\n    token_sha256: " + hex.EncodeToString(hash[:]) + "\n    types: [\"*\"]\n", "not both"},
	} {
		if _, err := Parse([]byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%q: error %v, want one saying %q", tt.yaml, err, tt.wantErr)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"empty file", ``, "no sources"},
		{"no entries", `sources: []`, "no sources"},
		{"unknown key", "sources:\n  - source: /s\n    token: t\n    types: [\"*\"]\n    tokn: x\n", "tokn"},
		{"empty source", "sources:\n  - token: t\n    types: [\"*\"]\n", "source is empty"},
		{"empty token", "sources:\n  - source: /s\n    types: [\"*\"]\n", "token is empty"},
		{"no types", "sources:\n  - source: /s\n    token: t\n", "types is empty"},
		{"unknown type", "sources:\n  - source: /s\n    token: t\n    types: [kaoping.complaint.lost]\n", "kaoping.complaint.lost"},
		{"star with others", "sources:\n  - source: /s\n    token: t\n    types: [\"*\", kaoping.issue.closed]\n", "stands alone"},
		{"token twice", "sources:\n  - source: /a\n    token: t\n    types: [\"*\"]\n  - source: /b\n    token: t\n    types: [\"*\"]\n", "already"},
		{"not yaml", "sources: [", "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(path, []byte("sources:\n  - source: /sources/grid\n    token: grid-token\n    types: [\"*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := r.Lookup("grid-token"); !ok || s.Source.URI != "/sources/grid" {
		t.Errorf("Lookup = %+v, %v", s, ok)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loads")
	}
}
