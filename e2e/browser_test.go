package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"kaoping/pkg/testkit"
)

// screenshotDir is where the browser test saves its screenshots: out/screenshots
// of the checkout (not committed), so a person can look at them.
func screenshotDir(t *testing.T) string {
	dir, err := filepath.Abs("../out/screenshots")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

const viewerToken = "street-lead-token"

// TestBrowser drives Debian's headless Chromium against the real binaries as
// a person would: sign in, open the rankings, change the filters, follow a
// unit, open its report, download the XLSX and check its cells; then sign in
// as the viewer of one street and see only its subtree.
func TestBrowser(t *testing.T) {
	chromium := testkit.RequireProgram(t, "chromium", "chromium")
	s := startStack(t, "KAOPING_SOURCES="+localRegistry(t),
		"KAOPING_TOKENS="+devToken+"=dev:admin,"+viewerToken+"=lead:viewer:jx.nanhu.st03")
	pub := exec.Command(filepath.Join(binaries(t), "simulator"), "publish", "--period", "2026Q3", "--complaints", "400")
	pub.Env = append(os.Environ(), "KAOPING_NATS_URL="+s.natsURL)
	if out, err := pub.CombinedOutput(); err != nil {
		t.Fatalf("simulator publish: %v\n%s", err, out)
	}
	s.waitCaughtUp(2 * time.Minute)
	s.runPeriod("2026Q3")
	api := "http://" + s.api
	shots := screenshotDir(t)
	downloads := t.TempDir()

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1000), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTime()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// pick sets a filter's select and lets its change event submit the form.
	pick := func(name, value string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.querySelector('select[name=`+name+`]'); s.value = '`+value+`'; s.dispatchEvent(new Event('change')); return true })()`)); err != nil {
			t.Fatalf("pick %s: %v", name, err)
		}
		do("pick "+name, chromedp.Sleep(500*time.Millisecond), chromedp.WaitVisible(chromedp.CSS("#ranking")))
	}

	// Signing in: the rankings show an unknown browser the form (401), which
	// brings it back to them.
	do("open the rankings", chromedp.Navigate(api+"/?period=2026Q3"), chromedp.WaitVisible(chromedp.CSS("#token")))
	if l := location(); l != api+"/?period=2026Q3" {
		t.Fatalf("the form is not where the browser went: %s", l)
	}
	do("sign in", chromedp.SendKeys(chromedp.CSS("#token"), devToken), chromedp.Click(chromedp.CSS("#signin-submit")), chromedp.WaitVisible(chromedp.CSS("#ranking")))
	if l := location(); l != api+"/?period=2026Q3" {
		t.Fatalf("signed in, the browser is at %s", l)
	}
	table := text("#ranking")
	for _, want := range []string{"排名", "街道", "jx.nanhu.st01", "及时响应率"} {
		if !strings.Contains(table, want) {
			t.Errorf("rankings lack %q: %s", want, table)
		}
	}
	// 2026Q3 is past its grace on this clock: the scorer finalised it.
	if st := text("#status"); st != "最终" {
		t.Errorf("status %q", st)
	}
	shot("rankings.png")

	// The filters: level, then subject, then a subtree.
	pick("level", "community")
	if l := location(); !strings.Contains(l, "level=community") || !strings.Contains(text("#ranking"), "jx.nanhu.st01.c01") {
		t.Errorf("after picking the community level: %s", l)
	}
	pick("subject", "cadre")
	if l := location(); !strings.Contains(l, "subject=cadre") {
		t.Errorf("after picking cadres: %s", l)
	}
	pick("subject", "unit")
	do("narrow to a street", chromedp.SetValue(chromedp.CSS("input[name=parent]"), "jx.nanhu.st02"),
		chromedp.Click(chromedp.CSS("#filters button")), chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible(chromedp.CSS("#ranking")))
	if got := text("#ranking"); !strings.Contains(got, "jx.nanhu.st02.c01") || strings.Contains(got, "jx.nanhu.st01.c01") {
		t.Errorf("the subtree of st02 shows %s", got)
	}
	shot("rankings-community-st02.png")
	do("back to the whole district", chromedp.Navigate(api+"/?period=2026Q3&level=street"), chromedp.WaitVisible(chromedp.CSS("#ranking")))

	// Follow the first unit, then open its report.
	do("follow a unit", chromedp.Click(chromedp.CSS("#ranking tr:nth-child(2) a")), chromedp.WaitVisible(chromedp.CSS("#indicators")))
	if l := location(); !strings.Contains(l, "/units/jx.nanhu.st") {
		t.Errorf("unit page at %s", l)
	}
	if got := text("#standing"); !strings.Contains(got, "第 1 名") {
		t.Errorf("the first unit stands %q", got)
	}
	if got := text("#indicators"); !strings.Contains(got, "同级中位数") || !strings.Contains(got, "按期办结率") {
		t.Errorf("indicators %q", got)
	}
	shot("unit.png")
	do("open its report", chromedp.Click(chromedp.CSS("#report-html")), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := text("h1"); !strings.HasPrefix(got, "述职评议报告") {
		t.Errorf("report heading %q", got)
	}
	if got := text("body"); !strings.Contains(got, "同级前十名") || !strings.Contains(got, "第 1 名 / 共") {
		t.Errorf("report body %q", got)
	}
	shot("report.png")
	// The report prints to a PDF on A4 (its own @page size), a page or two.
	pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: ptrTo(true), PrintBackground: ptrTo(true)})
	if err != nil {
		t.Fatalf("print the report: %v", err)
	}
	pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf.Data, -1))
	a4 := regexp.MustCompile(`/MediaBox\s*\[0 0 59[45]\.\d+ 84[12]\.\d+\]`).Match(pdf.Data)
	if !bytes.HasPrefix(pdf.Data, []byte("%PDF-")) || pages < 1 || pages > 3 || !a4 {
		t.Errorf("the printed report: %d bytes, %d pages, A4 %v", len(pdf.Data), pages, a4)
	}
	if err := os.WriteFile(filepath.Join(shots, "report.pdf"), pdf.Data, 0o644); err != nil {
		t.Fatal(err)
	}

	// Download the XLSX from the rankings and read its cells.
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	do("download the workbook", chromedp.Navigate(api+"/?period=2026Q3"), chromedp.WaitVisible(chromedp.CSS("#download-xlsx")),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptrTo(true)})
			return err
		}),
		chromedp.Click(chromedp.CSS("#download-xlsx")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatal(err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download canceled")
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows("街道乡镇")
	if err != nil || len(rows) < 13 || strings.Join(rows[0][:5], ",") != "排名,编号,名称,得分,等级" || rows[1][0] != "1" || !strings.HasPrefix(rows[1][1], "jx.nanhu.st") {
		t.Errorf("downloaded workbook: %v %q", err, rows)
	}
	if info, _ := book.GetRows("说明"); len(info) < 4 || info[3][1] != "最终" {
		t.Errorf("downloaded workbook's info sheet %q", info)
	}

	// A viewer of one street sees its subtree only.
	do("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#token")))
	do("sign in as the viewer", chromedp.SendKeys(chromedp.CSS("#token"), viewerToken), chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#ranking")))
	do("the viewer's rankings", chromedp.Navigate(api+"/?period=2026Q3&level=community"), chromedp.WaitVisible(chromedp.CSS("#ranking")))
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#ranking a')].map(a => a.getAttribute('href'))`))
	if err != nil || len(links) == 0 {
		t.Fatalf("viewer links %v %v", links, err)
	}
	for _, l := range links {
		if !strings.HasPrefix(l, "/units/jx.nanhu.st03.") {
			t.Errorf("the viewer of st03 is shown %s", l)
		}
	}
	shot("viewer-rankings.png")
	do("another street", chromedp.Navigate(api+"/units/jx.nanhu.st01?period=2026Q3"), chromedp.WaitVisible(chromedp.CSS("#error-title")))
	if got := text("#error-title"); !strings.HasPrefix(got, "403") {
		t.Errorf("the viewer opening st01 gets %q", got)
	}
	shot("viewer-forbidden.png")
	do("its own street", chromedp.Navigate(api+"/units/jx.nanhu.st03?period=2026Q3"), chromedp.WaitVisible(chromedp.CSS("#indicators")))
	if got := text("#top10"); strings.Count(got, "\n") < 9 {
		t.Errorf("the viewer's unit page shows the whole top ten: %q", got)
	}
	// The viewer's download is narrowed the same way.
	req, _ := http.NewRequest("GET", api+"/v1/rankings?period=2026Q3&level=community&format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	for _, line := range strings.Split(strings.TrimSpace(body.String()), "\n")[1:] {
		if !strings.Contains(line, "jx.nanhu.st03.") {
			t.Errorf("viewer csv row %q", line)
		}
	}
	t.Logf("screenshots in %s", shots)
}

func ptrTo[T any](v T) *T { return &v }
