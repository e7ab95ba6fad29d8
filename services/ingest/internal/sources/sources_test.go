package sources

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaoping/pkg/auth"
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
		if ok != (tt.wantSource != "") || s.Name != tt.wantSource {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tt.token, s.Name, ok, tt.wantSource)
			continue
		}
		if ok && s.Allows(tt.eventType) != tt.wantAllowed {
			t.Errorf("%q allows %s = %v, want %v", tt.token, tt.eventType, !tt.wantAllowed, tt.wantAllowed)
		}
	}
	if r.Len() != 3 {
		t.Errorf("Len = %d, want 3", r.Len())
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
	if s, ok := r.Lookup("grid-token"); !ok || s.Name != "/sources/grid" {
		t.Errorf("Lookup = %+v, %v", s, ok)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loads")
	}
}

func TestDev(t *testing.T) {
	s, ok := Dev().Lookup(auth.DevToken)
	if !ok || s.Name != DevSource {
		t.Fatalf("dev token gives %+v, %v", s, ok)
	}
	for _, ty := range event.Types {
		if !s.Allows(ty) {
			t.Errorf("dev token may not send %s", ty)
		}
	}
}

// The example shipped beside the service must stay loadable.
func TestExampleFile(t *testing.T) {
	r, err := Load("../../sources.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := r.Lookup(auth.DevToken); !ok || s.Name != DevSource || !s.Allows(event.TypeReviewRated) {
		t.Errorf("dev token in the example: %+v, %v", s, ok)
	}
}
