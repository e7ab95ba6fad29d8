package deploy

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestCompose: docker-compose accepts deploy/compose/compose.yaml, and what it
// resolves holds together: three NATS nodes whose routes are each other, every
// kaoping service on all three with three replicas and only variables its
// binary reads, Prometheus with the rules, Grafana with the provisioning and
// the boards where the provider looks for them.
func TestCompose(t *testing.T) {
	out := run(t, "compose", "docker-compose", "-f", "compose.yaml", "config")
	var c struct {
		Services map[string]struct {
			Image       string
			Command     []string
			Environment map[string]string
			Volumes     []any
		}
	}
	if err := yaml.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	routes := regexp.MustCompile(`nats-route://([a-z0-9-]+):6222`).FindAllStringSubmatch(string(readFile(t, "compose/nats/nats.conf")), -1)
	var nodes []string
	for _, r := range routes {
		nodes = append(nodes, r[1])
		s, ok := c.Services[r[1]]
		if !ok || !strings.HasPrefix(s.Image, "nats:") || s.Environment["NATS_SERVER_NAME"] != r[1] {
			t.Errorf("route %s: service %+v", r[1], s)
		}
	}
	if len(nodes) != 3 {
		t.Fatalf("nats.conf routes to %v", nodes)
	}
	if img := c.Services["clickhouse"].Image; !regexp.MustCompile(`^clickhouse/clickhouse-server:(2[3-9]|[3-9][0-9])\.`).MatchString(img) {
		t.Errorf("ClickHouse image %q: a current release of clickhouse/clickhouse-server", img)
	}
	helps := binaryVariables(t)
	for _, svc := range []string{"ingest", "aggregator", "scorer", "api"} {
		s := c.Services[svc]
		if len(s.Command) != 1 || s.Command[0] != svc {
			t.Errorf("%s: command %v", svc, s.Command)
		}
		checkServiceEnv(t, "compose "+svc, svc, s.Environment, helps[svc], func(string) bool { return false })
		for _, n := range nodes {
			if slices.Contains(helps[svc], "KAOPING_NATS_URL") && !strings.Contains(s.Environment["KAOPING_NATS_URL"], "@"+n+":4222") {
				t.Errorf("%s: KAOPING_NATS_URL does not list %s", svc, n)
			}
		}
	}
	mounts := func(svc string) string {
		return strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(fmtAll(c.Services[svc].Volumes), "[", " "), "]", " ")), " ")
	}
	for svc, want := range map[string][]string{
		"prometheus": {"/etc/prometheus/rules", "/etc/prometheus/prometheus.yml"},
		"grafana":    {"/etc/grafana/provisioning", "/var/lib/grafana/dashboards/kaoping"},
	} {
		for _, w := range want {
			if !strings.Contains(mounts(svc), w) {
				t.Errorf("%s mounts nothing on %s: %s", svc, w, mounts(svc))
			}
		}
	}
	if !strings.Contains(string(readFile(t, "grafana/provisioning/dashboards/kaoping.yaml")), "path: /var/lib/grafana/dashboards/kaoping") {
		t.Error("the dashboard provider does not read /var/lib/grafana/dashboards/kaoping")
	}
	if c.Services["grafana"].Environment["GF_INSTALL_PLUGINS"] != "grafana-clickhouse-datasource" {
		t.Error("Grafana does not install the ClickHouse plugin")
	}
}

func fmtAll(v []any) string {
	b, _ := yaml.Marshal(v)
	return string(b)
}
