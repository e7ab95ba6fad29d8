package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/period"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
	"kaoping/pkg/testkit/province"
)

// TestScaleBench is `make bench-scale` (SPEC §8, issue 13): a province — 1,500
// streets, 25,000 communities, 300,000 cadres — with a quarter of 5 million
// events, then a year of 20 million, each loaded into a fresh database and
// scored by the real binaries: one full run from request to served ranking,
// the scorer's peak memory and ClickHouse's per query, then a bounded load
// test of the rankings.
//
// KAOPING_BENCH_SCALE picks the scenarios (quarter, year, or both, comma
// separated; small is a 200,000-event province quarter for a quick look), and
// KAOPING_BENCH_LOAD how the events go in: stream (the default: published to
// JetStream in batch messages and stored by the aggregator binary, the real
// path) or direct (inserted by store.InsertEvents, to iterate while the real
// path is slow; the report says which).
func TestScaleBench(t *testing.T) {
	spec := os.Getenv("KAOPING_BENCH_SCALE")
	if spec == "" {
		t.Skip("set KAOPING_BENCH_SCALE=quarter,year (make bench-scale)")
	}
	load := os.Getenv("KAOPING_BENCH_LOAD")
	if load == "" {
		load = "stream"
	}
	if load != "stream" && load != "direct" {
		t.Fatalf("KAOPING_BENCH_LOAD=%q: want stream or direct", load)
	}
	binaries(t)
	ch := testkit.StartClickHouseWith(t, testkit.ClickHouseOptions{LogQueries: true})
	var reports []*benchReport
	for _, name := range strings.Split(spec, ",") {
		sc, ok := scenarios[strings.TrimSpace(name)]
		if !ok {
			t.Fatalf("KAOPING_BENCH_SCALE: unknown scenario %q (quarter, year, small)", name)
		}
		rep := &benchReport{scenario: sc, load: load}
		t.Run(sc.name, func(t *testing.T) { runScenario(t, ch, sc, load, rep) })
		reports = append(reports, rep)
		printReport(os.Stdout, reports)
	}
}

// scenario is one province history to score.
type scenario struct {
	name    string
	label   string // the period run
	periods []string
	events  int
	// level and subject of the two rankings the load test reads.
	small bool
}

var scenarios = map[string]scenario{
	"quarter": {name: "quarter", label: "2026Q3", periods: []string{"2026Q3"}, events: 5_000_000},
	"year":    {name: "year", label: "2025", periods: []string{"2025Q1", "2025Q2", "2025Q3", "2025Q4"}, events: 20_000_000},
	"small":   {name: "small", label: "2026Q3", periods: []string{"2026Q3"}, events: 200_000, small: true},
}

// benchReport is what one scenario measured.
type benchReport struct {
	scenario        scenario
	load            string
	events          int
	loadTook        time.Duration // first event sent to last one stored
	indexLag        time.Duration // last stored to the duplicate index complete
	runTook         time.Duration // POST /v1/runs to done
	servedTook      time.Duration // POST /v1/runs to the street ranking read
	scorerPeakKB    int64
	chPeakBytes     uint64
	queries         []queryLog
	profile         string
	runCPU          string // CPU seconds of the scorer and ClickHouse during the run
	rankingLatency  []latency
	runCounts       string
	streetsReturned int
	scorerLog       []string
}

type queryLog struct {
	name     string
	took     time.Duration
	rows     uint64
	memBytes uint64
}

type latency struct {
	// alone is the median of requests sent one after another.
	alone         time.Duration
	what          string
	n, errors     int
	p50, p99, max time.Duration
}

func runScenario(t *testing.T, ch *testkit.ClickHouse, sc scenario, load string, rep *benchReport) {
	n := testkit.StartNATS(t)
	db := ch.NewDatabase(t)
	s := &stack{t: t, natsURL: n.URL, procs: map[string]*exec.Cmd{}, dir: t.TempDir(),
		aggregator: testkit.FreeAddr(t), scorer: testkit.FreeAddr(t), api: testkit.FreeAddr(t)}
	scorerDebug := testkit.FreeAddr(t)
	s.env = append(os.Environ(),
		"KAOPING_NATS_URL="+n.URL,
		"KAOPING_CLICKHOUSE_ADDR="+ch.Addr,
		"KAOPING_CLICKHOUSE_DATABASE="+db,
		"KAOPING_CLICKHOUSE_MAX_EXECUTION_TIME=30m",
		"KAOPING_TOKENS="+devToken+"=dev:admin",
		"KAOPING_SOURCES="+localRegistry(t),
		"KAOPING_AGGREGATOR_ADDR="+s.aggregator,
		"KAOPING_SCORER_ADDR="+s.scorer,
		"KAOPING_API_ADDR="+s.api,
		"KAOPING_SCORER_RUN_WAIT=30m",
		"KAOPING_SCORER_BARRIER_TIMEOUT=30m",
		"KAOPING_SCORER_DEBUG_ADDR="+scorerDebug,
	)
	// Only the scorer logs its queries: the api's reads stay as in production.
	base := s.env
	s.env = append(append([]string(nil), base...), "KAOPING_CLICKHOUSE_LOG_QUERIES=true")
	s.start("scorer")
	s.env = base
	s.start("aggregator")
	s.start("api")
	_, js := n.Connect(t)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	var pers []period.Period
	for _, l := range sc.periods {
		p, err := period.Parse(l, loc)
		if err != nil {
			t.Fatal(err)
		}
		pers = append(pers, p)
	}
	cfg := province.Config{Seed: 13, Periods: pers, Events: sc.events, DuplicateEvery: 1000, Now: time.Now().Add(-time.Hour)}
	if sc.small {
		cfg.Streets, cfg.Communities, cfg.Cadres = 150, 2500, 30000
	}
	start := time.Now()
	var last uint64
	if load == "stream" {
		last, rep.events = publishProvince(t, js, cfg)
	} else {
		last, rep.events = insertProvince(t, ch.Addr, db, js, cfg)
	}
	testkit.Eventually(t, 2*time.Hour, func() error {
		done, err := stream.Processed(context.Background(), js)
		if err != nil || done < last {
			return fmt.Errorf("aggregator stored %d of %d (%v)", done, last, err)
		}
		return nil
	})
	rep.loadTook = time.Since(start)
	stored := time.Now()
	testkit.Eventually(t, time.Hour, func() error {
		if v := scrape(t, "http://"+s.scorer+"/metrics", "kaoping_scorer_duplicate_index_sequence"); v < float64(last) {
			return fmt.Errorf("duplicate index at %v of %d", v, last)
		}
		return nil
	})
	rep.indexLag = time.Since(stored)

	// One full run, profiled, from the request to the served street ranking.
	profile := make(chan string, 1)
	go func() { profile <- cpuProfile(scorerDebug, 30) }()
	time.Sleep(200 * time.Millisecond)
	cpu := measureCPU(map[string]int{"scorer": s.procs["scorer"].Process.Pid, "clickhouse": ch.Pid()})
	runStart := time.Now()
	run := s.runPeriod(sc.label)
	rep.runTook = time.Since(runStart)
	rep.runCPU = cpu.String()
	code, body := s.call("GET", "http://"+s.api+"/v1/rankings?period="+sc.label+"&level=street", "", nil)
	rep.servedTook = time.Since(runStart)
	if code != http.StatusOK {
		t.Fatalf("street ranking: %d %.300s", code, body)
	}
	rep.streetsReturned = bytes.Count(body, []byte(`"rank":`))
	rep.runCounts = fmt.Sprint(run["counts"])
	rep.scorerPeakKB = vmHWM(t, s.procs["scorer"].Process.Pid)
	rep.queries, rep.chPeakBytes = queryMemory(t, ch, run["id"].(string), runStart, time.Now())
	rep.profile = <-profile
	if b, err := os.ReadFile(filepath.Join(s.dir, "scorer.log")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, `"run evaluated"`) || strings.Contains(line, `"run done"`) {
				rep.scorerLog = append(rep.scorerLog, line)
			}
		}
	}

	if hold, err := time.ParseDuration(os.Getenv("KAOPING_BENCH_HOLD")); err == nil {
		fmt.Printf("holding the stack for %s: api http://%s scorer http://%s clickhouse %s database %s\n", hold, s.api, s.scorer, ch.Addr, db)
		time.Sleep(hold)
	}
	// The street ranking whole; pages of 100 community cadres at places
	// spread over the whole ranking, so no two requests in a row read the
	// same granules.
	streets := func(int) string { return "http://" + s.api + "/v1/rankings?period=" + sc.label + "&level=street" }
	cadres := int(float64(province.Config{}.WithDefaults().Cadres) * 11 / 12)
	if sc.small {
		cadres = 27500
	}
	pageOf := func(i int) string {
		return "http://" + s.api + "/v1/rankings?period=" + sc.label + "&level=community&subject=cadre&limit=100&offset=" +
			strconv.Itoa((i*7919)%(cadres-100))
	}
	// The pages are read twice: first as they come (each 8,192-row block of
	// the ranking is read from ClickHouse once), then again, kept.
	rep.rankingLatency = []latency{
		loadTest(t, "street ranking", streets, 200, 10*time.Second),
		loadTest(t, "100 cadres, first reads", pageOf, 200, 10*time.Second),
		loadTest(t, "100 cadres, again", pageOf, 200, 10*time.Second),
	}
}

// scrape reads one gauge from a /metrics page, -1 when it is not there.
func scrape(t *testing.T, url, name string) float64 {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, name)), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// vmHWM is a process's peak resident memory in kB.
func vmHWM(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// queryMemory reads system.query_log: the run's named queries, and the peak
// memory of any query between from and to.
func queryMemory(t *testing.T, ch *testkit.ClickHouse, runID string, from, to time.Time) ([]queryLog, uint64) {
	conn := ch.Connect(t, "")
	ctx := context.Background()
	if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
		t.Fatal(err)
	}
	var out []queryLog
	rows, err := conn.Query(ctx, `SELECT query_id, query_duration_ms, result_rows, memory_usage FROM system.query_log
WHERE type = 2 AND startsWith(query_id, ?) ORDER BY query_start_time, query_id`, runID+"-")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var q queryLog
		var ms uint64
		if err := rows.Scan(&q.name, &ms, &q.rows, &q.memBytes); err != nil {
			t.Fatal(err)
		}
		q.name, q.took = strings.TrimPrefix(q.name, runID+"-"), time.Duration(ms)*time.Millisecond
		out = append(out, q)
	}
	rows.Close()
	var peak uint64
	var which string
	if err := conn.QueryRow(ctx, `SELECT memory_usage, substring(replaceAll(query, '\n', ' '), 1, 70) FROM system.query_log
WHERE type = 2 AND event_time >= toDateTime(?) AND event_time <= toDateTime(?) ORDER BY memory_usage DESC LIMIT 1`,
		from.Unix()-1, to.Unix()+1).Scan(&peak, &which); err != nil {
		t.Fatal(err)
	}
	out = append(out, queryLog{name: "peak: " + which, memBytes: peak})
	return out, peak
}

// cpuProfile fetches seconds of the scorer's CPU profile and returns its top.
func cpuProfile(addr string, seconds int) string {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds))
	if err != nil {
		return "profile: " + err.Error()
	}
	defer resp.Body.Close()
	dir, err := os.MkdirTemp("", "kaoping-profile-")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cpu.pprof")
	b, _ := io.ReadAll(resp.Body)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err.Error()
	}
	// As for make bench: KAOPING_BENCH_PROFILE=dir keeps the whole profile.
	if keep := os.Getenv("KAOPING_BENCH_PROFILE"); keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "scale-run-scorer.pprof"), b, 0o600)
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=20", filepath.Join(binDir, "scorer"), path).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("pprof: %v\n%s", err, out)
	}
	// And where the time goes in kaoping's own code, cumulatively.
	cum, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=60", "-focus=kaoping", filepath.Join(binDir, "scorer"), path).CombinedOutput()
	if err == nil {
		var keep []string
		for _, line := range strings.Split(string(cum), "\n") {
			if strings.Contains(line, "kaoping/") || strings.Contains(line, "flat%") {
				keep = append(keep, line)
			}
		}
		out = append(out, []byte("\n"+strings.Join(keep, "\n"))...)
	}
	return string(out)
}
