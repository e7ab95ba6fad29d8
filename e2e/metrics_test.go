package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"kaoping/pkg/event"
	"kaoping/pkg/testkit"
)

// TestMetrics starts natsd and the four services as real binaries, makes them
// do their work (the simulator publishes a small quarter, ingest accepts and
// rejects, the scorer runs) and then reads every /metrics:
//   - promtool check metrics finds nothing to say about any of them;
//   - every metric an alert rule (deploy/prometheus/rules) or a Prometheus
//     panel (deploy/grafana/dashboards) reads is exposed by some service, with
//     the label values it selects; Prometheus's own "up" aside;
//   - the scorer's newest-done-run time survives a restart.
func TestMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: run `make deps` (Debian package prometheus)")
	}
	bin := binaries(t)
	natsAddr, natsHTTP := testkit.FreeAddr(t), testkit.FreeAddr(t)
	startProc(t, "natsd", nil, "--addr", natsAddr, "--http-addr", natsHTTP, "--store-dir", t.TempDir())
	waitStatus(t, "http://"+natsHTTP+"/readyz", 200, 30*time.Second)
	s := startStackWith(t, testkit.SharedClickHouse(t), "nats://"+natsAddr, "KAOPING_SOURCES="+localRegistry(t))

	pub := exec.Command(filepath.Join(bin, "simulator"), "publish", "--period", "2026Q3", "--complaints", "200")
	pub.Env = append(os.Environ(), "KAOPING_NATS_URL=nats://"+natsAddr)
	if out, err := pub.CombinedOutput(); err != nil {
		t.Fatalf("simulator publish: %v\n%s", err, out)
	}
	ans := s.send(
		ce("m-1", event.TypeUnitUpserted, "2026-07-01T09:00:00+08:00", map[string]any{"unit": "m.u", "name": "测试", "level": "street"}),
		ce("m-2", event.TypeUnitUpserted, "2026-07-01T09:00:00+08:00", map[string]any{"unit": "m.u", "level": "street"}))
	if ans.Accepted != 1 || len(ans.Rejected) != 1 {
		t.Fatalf("ingest answered %+v", ans)
	}
	s.waitCaughtUp(time.Minute)
	s.runPeriod("2026Q3")

	targets := map[string]string{"natsd": natsHTTP, "ingest": s.ingest, "aggregator": s.aggregator, "scorer": s.scorer, "api": s.api}
	exposed := map[string][]series{}
	for _, svc := range sortedKeys(targets) {
		text := scrapeMetrics(t, targets[svc])
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics on %s's /metrics: %v\n%s", svc, err, out)
		}
		for _, x := range parseExposition(t, svc, text) {
			exposed[x.name] = append(exposed[x.name], x)
		}
	}

	exprs := ruleExprs(t)
	exprs = append(exprs, panelExprs(t)...)
	if len(exprs) < 20 {
		t.Fatalf("%d expressions in the rules and boards", len(exprs))
	}
	for _, e := range exprs {
		for _, p := range checkExpr(e.expr, exposed) {
			t.Errorf("%s: %s\n  %s", e.where, p, strings.Join(strings.Fields(e.expr), " "))
		}
	}

	t.Run("newest done run survives a restart", func(t *testing.T) {
		before := gauge(t, scrapeMetrics(t, s.scorer), "kaoping_scorer_last_done_run_timestamp_seconds")
		if age := float64(time.Now().UnixNano())/1e9 - before; age < 0 || age > 300 {
			t.Fatalf("newest done run %v s ago", age)
		}
		if err := s.procs["scorer"].Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		_ = s.procs["scorer"].Wait()
		s.start("scorer")
		// Read back from the runs table just after start.
		testkit.Eventually(t, 10*time.Second, func() error {
			if after := gauge(t, scrapeMetrics(t, s.scorer), "kaoping_scorer_last_done_run_timestamp_seconds"); after != before {
				return fmt.Errorf("after a restart %v, before %v", after, before)
			}
			return nil
		})
	})
}

type series struct {
	service, name string
	labels        map[string]string
}

func scrapeMetrics(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s/metrics: %d %v", addr, resp.StatusCode, err)
	}
	return string(b)
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// parseExposition reads the samples of the text format.
func parseExposition(t *testing.T, svc, text string) []series {
	t.Helper()
	var out []series
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s: not a sample: %q", svc, line)
		}
		x := series{service: svc, name: m[1], labels: map[string]string{}}
		for _, l := range labelPair.FindAllStringSubmatch(m[2], -1) {
			x.labels[l[1]] = l[2]
		}
		out = append(out, x)
	}
	return out
}

func gauge(t *testing.T, text, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no %s", name)
	return 0
}

type expr struct{ where, expr string }

func ruleExprs(t *testing.T) []expr {
	t.Helper()
	files, _ := filepath.Glob("../deploy/prometheus/rules/*.yml")
	var out []expr
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Groups []struct {
				Rules []struct{ Alert, Record, Expr string }
			}
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range doc.Groups {
			for _, r := range g.Rules {
				out = append(out, expr{filepath.Base(f) + " " + r.Alert + r.Record, r.Expr})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no rules in deploy/prometheus/rules")
	}
	return out
}

func panelExprs(t *testing.T) []expr {
	t.Helper()
	files, _ := filepath.Glob("../deploy/grafana/dashboards/*.json")
	var out []expr
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var board struct {
			Panels []struct {
				Title   string
				Targets []struct {
					Datasource struct{ Type string }
					Expr       string
				}
			}
		}
		if err := json.Unmarshal(b, &board); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range board.Panels {
			for _, tg := range p.Targets {
				if tg.Datasource.Type == "prometheus" {
					out = append(out, expr{filepath.Base(f) + " " + p.Title, tg.Expr})
				}
			}
		}
	}
	return out
}

var (
	// selector is a metric name with label matchers, or matchers alone.
	selector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)?\{([^}]*)\}`)
	matcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"`)
	word     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// grouping is by (…), without (…), on (…), ignoring (…): label names.
	grouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	duration = regexp.MustCompile(`\[[^\]]*\]`)
	keywords = map[string]bool{"and": true, "or": true, "unless": true, "offset": true, "bool": true, "inf": true, "nan": true}
)

// Series that Prometheus makes itself, and labels it adds to every target.
var (
	prometheusMade  = map[string]bool{"up": true}
	prometheusLabel = map[string]bool{"job": true, "instance": true}
)

// checkExpr lists what expression e reads that no service exposes.
func checkExpr(e string, exposed map[string][]series) []string {
	var problems []string
	for _, m := range selector.FindAllStringSubmatch(e, -1) {
		var names []string
		var matchers [][]string
		for _, mm := range matcher.FindAllStringSubmatch(m[2], -1) {
			if mm[1] == "__name__" {
				re, err := regexp.Compile("^(?:" + mm[3] + ")$")
				if err != nil {
					problems = append(problems, err.Error())
					continue
				}
				for n := range exposed {
					if re.MatchString(n) {
						names = append(names, n)
					}
				}
				if len(names) == 0 {
					problems = append(problems, fmt.Sprintf("no exposed metric matches __name__=~%q", mm[3]))
				}
				continue
			}
			matchers = append(matchers, mm)
		}
		if m[1] != "" {
			names = append(names, m[1])
		}
		for _, mm := range matchers {
			if mm[2] != "=" || prometheusLabel[mm[1]] {
				continue
			}
			found := false
			for _, n := range names {
				for _, x := range exposed[n] {
					found = found || x.labels[mm[1]] == mm[3]
				}
			}
			if !found && !(len(names) == 1 && prometheusMade[names[0]]) {
				problems = append(problems, fmt.Sprintf("no series of %v has %s=%q", names, mm[1], mm[3]))
			}
		}
	}
	// What remains after selectors' matchers, groupings, ranges, strings and
	// function calls are taken out are metric names.
	rest := selector.ReplaceAllStringFunc(e, func(s string) string { return s[:strings.IndexByte(s, '{')] + " " })
	rest = grouping.ReplaceAllString(rest, " ")
	rest = duration.ReplaceAllString(rest, " ")
	for _, loc := range word.FindAllStringIndex(rest, -1) {
		w := rest[loc[0]:loc[1]]
		after := strings.TrimLeft(rest[loc[1]:], " \t\n")
		if keywords[strings.ToLower(w)] || strings.HasPrefix(after, "(") || isNumberPart(rest, loc[0]) {
			continue
		}
		if len(exposed[w]) == 0 && !prometheusMade[w] {
			problems = append(problems, fmt.Sprintf("metric %s is exposed by no service", w))
		}
	}
	slices.Sort(problems)
	return slices.Compact(problems)
}

// isNumberPart: the word at i is part of a number such as 1e3 or 0x10.
func isNumberPart(s string, i int) bool { return i > 0 && s[i-1] >= '0' && s[i-1] <= '9' }

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestCheckExprFindsWhatIsMissing: the check of TestMetrics itself, on
// expressions that read what does not exist.
func TestCheckExprFindsWhatIsMissing(t *testing.T) {
	exposed := map[string][]series{
		"kaoping_ingest_events_total":  {{name: "kaoping_ingest_events_total", labels: map[string]string{"result": "accepted"}}},
		"kaoping_api_ready_check":      {{name: "kaoping_api_ready_check", labels: map[string]string{"check": "clickhouse"}}},
		"kaoping_x_duration_seconds_b": nil,
	}
	for _, c := range []struct {
		e    string
		want int
	}{
		{`sum by (result) (rate(kaoping_ingest_events_total{result="accepted"}[5m]))`, 0},
		{`max by (job) ({__name__=~"kaoping_.+_ready_check", check="clickhouse"}) == 0`, 0},
		{`up{job="clickhouse"} == 0`, 0},
		{`time() - max(kaoping_scorer_last_done_run_timestamp_seconds) > 26 * 3600`, 1},
		{`rate(kaoping_ingest_events_total{result="rejected"}[5m]) > 1e3`, 1},
		{`{__name__=~"kaoping_.+_lag"}`, 1},
		{`histogram_quantile(0.95, sum by (le) (rate(kaoping_ingest_request_duration_seconds_bucket[5m])))`, 1},
	} {
		if got := checkExpr(c.e, exposed); len(got) != c.want {
			t.Errorf("%s: %q, want %d problem(s)", c.e, got, c.want)
		}
	}
}
