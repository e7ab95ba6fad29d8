package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// RequireProgram finds a program a test needs (a browser, a spreadsheet
// program). Missing, the test skips with a clear message, unless
// KAOPING_REQUIRE_BROWSER is set (make test sets it once make deps installed
// them): then it fails.
func RequireProgram(t testing.TB, program, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err == nil {
		return p
	}
	if os.Getenv("KAOPING_REQUIRE_BROWSER") != "" {
		t.Fatalf("%s is not installed (KAOPING_REQUIRE_BROWSER is set): run make deps (Debian package %s)", program, debianPackage)
	}
	t.Skipf("%s is not installed: run make deps (Debian package %s), or set KAOPING_REQUIRE_BROWSER to make this a failure", program, debianPackage)
	return ""
}
