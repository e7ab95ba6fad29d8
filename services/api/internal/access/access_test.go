package access

import (
	"errors"
	"net/http"
	"testing"

	"kaoping/pkg/auth"
	"kaoping/pkg/obs"
)

func TestScope(t *testing.T) {
	viewer := For(auth.Identity{Principal: "lead", Role: auth.Viewer, Unit: "st07"})
	reader := For(auth.Identity{Principal: "org", Role: auth.Reader})
	for _, tt := range []struct {
		name  string
		scope Scope
		path  []string
		want  bool
	}{
		{"viewer sees its own unit", viewer, []string{"d", "st07"}, true},
		{"viewer sees below its unit", viewer, []string{"d", "st07", "st07.c03"}, true},
		{"viewer does not see a sibling", viewer, []string{"d", "st06"}, false},
		{"viewer does not see above its unit", viewer, []string{"d"}, false},
		{"viewer does not see what is not in the tree", viewer, nil, false},
		{"a prefix of an id is not the id", viewer, []string{"d", "st0"}, false},
		{"reader sees everything", reader, []string{"d", "st06"}, true},
		{"reader sees what is not in the tree", reader, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.scope.Sees(tt.path); got != tt.want {
				t.Fatalf("Sees(%v) = %v, want %v", tt.path, got, tt.want)
			}
			err := tt.scope.Check("unit", "x", tt.path)
			var se *obs.StatusError
			if tt.want && err != nil {
				t.Fatalf("Check = %v", err)
			}
			if !tt.want && (!errors.As(err, &se) || se.Status != http.StatusForbidden) {
				t.Fatalf("Check = %v, want a 403", err)
			}
		})
	}
	if got := viewer.Parent(""); got != "st07" {
		t.Errorf("viewer default parent = %q", got)
	}
	if got := viewer.Parent("st07.c03"); got != "st07.c03" {
		t.Errorf("viewer asked parent = %q", got)
	}
	if got := reader.Parent(""); got != "" {
		t.Errorf("reader default parent = %q", got)
	}
}
