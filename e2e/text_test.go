package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"kaoping/pkg/event"
	"kaoping/pkg/testkit"
)

// hostileNames are names and free text that break whatever builds SQL, HTML,
// CSV or JSON by hand: quotes, SQL fragments, control characters (JSON carries
// them escaped), placeholders, formulas, emoji and Chinese.
var hostileNames = []string{
	`南湖区'; DROP TABLE events; --`,
	`=HYPERLINK("http://evil.example","点我")`,
	`-3 "引号" \back\slash \u0041`,
	"@SUM(A1) 😀👨‍👩‍👧 表情",
	"tab\there\nnewline\rcr\x01\x1f\x7f end",
	`</script><script>alert(1)</script>`,
	`? $1 %s %d {{.}} ${x} :name @p1`,
	"+1 \u2028\u2029 \ufeffBOM 零宽\u200b",
}

// hostileIDs are ids the pattern admits (ASCII \x21-\x7E, no space):
// quotes, SQL fragments without spaces, formulas, placeholders, slashes.
var hostileIDs = []string{`jx'nanhu";--`, `st'01";--`, `=st02`, `-st03`, `@st04`, `st05?$1%s{{.}}`, `st06\`, `+st07/..`}

// TestHostileTextThroughTheWholePath sends units, cadres and cases whose ids
// and names are full of quotes, SQL fragments, control characters, emoji and
// Chinese through ingest, the aggregator, ClickHouse, the scorer and the api,
// each service logged in as its own ClickHouse user of
// deploy/clickhouse/users.d/kaoping.xml, and reads every id and name back
// byte for byte from the JSON rankings and explanations; the CSV download
// prefixes with ' the cells a spreadsheet would run. Grafana's user reads the
// same bytes and may not write.
func TestHostileTextThroughTheWholePath(t *testing.T) {
	users := map[string]string{"WRITER": "kaoping_writer", "SCORER": "kaoping_scorer", "API": "kaoping_api", "GRAFANA": "grafana"}
	for key, user := range users {
		sum := sha256.Sum256([]byte("pw-" + user))
		t.Setenv("KAOPING_CLICKHOUSE_SHA256_"+key, hex.EncodeToString(sum[:]))
	}
	ch := testkit.StartClickHouse(t)
	ch.AddUsers(t, "../deploy/clickhouse/users.d/kaoping.xml")
	s := newStack(t, ch, testkit.StartNATS(t).URL, "KAOPING_CLICKHOUSE_DATABASE=kaoping")
	as := func(user string) []string {
		return []string{"KAOPING_CLICKHOUSE_USER=" + user, "KAOPING_CLICKHOUSE_PASSWORD=pw-" + user}
	}
	// The writer creates the database and migrates; the others then start.
	s.startService("aggregator", as("kaoping_writer")...)
	s.startService("ingest")
	s.startService("scorer", as("kaoping_scorer")...)
	s.startService("api", as("kaoping_api")...)

	const T0 = "2026-01-01T00:00:00+08:00"
	names := map[string]string{} // id → name, of every unit and cadre
	root := hostileIDs[0]
	names[root] = hostileNames[0]
	events := []map[string]any{ce("u-root", event.TypeUnitUpserted, T0, map[string]any{"unit": root, "name": names[root], "level": "district"})}
	streets := hostileIDs[1:]
	for i, st := range streets {
		names[st] = hostileNames[1+i%(len(hostileNames)-1)]
		events = append(events, ce("u-"+st, event.TypeUnitUpserted, T0, map[string]any{"unit": st, "name": names[st], "level": "street", "parent": root}))
	}
	cadres := map[string]string{`k'1";--`: `张三'; DELETE FROM results; --`, `=k2`: "\t=李四\n", `@k3`: `王五 "😀"`}
	cadreIDs := []string{`k'1";--`, `=k2`, `@k3`}
	for i, k := range cadreIDs {
		names[k] = cadres[k]
		events = append(events, ce("k-"+k, event.TypeCadreUpserted, T0, map[string]any{"cadre": k, "name": cadres[k], "unit": streets[i], "position": `主任'"`}))
	}
	// Cases with hostile ids, free text and late answers: their ids come
	// back in the explanations as the cases behind misses.
	at := time.Date(2026, 8, 3, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var cases []string
	for k, c := range cadreIDs {
		cid := fmt.Sprintf(`HX'%d";--`, k)
		cases = append(cases, cid)
		events = append(events,
			ce("a-"+cid, event.TypeComplaintAssigned, at.Format(time.RFC3339), map[string]any{"complaint_id": cid, "unit": streets[k], "cadre": c,
				"category": "noise", "response_due": at.Add(time.Hour).Format(time.RFC3339), "resolve_due": at.Add(48 * time.Hour).Format(time.RFC3339)}),
			ce("r-"+cid, event.TypeComplaintResponded, at.Add(2*time.Hour).Format(time.RFC3339), map[string]any{"complaint_id": cid}), // late
			ce("o-"+cid, event.TypeComplaintReopened, at.Add(3*time.Hour).Format(time.RFC3339), map[string]any{"complaint_id": cid, "reason": hostileNames[4]}))
	}
	events = append(events,
		ce("e-1", event.TypeErrorRecorded, at.Format(time.RFC3339), map[string]any{"error_id": `E'1";--`, "unit": streets[0], "severity": "minor", "summary": hostileNames[6]}),
		ce("e-2", event.TypeErrorRecorded, at.Format(time.RFC3339), map[string]any{"error_id": `=E2`, "unit": streets[0], "severity": "moderate", "summary": hostileNames[3]}),
		ce("t-2", event.TypeErrorTolerated, at.Add(time.Hour).Format(time.RFC3339), map[string]any{"error_id": `=E2`, "decision_id": `D"1';--`, "basis": hostileNames[0]}),
		ce("l-1", event.TypeIssueListed, "2026-07-01T09:00:00+08:00", map[string]any{"issue_id": `I'1";--`, "list": "audit", "severity": "major", "unit": streets[1], "due": "2026-08-01T00:00:00+08:00"}),
	)
	for j, st := range streets {
		events = append(events, ce(fmt.Sprintf("rv-%d", j), event.TypeReviewRated, "2026-09-20T09:00:00+08:00", map[string]any{
			"review_id": fmt.Sprintf(`R'%d";--`, j), "subject_kind": "unit", "subject": st, "period": "2026Q3", "rater_group": "peers", "score": 60 + 5*j}))
	}
	if r := s.send(events...); r.Accepted != len(events) || len(r.Rejected) != 0 {
		t.Fatalf("ingest: %+v", r)
	}
	s.runPeriod("2026Q3")

	// Rankings, JSON: every id and name byte for byte.
	api := "http://" + s.api
	for _, q := range []string{"level=street", "level=street&subject=cadre", "level=district", "level=street&parent=" + url.QueryEscape(root)} {
		code, b := s.call("GET", api+"/v1/rankings?period=2026Q3&"+q, "", nil)
		var body rankingBody
		mustJSON(t, b, &body)
		if code != http.StatusOK || len(body.Rows) == 0 {
			t.Fatalf("rankings %s: %d %s", q, code, b)
		}
		for _, row := range body.Rows {
			if want, ok := names[row.ID]; !ok || row.Name != want {
				t.Errorf("rankings %s: row %q named %q, want %q", q, row.ID, row.Name, want)
			}
		}
		if strings.Contains(q, "cadre") && len(body.Rows) != len(cadres) || strings.HasSuffix(q, "level=street") && len(body.Rows) != len(streets) {
			t.Errorf("rankings %s: %d rows", q, len(body.Rows))
		}
	}

	// Explanations, by the escaped id in the path: the subject's id and name,
	// and the hostile case ids behind its misses and penalties.
	explain := func(kind, id string) []string {
		t.Helper()
		code, b := s.call("GET", api+"/v1/"+kind+"/"+url.PathEscape(id)+"/scores?period=2026Q3", "", nil)
		if code != http.StatusOK {
			t.Fatalf("explanation of %s %q: %d %s", kind, id, code, b)
		}
		var v any
		mustJSON(t, b, &v)
		return stringsIn(v)
	}
	for _, st := range streets {
		got := explain("units", st)
		for _, want := range []string{st, names[st]} {
			if !containsString(got, want) {
				t.Errorf("explanation of unit %q lacks %q: %q", st, want, got)
			}
		}
	}
	if got := explain("units", streets[0]); !containsString(got, `E'1";--`) || !containsString(got, `D"1';--`) || !containsString(got, `=E2`) {
		t.Errorf("explanation of %q lacks its errors: %q", streets[0], got)
	}
	if got := explain("units", streets[1]); !containsString(got, `I'1";--`) {
		t.Errorf("explanation of %q lacks its overdue issue: %q", streets[1], got)
	}
	for k, c := range cadreIDs {
		got := explain("cadres", c)
		for _, want := range []string{c, names[c], cases[k]} {
			if !containsString(got, want) {
				t.Errorf("explanation of cadre %q lacks %q: %q", c, want, got)
			}
		}
	}

	// The CSV download: the same ids and names, those a spreadsheet would
	// run as formulas prefixed with '.
	code, b := s.call("GET", api+"/v1/rankings?period=2026Q3&level=street&format=csv", "", nil)
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if code != http.StatusOK || err != nil || len(recs) != len(streets)+1 {
		t.Fatalf("csv: %d %v %q", code, err, b)
	}
	var gotIDs []string
	for _, rec := range recs[1:] {
		id := strings.TrimPrefix(rec[1], "'")
		gotIDs = append(gotIDs, id)
		if rec[1] != csvCell(id) || rec[2] != csvCell(names[id]) {
			t.Errorf("csv row id %q name %q, want %q %q", rec[1], rec[2], csvCell(id), csvCell(names[id]))
		}
	}
	sort.Strings(gotIDs)
	wantIDs := append([]string(nil), streets...)
	sort.Strings(wantIDs)
	if strings.Join(gotIDs, " ") != strings.Join(wantIDs, " ") {
		t.Errorf("csv ids %q, want %q", gotIDs, wantIDs)
	}

	// Grafana's user reads the stored bytes, by bound parameters, and may
	// not write.
	g, err := clickhouse.Open(&clickhouse.Options{Addr: []string{ch.Addr}, Auth: clickhouse.Auth{Database: "kaoping", Username: "grafana", Password: "pw-grafana"}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for id, want := range names {
		var got string
		if err := g.QueryRow(ctx, "SELECT any(name) FROM events WHERE type IN ('kaoping.org.unit.upserted', 'kaoping.org.cadre.upserted') AND case_id = ?", id).Scan(&got); err != nil || got != want {
			t.Errorf("grafana reads %q as %q (%v), want %q", id, got, err, want)
		}
	}
	for _, stmt := range []string{"INSERT INTO events (source, id) VALUES ('x', 'y')", "DROP TABLE events", "CREATE TABLE t (x Int8) ENGINE = Memory"} {
		if err := g.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "readonly") {
			t.Errorf("grafana ran %s: %v", stmt, err)
		}
	}
	// Each service writes its audit log as its own user: the reads above
	// (a hostile id in a path comes back byte for byte), a dead-letter read,
	// and requests refused for their token.
	if code, b := s.call("GET", "http://"+s.aggregator+"/v1/deadletters", "", nil); code != 200 {
		t.Errorf("dead letters = %d %s", code, b)
	}
	for _, u := range []string{api + "/v1/rankings?period=2026Q3&level=street", "http://" + s.scorer + "/v1/runs", "http://" + s.aggregator + "/v1/deadletters"} {
		if code, b := s.call("GET", u, "", nil, "Authorization", "Bearer not-a-token"); code != 401 {
			t.Errorf("%s with an unknown token = %d %s", u, code, b)
		}
	}
	hostilePath := "/v1/units/" + streets[0] + "/scores"
	testkit.Eventually(t, 20*time.Second, func() error {
		for _, service := range []string{"api", "scorer", "aggregator"} {
			var read, refused uint64
			if err := g.QueryRow(ctx, "SELECT countIf(principal = 'dev' AND role = 'admin' AND status < 300), countIf(principal = '' AND status = 401) FROM audit_log WHERE service = ?", service).Scan(&read, &refused); err != nil {
				return err
			}
			if read == 0 || refused != 1 {
				return fmt.Errorf("audit log of %s: %d answered, %d refused, want some and 1", service, read, refused)
			}
		}
		var n uint64
		if err := g.QueryRow(ctx, "SELECT count() FROM audit_log WHERE service = 'api' AND path = ?", hostilePath).Scan(&n); err != nil || n == 0 {
			return fmt.Errorf("no audit entry of %q (%v)", hostilePath, err)
		}
		return nil
	})
	// The services' users may use kaoping alone.
	other, err := clickhouse.Open(&clickhouse.Options{Addr: []string{ch.Addr}, Auth: clickhouse.Auth{Database: "default", Username: "kaoping_api", Password: "pw-kaoping_api"}})
	if err == nil {
		if err = other.Ping(ctx); err == nil {
			t.Error("kaoping_api may use the database default")
		}
		other.Close()
	}
}

// csvCell is what the CSV download makes of a cell (SPEC §4).
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// stringsIn lists every string in a decoded JSON value, keys included.
func stringsIn(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				out = append(out, k)
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
