package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestAlertRules: promtool accepts the rules and their unit tests pass; every
// alert has a unit test, a summary, a severity and a runbook anchor that
// docs/operations.md has.
func TestAlertRules(t *testing.T) {
	run(t, "prometheus", "promtool", "check", "rules", "rules/kaoping.yml")
	run(t, "prometheus", "promtool", "test", "rules", "tests/kaoping_test.yml")

	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	readYAML(t, "prometheus/rules/kaoping.yml", &rules)
	tests, err := os.ReadFile("prometheus/tests/kaoping_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	headings := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(ops), -1) {
		headings["docs/operations.md#"+anchor(m[1])] = true
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if !strings.Contains(string(tests), "alertname: "+r.Alert+"\n") {
				t.Errorf("%s has no unit test in tests/kaoping_test.yml", r.Alert)
			}
			if r.Labels["severity"] != "warning" && r.Labels["severity"] != "critical" {
				t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" || !headings[r.Annotations["runbook"]] {
				t.Errorf("%s: summary %q, runbook %q is no heading of docs/operations.md", r.Alert, r.Annotations["summary"], r.Annotations["runbook"])
			}
		}
	}
	if n < 8 {
		t.Errorf("%d alerts", n)
	}
}

// anchor is the anchor a Markdown heading gets on GitHub.
func anchor(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	var b strings.Builder
	for _, r := range h {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestPrometheusConfig: promtool accepts the compose scrape configuration,
// with the rules where compose mounts them, and it scrapes every service.
func TestPrometheusConfig(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := filepath.Abs("prometheus/rules")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(b), "/etc/prometheus/rules/", rules+"/")
	if cfg == string(b) {
		t.Fatal("prometheus.yml does not read the rules from /etc/prometheus/rules/, where compose mounts them")
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "promtool", "check", "config", "prometheus.yml")
	var c struct {
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "prometheus/prometheus.yml", &c)
	jobs := map[string]bool{}
	for _, s := range c.ScrapeConfigs {
		jobs[s.JobName] = true
	}
	for _, j := range []string{"ingest", "aggregator", "scorer", "api", "clickhouse"} {
		if !jobs[j] {
			t.Errorf("no scrape job %s", j)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
