package deploy

import (
	"os/exec"
	"strings"
	"testing"
)

// tool returns the path of a command `make deps` installs, or fails the
// test saying so: a check that cannot run must not pass.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `make deps` (Debian package %s)", name, map[string]string{
			"promtool": "prometheus", "docker-compose": "docker-compose"}[name])
	}
	return p
}

// run runs a command in dir and returns its combined output; it fails the
// test when the command fails.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
