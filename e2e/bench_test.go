package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

// TestDeliveryBench is `make bench`'s measure of delivery (issue 12): the
// same events loaded (a) through the SDK straight to NATS until queryable,
// (b) through ingest over HTTP until a ranking is served, and (c) by
// ClickHouse's own client as the baseline; then freshness at a steady rate
// and the aggregator's peak memory. It needs a quiet machine and takes a few
// minutes, so `make test` skips it.
func TestDeliveryBench(t *testing.T) {
	if os.Getenv("KAOPING_BENCH") == "" {
		t.Skip("run by make bench (KAOPING_BENCH=1)")
	}
	complaints, _ := strconv.Atoi(os.Getenv("KAOPING_BENCH_COMPLAINTS"))
	if complaints == 0 {
		complaints = 55000 // about 200,000 events of a quarter
	}
	events := generated(t, complaints)
	n := len(events)
	t.Logf("events: %d (%d complaints of 2026Q3)", n, complaints)
	ch := testkit.StartClickHouseWith(t, testkit.ClickHouseOptions{LogQueries: os.Getenv("KAOPING_BENCH_QUERIES") != ""})

	// The machine's speed drifts by tens of percent within a minute (the
	// baseline alone moved from 97,000 to 152,000 events/s between
	// consecutive runs): the baseline is measured before (a) and again
	// after (b), and the ratios are against the mean of the two times.
	before := baseline(t, ch, events)
	sdk, sdkMem, rebuilt := sdkToQueryable(t, ch, events)
	httpRate, httpMem := httpToRanking(t, ch, events)
	after := baseline(t, ch, events)
	base := 2 / (1/before + 1/after)
	p50, p99, freshMem := freshness(t, ch, 10000, 20*time.Second)
	syncAlways, syncLater := syncCost(t, events)

	report := fmt.Sprintf(`
delivery of %d events on %d cores (one run of make bench)
  (c) baseline clickhouse-client TSV raw + INSERT…SELECT typed  %9.0f events/s  (before (a) %.0f, after (b) %.0f)
  (a) SDK → queryable                                           %9.0f events/s  %.2f× baseline (target ≥ 1.0×)
  (b) HTTP → served ranking                                     %9.0f events/s  %.2f× baseline (target ≥ 0.5×)
  (d) aggregator rebuild of (a)'s stream                          %9.0f events/s  %.2f× baseline
  (e) publish acked by natsd alone, syncing every message        %9.0f events/s  %.2f× syncing every 2 minutes (%.0f events/s)
  freshness at a steady 10,000 events/s                         p50 %s  p99 %s (target p99 < 1s)
  aggregator peak memory (VmHWM)                                 (a) %d MB  (b) %d MB  steady %d MB (target < 300 MB)
`, n, numCPU(), base, before, after, sdk, sdk/base, httpRate, httpRate/base, rebuilt, rebuilt/base, syncAlways, syncAlways/syncLater, syncLater, p50.Round(time.Millisecond), p99.Round(time.Millisecond), sdkMem>>20, httpMem>>20, freshMem>>20)
	fmt.Print(report)
	if out := os.Getenv("KAOPING_BENCH_OUT"); out != "" {
		_ = os.WriteFile(out, []byte(report), 0o644)
	}
}

// generated is a quarter of the simulator's district, built and validated.
func generated(t *testing.T, complaints int) []event.Event {
	t.Helper()
	cmd := exec.Command(filepath.Join(binaries(t), "simulator"), "generate", "--period", "2026Q3", "--complaints", strconv.Itoa(complaints), "--seed", "12")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("simulator generate: %v", err)
	}
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	var events []event.Event
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		e, err := v.Parse(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

// benchStack is natsd (syncing every message: durable acks), the aggregator,
// ingest, the scorer and the api on a fresh database and a fresh store.
type benchStack struct {
	nats, ingest, scorer, api, aggregator string
	db                                    string
	env                                   []string // every service's settings
	procs                                 map[string]*proc
	debug                                 map[string]string // service → its profiles' address
}

// profileAll saves, with KAOPING_BENCH_PROFILE=dir, a CPU profile of every
// service over the next seconds, named after the measure.
func (s *benchStack) profileAll(t *testing.T, measure string, seconds int) {
	dir := os.Getenv("KAOPING_BENCH_PROFILE")
	for svc, addr := range s.debug {
		go profile(t, addr, filepath.Join(dir, measure+"-"+svc+".pprof"), seconds)
	}
}

func startBench(t *testing.T, ch *testkit.ClickHouse, services ...string) *benchStack {
	t.Helper()
	s := &benchStack{nats: testkit.FreeAddr(t), db: ch.NewDatabase(t), procs: map[string]*proc{}, debug: map[string]string{}}
	natsHTTP := testkit.FreeAddr(t)
	env := []string{
		"KAOPING_NATS_URL=nats://" + s.nats, "KAOPING_CLICKHOUSE_ADDR=" + ch.Addr, "KAOPING_CLICKHOUSE_DATABASE=" + s.db,
		"KAOPING_TOKENS=" + devToken + "=dev:admin", "KAOPING_SOURCES=" + localRegistry(t),
	}
	if os.Getenv("KAOPING_BENCH_QUERIES") != "" {
		env = append(env, "KAOPING_CLICKHOUSE_LOG_QUERIES=true")
	}
	env = append(env, strings.Fields(os.Getenv("KAOPING_BENCH_ENV"))...)
	s.env = env
	natsArgs := []string{"--addr", s.nats, "--http-addr", natsHTTP, "--store-dir", t.TempDir()}
	if os.Getenv("KAOPING_BENCH_PROFILE") != "" {
		s.debug["natsd"] = testkit.FreeAddr(t)
		natsArgs = append(natsArgs, "--debug-addr", s.debug["natsd"])
	}
	s.procs["natsd"] = startProc(t, "natsd", env, natsArgs...)
	waitStatus(t, "http://"+natsHTTP+"/readyz", 200, 30*time.Second)
	for _, svc := range services {
		addr := testkit.FreeAddr(t)
		switch svc {
		case "ingest":
			s.ingest = addr
		case "scorer":
			s.scorer = addr
		case "api":
			s.api = addr
		case "aggregator":
			s.aggregator = addr
		}
		svcEnv := append(env, "KAOPING_"+strings.ToUpper(svc)+"_ADDR="+addr)
		if os.Getenv("KAOPING_BENCH_PROFILE") != "" {
			debug := testkit.FreeAddr(t)
			svcEnv = append(svcEnv, "KAOPING_"+strings.ToUpper(svc)+"_DEBUG_ADDR="+debug)
			s.debug[svc] = debug
		}
		s.procs[svc] = startProc(t, svc, svcEnv)
		waitStatus(t, "http://"+addr+"/readyz", 200, 60*time.Second)
	}
	return s
}

// peakMemory is a process's peak resident memory in bytes (VmHWM).
func peakMemory(t *testing.T, p *proc) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func countRows(t *testing.T, conn driver.Conn) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM events").Scan(&n); err != nil {
		return 0
	}
	return n
}

func waitRows(t *testing.T, conn driver.Conn, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for countRows(t, conn) < uint64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events queryable after %s", countRows(t, conn), n, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sdkToQueryable publishes every event through the SDK, one publisher per
// source, and times until all are rows of ClickHouse; then it rebuilds the
// events table from that stream (aggregator rebuild) and returns its rate too.
func sdkToQueryable(t *testing.T, ch *testkit.ClickHouse, events []event.Event) (float64, int64, float64) {
	s := startBench(t, ch, "aggregator")
	conn := ch.Connect(t, s.db)
	js := connectJetStream(t, "nats://"+s.nats)
	bySource := map[string][]event.Event{}
	for _, e := range events {
		bySource[e.Source] = append(bySource[e.Source], e)
	}
	s.profileAll(t, "a", 2)
	cpu := measureCPU(s.pids(ch))
	start := time.Now()
	var wg sync.WaitGroup
	for src, evs := range bySource {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := path.Base(src)
			for lo := 0; lo < len(evs); lo += 20000 {
				if _, err := publish.PublishBatches(context.Background(), js, stream.SourceSubject(name), name, evs[lo:min(lo+20000, len(evs))], nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	published := time.Since(start)
	waitRows(t, conn, len(events), 5*time.Minute)
	took := time.Since(start)
	t.Logf("(a) published in %s, queryable after %s; %s", published.Round(time.Millisecond), took.Round(time.Millisecond), cpu)
	mem := peakMemory(t, s.procs["aggregator"])

	start = time.Now()
	rebuild := startProc(t, "aggregator", s.env, "rebuild")
	err := <-rebuild.done
	rebuild.done <- err // for the cleanup, which waits for the exit too
	if err != nil {
		t.Fatalf("rebuild: %v\n%s", err, rebuild.out)
	}
	rebuildTook := time.Since(start)
	if got := countRows(t, conn); got != uint64(len(events)) {
		t.Fatalf("after the rebuild %d rows, want %d", got, len(events))
	}
	t.Logf("(d) %s", strings.TrimSpace(rebuild.out.String()))
	return float64(len(events)) / took.Seconds(), mem, float64(len(events)) / rebuildTook.Seconds()
}

// tokens of the local stack's registry, by source.
var benchTokens = map[string]string{
	"/sources/org": "kaoping-dev-org-token", "/sources/hotline": "kaoping-dev-hotline-token",
	"/sources/supervision": "kaoping-dev-supervision-token", "/sources/discipline": "kaoping-dev-discipline-token",
	"/sources/review": "kaoping-dev-review-token",
}

// httpToRanking posts every event to ingest (batches of 1,000, 4 at a time,
// each with its source's token), then asks for a run and the street ranking.
func httpToRanking(t *testing.T, ch *testkit.ClickHouse, events []event.Event) (float64, int64) {
	s := startBench(t, ch, "aggregator", "ingest", "scorer", "api")
	type request struct {
		token string
		body  []byte
	}
	var reqs []request
	bySource := map[string][]event.Event{}
	for _, e := range events {
		bySource[e.Source] = append(bySource[e.Source], e)
	}
	for src, evs := range bySource {
		for lo := 0; lo < len(evs); lo += 1000 {
			var b bytes.Buffer
			b.WriteByte('[')
			for i, e := range evs[lo:min(lo+1000, len(evs))] {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(e.Raw)
			}
			b.WriteByte(']')
			reqs = append(reqs, request{benchTokens[src], b.Bytes()})
		}
	}
	client := &http.Client{Timeout: time.Minute}
	post := func(url, token, contentType string, body []byte) []byte {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d %s", url, resp.StatusCode, out)
		}
		return out
	}
	s.profileAll(t, "b", 2)
	cpu := measureCPU(s.pids(ch))
	start := time.Now()
	work := make(chan request)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				var ans struct{ Accepted int }
				_ = json.Unmarshal(post("http://"+s.ingest+"/v1/events", r.token, "application/cloudevents-batch+json", r.body), &ans)
			}
		}()
	}
	for _, r := range reqs {
		work <- r
	}
	close(work)
	wg.Wait()
	sent := time.Since(start)
	t.Logf("(b) sent in %s; %s", sent.Round(time.Millisecond), cpu)
	run := post("http://"+s.scorer+"/v1/runs", devToken, "application/json", []byte(`{"period":"2026Q3"}`))
	if !bytes.Contains(run, []byte(`"status":"done"`)) {
		t.Fatalf("run: %s", run)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.api+"/v1/rankings?period=2026Q3&level=street", nil)
	req.Header.Set("Authorization", "Bearer "+devToken)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ranking: %v %v", resp, err)
	}
	resp.Body.Close()
	took := time.Since(start)
	t.Logf("(b) ranking served after %s; %s", took.Round(time.Millisecond), cpu)
	if os.Getenv("KAOPING_BENCH_QUERIES") != "" {
		logServerWork(t, ch, s.db, start, took)
	}
	if os.Getenv("KAOPING_BENCH_LOGS") != "" {
		t.Logf("scorer:\n%s", s.procs["scorer"].out)
	}
	return float64(len(events)) / took.Seconds(), peakMemory(t, s.procs["aggregator"])
}

// logServerWork prints, with KAOPING_BENCH_QUERIES=1, what ClickHouse did
// from start for took: every query (but those of system tables) and every
// part of database db written or merged, with its time, rows and (for
// queries) CPU: the measure's profile on the server's side.
func logServerWork(t *testing.T, ch *testkit.ClickHouse, db string, start time.Time, took time.Duration) {
	conn := ch.Connect(t, "")
	ctx := context.Background()
	if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
		t.Fatal(err)
	}
	from, to := start.Unix()-1, start.Add(took).Unix()+1
	var b strings.Builder
	rows, err := conn.Query(ctx, `SELECT toString(query_start_time), query_duration_ms, read_rows, written_rows,
	arrayFirst(v -> 1, arrayFilter((v, n) -> n = 'OSCPUVirtualTimeMicroseconds', ProfileEvents.Values, ProfileEvents.Names)),
	substring(replaceAll(query, '\n', ' '), 1, 90)
FROM system.query_log WHERE type = 2 AND event_time >= toDateTime(?) AND event_time <= toDateTime(?) AND query NOT LIKE ?
ORDER BY query_start_time`, from, to, "%system.%")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var at, query string
		var ms, read, written, cpu uint64
		if err := rows.Scan(&at, &ms, &read, &written, &cpu, &query); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  query %s %5d ms cpu %5d ms read %8d written %7d  %s\n", at, ms, cpu/1000, read, written, query)
	}
	rows.Close()
	rows, err = conn.Query(ctx, `SELECT toString(event_time), event_type, duration_ms, rows, table, part_name
FROM system.part_log WHERE event_time >= toDateTime(?) AND event_time <= toDateTime(?) AND database = ? ORDER BY event_time`, from, to, db)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var at, table, part string
		var kind int8
		var ms, n uint64
		if err := rows.Scan(&at, &kind, &ms, &n, &table, &part); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  part  %s %5d ms type %d rows %8d  %s %s\n", at, ms, kind, n, table, part)
	}
	rows.Close()
	t.Logf("(b) ClickHouse's work:\n%s", b.String())
}

// baseline loads the events with clickhouse-client: the raw JSON lines as
// TabSeparated into a one-column table, then INSERT … SELECT extracting the
// typed columns on the server.
func baseline(t *testing.T, ch *testkit.ClickHouse, events []event.Event) float64 {
	db := ch.NewDatabase(t)
	conn := ch.Connect(t, db)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE raw_events (raw String) ENGINE = MergeTree ORDER BY tuple()`,
		`CREATE TABLE typed_events (source String, id String, type String, time DateTime, case_id String, unit String, cadre String,
			name String, level String, parent String, response_due DateTime, resolve_due DateTime, due DateTime, resolved UInt8,
			rating UInt8, severity String, subject String, review_period String, score String, raw String)
			ENGINE = MergeTree ORDER BY (type, case_id, source, id)`,
	} {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "events.tsv")
	var b bytes.Buffer
	esc := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)
	for _, e := range events {
		b.WriteString(esc.Replace(string(e.Raw)))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(ch.Addr, ":")
	client := func(query string, stdin io.Reader) {
		cmd := exec.Command("clickhouse-client", "--host", host, "--port", port, "--database", db, "--query", query)
		cmd.Stdin = stdin
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clickhouse-client %s: %v\n%s", query, err, out)
		}
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cpu := measureCPU(map[string]int{"clickhouse": ch.Pid()})
	start := time.Now()
	client("INSERT INTO raw_events FORMAT TabSeparated", f)
	loaded := time.Since(start)
	str := func(k string) string { return "visitParamExtractString(raw, '" + k + "')" }
	tm := func(k string) string {
		return "parseDateTimeBestEffort(if(" + str(k) + " = '', '1970-01-01T00:00:00Z', " + str(k) + "))"
	}
	client(`INSERT INTO typed_events SELECT `+strings.Join([]string{
		str("source"), str("id"), str("type"), tm("time"),
		"concat(" + str("complaint_id") + ", " + str("issue_id") + ", " + str("error_id") + ", " + str("review_id") + ")",
		str("unit"), str("cadre"), str("name"), str("level"), str("parent"),
		tm("response_due"), tm("resolve_due"), tm("due"), "toUInt8(visitParamExtractBool(raw, 'resolved'))",
		"toUInt8(visitParamExtractUInt(raw, 'rating'))", str("severity"), str("subject"), str("period"),
		"visitParamExtractRaw(raw, 'score')", "raw"}, ", ")+` FROM raw_events`, nil)
	took := time.Since(start)
	var rows uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM typed_events").Scan(&rows); err != nil || rows != uint64(len(events)) {
		t.Fatalf("baseline stored %d rows, %v", rows, err)
	}
	t.Logf("(c) raw load %s, typed after %s; %s", loaded.Round(time.Millisecond), took.Round(time.Millisecond), cpu)
	return float64(len(events)) / took.Seconds()
}

// freshness publishes at a steady rate through the SDK (100 events each
// 1/rate×100) and measures, per batch, the time from its publish to the
// moment ClickHouse shows it (polled every 5 ms).
func freshness(t *testing.T, ch *testkit.ClickHouse, rate int, during time.Duration) (p50, p99 time.Duration, mem int64) {
	s := startBench(t, ch, "aggregator")
	conn := ch.Connect(t, s.db)
	js := connectJetStream(t, "nats://"+s.nats)
	v, err := event.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	const per = 100
	every := time.Duration(per) * time.Second / time.Duration(rate)
	type sent struct {
		at  time.Time
		seq uint64
	}
	var mu sync.Mutex
	var batches []sent
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		at := time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)
		for i := 0; time.Duration(i)*every < during; i++ {
			<-tick.C
			evs := make([]event.Event, per)
			for j := range evs {
				id := fmt.Sprintf("f-%d-%d", i, j)
				evs[j], err = event.New(v, "/sources/hotline", id, event.TypeComplaintResponded, at, event.ComplaintRef{ComplaintID: id})
				if err != nil {
					t.Error(err)
					return
				}
			}
			t0 := time.Now()
			res, err := publish.PublishBatches(context.Background(), js, stream.SourceSubject("hotline"), "hotline", evs, nil)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			batches = append(batches, sent{t0, res[0].Sequence})
			mu.Unlock()
		}
	}()
	var lags []time.Duration
	next := 0
	for {
		var maxSeq uint64
		_ = conn.QueryRow(context.Background(), "SELECT max(stream_seq) FROM events").Scan(&maxSeq)
		now := time.Now()
		mu.Lock()
		for next < len(batches) && batches[next].seq <= maxSeq {
			lags = append(lags, now.Sub(batches[next].at))
			next++
		}
		total := len(batches)
		mu.Unlock()
		select {
		case <-done:
			if next == total {
				sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
				if len(lags) == 0 {
					t.Fatal("no batch measured")
				}
				return lags[len(lags)/2], lags[len(lags)*99/100], peakMemory(t, s.procs["aggregator"])
			}
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

// profile saves a CPU profile of a service over the next seconds.
func profile(t *testing.T, debug, file string, seconds int) {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", debug, seconds))
	if err != nil {
		t.Logf("profile %s: %v", file, err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	_ = os.WriteFile(file, b, 0o644)
}

// cpuSeconds is the user+system CPU time a process has used.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	// fields after the command: state is f[0]; utime and stime are fields 14 and 15 of stat (f[11], f[12])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks; USER_HZ is 100 on Linux
}

// cpuUse records the CPU time of named processes over a stretch of work.
type cpuUse struct {
	pids  map[string]int
	start map[string]float64
}

func measureCPU(pids map[string]int) *cpuUse {
	u := &cpuUse{pids: pids, start: map[string]float64{}}
	for name, pid := range pids {
		u.start[name] = cpuSeconds(pid)
	}
	return u
}

// String lists each process's CPU seconds since measureCPU, busiest first.
func (u *cpuUse) String() string {
	type use struct {
		name string
		sec  float64
	}
	var uses []use
	for name, pid := range u.pids {
		uses = append(uses, use{name, cpuSeconds(pid) - u.start[name]})
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].sec > uses[j].sec })
	var b strings.Builder
	for _, x := range uses {
		fmt.Fprintf(&b, " %s %.2fs", x.name, x.sec)
	}
	return "CPU:" + b.String()
}

func (s *benchStack) pids(ch *testkit.ClickHouse) map[string]int {
	pids := map[string]int{"clickhouse": ch.Pid(), "bench": os.Getpid()}
	for name, p := range s.procs {
		pids[name] = p.cmd.Process.Pid
	}
	return pids
}

// syncCost publishes the events as the SDK does to natsd alone (no
// aggregator), once syncing every stored message to disk before its ack (the
// default, durable across a power cut) and once syncing every two minutes,
// three times each alternately, and returns the best rate of each.
func syncCost(t *testing.T, events []event.Event) (always, later float64) {
	rate := func(sync string) float64 {
		addr, httpAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
		p := startProc(t, "natsd", nil, "--addr", addr, "--http-addr", httpAddr, "--store-dir", t.TempDir(), "--sync", sync)
		defer func() {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			p.done <- <-p.done // the cleanup waits for the exit too
		}()
		waitStatus(t, "http://"+httpAddr+"/readyz", 200, 30*time.Second)
		nc, err := nats.Connect("nats://" + addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for lo := 0; lo < len(events); lo += 20000 {
			if _, err := publish.PublishBatches(context.Background(), js, stream.SourceSubject("dev"), "dev", events[lo:min(lo+20000, len(events))], nil); err != nil {
				t.Fatal(err)
			}
		}
		return float64(len(events)) / time.Since(start).Seconds()
	}
	for range 3 {
		always, later = max(always, rate("always")), max(later, rate("2m"))
	}
	t.Logf("(e) publish acked: sync always %.0f events/s, every 2m %.0f events/s", always, later)
	return always, later
}
