package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"kaoping/services/api/internal/text"
)

// TestEveryStringIsInTheTable: every key the templates and the Go code ask
// the text table for is in it, so no page shows a bare key.
func TestEveryStringIsInTheTable(t *testing.T) {
	files, _ := filepath.Glob("templates/*.html")
	more, _ := filepath.Glob("internal/review/*.[gh][ot]*")
	gofiles, _ := filepath.Glob("*.go")
	files = append(append(files, more...), gofiles...)
	keyRE := regexp.MustCompile(`(?:\{\{t "|\{\{printf \(t "|\.T\(")([a-z_0-9]+)"`)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllSubmatch(b, -1) {
			n++
			if !text.Has(string(m[1])) {
				t.Errorf("%s asks for %q, which the text table lacks", f, m[1])
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d keys found: is the pattern still right?", n)
	}
}
