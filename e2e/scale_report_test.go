package e2e

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// loadTest sends GET url(i) for the i-th request at a fixed rate for a
// while, open loop (a request starts on time whether or not the earlier ones
// have ended, as users' requests do), and reports the latencies.
func loadTest(t *testing.T, what string, url func(i int) string, perSecond int, during time.Duration) latency {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	// Warm the connection pool and the caches, as a served system would be,
	// and time requests one after another.
	var alone []time.Duration
	for i := range 50 {
		start := time.Now()
		if resp, err := get(client, url(i)); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		alone = append(alone, time.Since(start))
	}
	sort.Slice(alone, func(i, j int) bool { return alone[i] < alone[j] })
	n := int(during.Seconds() * float64(perSecond))
	lat := make([]time.Duration, n)
	failed := make([]bool, n)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	for i := range n {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			resp, err := get(client, url(i))
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			lat[i], failed[i] = time.Since(start), err != nil
		}()
	}
	wg.Wait()
	l := latency{what: what, n: n, alone: alone[len(alone)/2]}
	for _, f := range failed {
		if f {
			l.errors++
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	l.p50, l.p99, l.max = lat[n/2], lat[n*99/100], lat[n-1]
	return l
}

func get(c *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+devToken)
	return c.Do(req)
}

// Targets of issue 13.
const (
	runTarget         = 10 * time.Second
	quarterPeakTarget = 1 << 20 // kB: 1 GB
	yearPeakRatio     = 1.5
	p99Target         = 20 * time.Millisecond
)

// printReport writes every scenario measured so far, with the targets.
func printReport(w io.Writer, reports []*benchReport) {
	var quarterKB int64
	for _, r := range reports {
		if r.scenario.name == "quarter" {
			quarterKB = r.scorerPeakKB
		}
	}
	mark := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	b := &strings.Builder{}
	fmt.Fprintf(b, "\n==== bench-scale (load: %s) ====\n", reports[0].load)
	for _, r := range reports {
		sc := r.scenario
		fmt.Fprintf(b, "\n-- %s: period %s, %d events loaded (%s) in %s = %.0f events/s; duplicate index complete %s after the last event was stored\n",
			sc.name, sc.label, r.events, r.load, r.loadTook.Round(time.Millisecond), float64(r.events)/r.loadTook.Seconds(), r.indexLag.Round(time.Millisecond))
		fmt.Fprintf(b, "   run: %s to done, %s to the served street ranking (%d streets); %s; counts %s\n",
			r.runTook.Round(time.Millisecond), r.servedTook.Round(time.Millisecond), r.streetsReturned, r.runCPU, r.runCounts)
		switch sc.name {
		case "quarter":
			fmt.Fprintf(b, "   target run ≤ %s: %s\n", runTarget, mark(r.servedTook <= runTarget))
			fmt.Fprintf(b, "   scorer peak (VmHWM) %d MB; target < 1024 MB: %s\n", r.scorerPeakKB>>10, mark(r.scorerPeakKB < quarterPeakTarget))
		case "year":
			if quarterKB == 0 {
				fmt.Fprintf(b, "   scorer peak (VmHWM) %d MB (the quarter was not run with it: compare with the quarter's peak, target ≤ %.1f× it)\n", r.scorerPeakKB>>10, yearPeakRatio)
				break
			}
			ratio := float64(r.scorerPeakKB) / float64(quarterKB)
			fmt.Fprintf(b, "   scorer peak (VmHWM) %d MB = %.2f× the quarter's; target ≤ %.1f×: %s\n", r.scorerPeakKB>>10, ratio, yearPeakRatio,
				mark(quarterKB > 0 && ratio <= yearPeakRatio))
		default:
			fmt.Fprintf(b, "   scorer peak (VmHWM) %d MB\n", r.scorerPeakKB>>10)
		}
		fmt.Fprintf(b, "   ClickHouse peak query memory during the run: %d MB (limit of the test server 3815 MB)\n", r.chPeakBytes>>20)
		fmt.Fprintf(b, "   %-22s %10s %12s %10s\n", "query", "took", "rows", "memory")
		for _, q := range r.queries {
			fmt.Fprintf(b, "   %-22s %10s %12d %7d MB\n", q.name, q.took, q.rows, q.memBytes>>20)
		}
		for _, l := range r.rankingLatency {
			fmt.Fprintf(b, "   load test %-24s one at a time %s; %d requests at 200/s: p50 %s, p99 %s, max %s, %d errors; target p99 < %s: %s\n",
				l.what, l.alone.Round(10*time.Microsecond), l.n, l.p50.Round(10*time.Microsecond), l.p99.Round(10*time.Microsecond), l.max.Round(10*time.Microsecond),
				l.errors, p99Target, mark(l.p99 < p99Target && l.errors == 0))
		}
		for _, line := range r.scorerLog {
			fmt.Fprintf(b, "   scorer: %s\n", line)
		}
		if r.profile != "" {
			fmt.Fprintf(b, "   scorer CPU profile of the run (top):\n")
			for _, line := range strings.Split(strings.TrimSpace(r.profile), "\n") {
				fmt.Fprintf(b, "     %s\n", line)
			}
		}
	}
	fmt.Fprint(w, b.String())
}
