package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"kaoping/services/simulator/internal/district"
)

// runDemo is the main job of `make demo` once the stack is up: publish the
// district, score the period, print the street ranking and write the downloads.
// An endpoint that answers 404 or 501 is not built yet: the demo says so and
// goes on. Any other failure of a download is reported at the end.
func runDemo(ctx context.Context, cfg config, d *district.District, stdout io.Writer) error {
	if _, err := publishDistrict(ctx, cfg, d, stdout); err != nil {
		return err
	}
	c := &demoClient{
		http:   &http.Client{Timeout: 2 * time.Minute},
		scorer: strings.TrimRight(cfg.ScorerURL, "/"),
		api:    strings.TrimRight(cfg.APIURL, "/"),
		token:  cfg.Token,
		out:    stdout,
	}
	label := d.Period.Label

	fmt.Fprintln(stdout)
	// query pins every read to the run the demo asked for, once there is one,
	// so a run someone else requests meanwhile cannot take its place.
	runID := ""
	query := func(kv ...string) url.Values {
		q := url.Values{"period": {label}}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		if runID != "" {
			q.Set("run", runID)
		}
		return q
	}
	r, err := c.requestRun(ctx, label)
	switch {
	case errors.Is(err, errNotBuilt):
		c.note("%v; going on without a new run", err)
	case err != nil:
		return err
	default:
		if err := c.waitRun(ctx, label, r, cfg.RunTimeout, cfg.PollInterval); err != nil {
			return err
		}
		runID = string(r.ID)
	}

	fmt.Fprintln(stdout)
	rk, err := c.ranking(ctx, query("level", "street"))
	reportUnit := ""
	switch {
	case errors.Is(err, errNotBuilt):
		c.note("%v; no ranking to print", err)
	case err != nil:
		return err
	default:
		fmt.Fprintf(stdout, "street ranking %s (model %s, run %s, %s)\n", rk.Period, rk.Model, rk.RunID, finality(rk.Final))
		printRanking(stdout, rk.Rows)
		reportUnit = lowestScored(rk.Rows)
	}
	if reportUnit == "" && len(d.Streets) > 0 {
		reportUnit = d.Streets[0].ID
	}

	fmt.Fprintln(stdout)
	downloads := []download{
		{"street ranking (CSV)", "/v1/rankings", query("level", "street", "format", "csv"), "text/csv",
			fmt.Sprintf("rankings-%s.csv", label), false},
		{"cadre ranking, community level (CSV)", "/v1/rankings", query("subject", "cadre", "level", "community", "format", "csv"), "text/csv",
			fmt.Sprintf("rankings-%s-cadres-community.csv", label), false},
		// Extras beyond the CSVs: any failure of these is only a note.
		{"street ranking (Excel)", "/v1/rankings", query("level", "street", "format", "xlsx"), xlsxType,
			fmt.Sprintf("rankings-%s.xlsx", label), true},
		{"review-meeting report of " + reportUnit + " (HTML, prints on A4)", "/v1/reports/review", url.Values{"unit": {reportUnit}, "period": {label}, "format": {"html"}}, "text/html",
			fmt.Sprintf("review-%s-%s.html", reportUnit, label), true},
		{"review-meeting report of " + reportUnit + " (Markdown)", "/v1/reports/review", url.Values{"unit": {reportUnit}, "period": {label}, "format": {"md"}}, "text/markdown",
			fmt.Sprintf("review-%s-%s.md", reportUnit, label), true},
		{"review-meeting report of " + reportUnit + " (Excel)", "/v1/reports/review", url.Values{"unit": {reportUnit}, "period": {label}, "format": {"xlsx"}}, xlsxType,
			fmt.Sprintf("review-%s-%s.xlsx", reportUnit, label), true},
	}
	var failed []string
	for _, dl := range downloads {
		path, err := c.download(ctx, dl, cfg.Out)
		switch {
		case errors.Is(err, errNotBuilt) || (err != nil && dl.optional):
			c.note("%s: %v", dl.what, err)
		case err != nil:
			fmt.Fprintf(stdout, "failed: %s: %v\n", dl.what, err)
			failed = append(failed, dl.what)
		default:
			fmt.Fprintf(stdout, "wrote %s (%s)\n", path, dl.what)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("downloads failed: %s", strings.Join(failed, "; "))
	}
	return nil
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// errNotBuilt marks an endpoint that answered 404 or 501: not there yet.
var errNotBuilt = errors.New("not available")

type demoClient struct {
	http   *http.Client
	scorer string
	api    string
	token  string
	out    io.Writer
}

func (c *demoClient) note(format string, args ...any) {
	fmt.Fprintf(c.out, "note: "+format+"\n", args...)
}

// scoringRun is a scoring run as the scorer answers it.
type scoringRun struct {
	ID     flexString      `json:"id"`
	Period string          `json:"period"`
	Model  string          `json:"model"`
	AsOf   string          `json:"as_of"`
	Status string          `json:"status"`
	Counts json.RawMessage `json:"counts"`
	Error  string          `json:"error"`
}

// flexString reads a JSON string or number as a string, so a run id is read
// whichever the scorer sends.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = flexString(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id is neither a string nor a number: %s", b)
	}
	*s = flexString(n.String())
	return nil
}

// requestRun asks the scorer for a run of the period.
func (c *demoClient) requestRun(ctx context.Context, label string) (scoringRun, error) {
	body, _ := json.Marshal(map[string]string{"period": label})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.scorer+"/v1/runs", bytes.NewReader(body))
	if err != nil {
		return scoringRun{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	b, _, err := c.do(req, "application/json")
	// The scorer runs a few runs at once and refuses more with 429: the demo
	// waits as it is told and asks again.
	var busy *errBusy
	for errors.As(err, &busy) {
		c.note("the scorer is busy (%s); asking again in %s", busy.msg, busy.retryAfter)
		select {
		case <-ctx.Done():
			return scoringRun{}, ctx.Err()
		case <-time.After(busy.retryAfter):
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.scorer+"/v1/runs", bytes.NewReader(body))
		if err != nil {
			return scoringRun{}, err
		}
		req.Header.Set("Content-Type", "application/json")
		b, _, err = c.do(req, "application/json")
	}
	if err != nil {
		return scoringRun{}, fmt.Errorf("POST %s/v1/runs: %w", c.scorer, err)
	}
	var r scoringRun
	if err := json.Unmarshal(b, &r); err != nil {
		return scoringRun{}, fmt.Errorf("POST %s/v1/runs: %w", c.scorer, err)
	}
	if r.ID == "" {
		return scoringRun{}, fmt.Errorf("POST %s/v1/runs: the answer has no run id: %s", c.scorer, truncate(b))
	}
	fmt.Fprintf(c.out, "scoring run %s requested: period %s, model %s, as_of %s, status %s\n", r.ID, r.Period, r.Model, r.AsOf, r.Status)
	return r, nil
}

// waitRun polls the period's runs until r is done.
func (c *demoClient) waitRun(ctx context.Context, label string, r scoringRun, timeout, every time.Duration) error {
	start := time.Now()
	deadline := start.Add(timeout)
	last := r
	for {
		switch last.Status {
		case "done":
			fmt.Fprintf(c.out, "run %s done after %s", last.ID, time.Since(start).Round(100*time.Millisecond))
			if len(last.Counts) > 0 && string(last.Counts) != "null" {
				fmt.Fprintf(c.out, "; counts %s", compactJSON(last.Counts))
			}
			fmt.Fprintln(c.out)
			return nil
		case "failed":
			if last.Error != "" {
				return fmt.Errorf("run %s failed: %s", last.ID, last.Error)
			}
			return fmt.Errorf("run %s failed", last.ID)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("run %s still %q after %s", r.ID, last.Status, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
		x, err := c.getRun(ctx, string(r.ID))
		if errors.Is(err, errNotBuilt) {
			c.note("%v; cannot follow run %s, going on", err, r.ID)
			return nil
		}
		if err != nil {
			return err
		}
		last = x
	}
}

// getRun reads GET /v1/runs/{id}: the run by its id, however many runs its
// period has (the list is paged).
func (c *demoClient) getRun(ctx context.Context, id string) (scoringRun, error) {
	u := c.scorer + "/v1/runs/" + url.PathEscape(id)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return scoringRun{}, err
	}
	b, _, err := c.do(req, "application/json")
	if err != nil {
		return scoringRun{}, fmt.Errorf("GET %s: %w", u, err)
	}
	var run scoringRun
	if err := json.Unmarshal(b, &run); err != nil {
		return scoringRun{}, fmt.Errorf("GET %s: %w", u, err)
	}
	return run, nil
}

// rankingPage is the JSON of GET /v1/rankings.
type rankingPage struct {
	Period string       `json:"period"`
	Model  string       `json:"model"`
	RunID  flexString   `json:"run_id"`
	Final  bool         `json:"final"`
	Rows   []rankingRow `json:"rows"`
}

// rankingRow is one subject of a ranking; rank, score and grade are null for
// an unscored one. The score keeps its decimal text.
type rankingRow struct {
	Rank  *int         `json:"rank"`
	ID    string       `json:"id"`
	Name  string       `json:"name"`
	Score *json.Number `json:"score"`
	Grade *string      `json:"grade"`
}

func (c *demoClient) ranking(ctx context.Context, q url.Values) (rankingPage, error) {
	u := c.api + "/v1/rankings?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return rankingPage{}, err
	}
	b, _, err := c.do(req, "application/json")
	if err != nil {
		return rankingPage{}, fmt.Errorf("GET %s: %w", u, err)
	}
	var page rankingPage
	if err := json.Unmarshal(b, &page); err != nil {
		return rankingPage{}, fmt.Errorf("GET %s: %w", u, err)
	}
	return page, nil
}

// download is one file the demo fetches from the api.
type download struct {
	what   string
	path   string
	query  url.Values
	accept string
	file   string
	// optional downloads only note a failure; the others fail the demo
	// unless the endpoint is not built yet (404, 501).
	optional bool
}

// download fetches dl and writes it under dir as soon as it arrived whole
// (through a temporary file, so a file never exists half written).
func (c *demoClient) download(ctx context.Context, dl download, dir string) (string, error) {
	u := c.api + dl.path + "?" + dl.query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	b, ctype, err := c.do(req, dl.accept)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", u, err)
	}
	if mt, _, _ := mime.ParseMediaType(ctype); mt == "application/json" && dl.accept != "application/json" {
		return "", fmt.Errorf("GET %s answered JSON instead of %s: %w", u, dl.accept, errNotBuilt)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, dl.file)
	tmp, err := os.CreateTemp(dir, "."+dl.file+".*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// do sends req with the token and returns the body of a 2xx answer and its
// content type; 404 and 501 are errNotBuilt, other statuses an error that
// quotes the answer.
func (c *demoClient) do(req *http.Request, accept string) ([]byte, string, error) {
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", accept)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait < 1 {
			wait = 1
		}
		return nil, "", &errBusy{msg: truncate(b), retryAfter: time.Duration(min(wait, 60)) * time.Second}
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNotImplemented:
		return nil, "", fmt.Errorf("%w (%s: %s)", errNotBuilt, resp.Status, truncate(b))
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, "", fmt.Errorf("%s: %s", resp.Status, truncate(b))
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// errBusy is a 429: come back after retryAfter.
type errBusy struct {
	msg        string
	retryAfter time.Duration
}

func (e *errBusy) Error() string { return "429 Too Many Requests: " + e.msg }

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

func finality(final bool) string {
	if final {
		return "final"
	}
	return "provisional"
}

// lowestScored is the id of the last scored row: the unit with the most to
// discuss at its review meeting.
func lowestScored(rows []rankingRow) string {
	id := ""
	for _, r := range rows {
		if r.Score != nil {
			id = r.ID
		}
	}
	return id
}
