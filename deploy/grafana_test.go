package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.yaml.in/yaml/v3"

	"kaoping/pkg/event"
	"kaoping/pkg/scoring"
)

// A board as far as the tests read it.
type board struct {
	file       string
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Timezone   string `json:"timezone"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Type       string     `json:"type"`
	Name       string     `json:"name"`
	Query      any        `json:"query"`
	Datasource datasource `json:"datasource"`
	Multi      bool       `json:"multi"`
	IncludeAll bool       `json:"includeAll"`
	Current    struct {
		Value any `json:"value"`
	} `json:"current"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID              int        `json:"id"`
	Type            string     `json:"type"`
	Title           string     `json:"title"`
	Datasource      datasource `json:"datasource"`
	Targets         []target   `json:"targets"`
	Transformations []struct {
		ID      string `json:"id"`
		Options struct {
			IndexByName map[string]int `json:"indexByName"`
		} `json:"options"`
	} `json:"transformations"`
	FieldConfig struct {
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
}

type target struct {
	RefID      string     `json:"refId"`
	Datasource datasource `json:"datasource"`
	Format     *int       `json:"format"`
	QueryType  string     `json:"queryType"`
	EditorType string     `json:"editorType"`
	RawSQL     string     `json:"rawSql"`
	Expr       string     `json:"expr"`
}

const (
	clickHouseType = "grafana-clickhouse-datasource"
	prometheusType = "prometheus"
	// The plugin's formats (sqlutil): 0 time series, 1 table.
	formatTimeSeries = 0
	formatTable      = 1
)

// columns are the columns a ClickHouse panel uses: those its organize
// transformation orders and renames, in that order.
func (p panel) columns() []string {
	for _, tr := range p.Transformations {
		if tr.ID == "organize" {
			cols := make([]string, len(tr.Options.IndexByName))
			for c, i := range tr.Options.IndexByName {
				if i >= 0 && i < len(cols) {
					cols[i] = c
				}
			}
			return cols
		}
	}
	return nil
}

func loadBoards(t *testing.T) []board {
	t.Helper()
	files, err := filepath.Glob("grafana/dashboards/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no boards in grafana/dashboards: %v", err)
	}
	var boards []board
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		var bd board
		if err := dec.Decode(&bd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		bd.file = filepath.Base(f)
		boards = append(boards, bd)
	}
	return boards
}

// provisionedDatasources reads the uids and types of the provisioned data sources.
func provisionedDatasources(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("grafana/provisioning/datasources/kaoping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, UID, Type string
			JSONData        map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Datasources {
		out[d.UID] = d.Type
		if d.Type == clickHouseType && (d.JSONData["protocol"] != "native" || d.JSONData["defaultDatabase"] == nil) {
			t.Errorf("data source %s: the boards need the native protocol and a default database (their SQL names tables alone): %v", d.UID, d.JSONData)
		}
	}
	return out
}

// TestBoardsAreWellFormed: unique uids and panel ids, every data source one
// that is provisioned, every ClickHouse query raw SQL in a format the
// plugin knows with the columns it uses named, every board in Asia/Shanghai
// (the model's time zone: a quarter in the time picker is the period).
func TestBoardsAreWellFormed(t *testing.T) {
	ds := provisionedDatasources(t)
	uids := map[string]string{}
	kinds := map[string]int{}
	for _, bd := range loadBoards(t) {
		if prev, ok := uids[bd.UID]; ok || bd.UID == "" {
			t.Errorf("%s: uid %q (also %s)", bd.file, bd.UID, prev)
		}
		uids[bd.UID] = bd.file
		if bd.Timezone != "Asia/Shanghai" || bd.Title == "" {
			t.Errorf("%s: timezone %q title %q", bd.file, bd.Timezone, bd.Title)
		}
		ids := map[int]bool{}
		for _, p := range bd.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", bd.file, p.ID)
			}
			ids[p.ID] = true
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", bd.file, p.Title)
			}
			for _, tg := range p.Targets {
				typ, ok := ds[tg.Datasource.UID]
				if !ok || typ != tg.Datasource.Type || tg.Datasource != p.Datasource {
					t.Errorf("%s: panel %q: data source %+v is not provisioned (or differs from the panel's %+v)", bd.file, p.Title, tg.Datasource, p.Datasource)
				}
				kinds[typ]++
				switch typ {
				case clickHouseType:
					wantType := map[int]string{formatTimeSeries: "timeseries", formatTable: "table"}
					if tg.Format == nil || wantType[*tg.Format] == "" || tg.QueryType != wantType[*tg.Format] || tg.EditorType != "sql" || tg.RawSQL == "" {
						t.Errorf("%s: panel %q: format %v queryType %q editorType %q", bd.file, p.Title, tg.Format, tg.QueryType, tg.EditorType)
					}
					if (p.Type == "timeseries") != (*tg.Format == formatTimeSeries) {
						t.Errorf("%s: panel %q of type %s has query format %d", bd.file, p.Title, p.Type, *tg.Format)
					}
					if len(p.columns()) == 0 || slices.Contains(p.columns(), "") {
						t.Errorf("%s: panel %q: no organize transformation naming its columns in order", bd.file, p.Title)
					}
					for _, o := range p.FieldConfig.Overrides {
						if o.Matcher.ID == "byName" && !slices.Contains(p.columns(), o.Matcher.Options) {
							t.Errorf("%s: panel %q overrides column %q it does not have", bd.file, p.Title, o.Matcher.Options)
						}
					}
				case prometheusType:
					if tg.Expr == "" {
						t.Errorf("%s: panel %q: empty PromQL", bd.file, p.Title)
					}
				}
			}
		}
	}
	if kinds[clickHouseType] == 0 || kinds[prometheusType] == 0 {
		t.Errorf("queries by data source type: %v; the boards read both ClickHouse and Prometheus", kinds)
	}
	for _, want := range []string{"kaoping-ranking", "kaoping-unit", "kaoping-complaints", "kaoping-issues", "kaoping-pipeline"} {
		if uids[want] == "" {
			t.Errorf("board %s is missing", want)
		}
	}
}

// quarter is 2026Q3 in the time picker of a board in Asia/Shanghai.
var quarter = timeRange{
	From:     time.Date(2026, 7, 1, 0, 0, 0, 0, shanghai()),
	To:       time.Date(2026, 9, 30, 23, 59, 59, 999e6, shanghai()),
	Interval: time.Hour,
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}

// choices are the variable values the test picks where the first option
// would do less: a street for the drill-down, so that its subtree is a
// proper part of the tree.
var choices = map[string]map[string][]string{
	"kaoping-unit": {"unit": {demoDistrict + ".st03"}},
}

// result is what a panel's query returned.
type result struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

func (r result) col(name string) int { return slices.Index(r.Columns, name) }

func query(t *testing.T, conn driver.Conn, sql string) (result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return result{}, err
	}
	defer rows.Close()
	var res result
	res.Columns = rows.Columns()
	for _, ct := range rows.ColumnTypes() {
		res.Types = append(res.Types, ct.DatabaseTypeName())
	}
	for rows.Next() {
		dest := make([]any, len(res.Columns))
		for i, ct := range rows.ColumnTypes() {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return res, err
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = reflect.ValueOf(d).Elem().Interface()
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

// resolveVariables gives every variable of the board its value as Grafana
// would on load: a custom or text variable its current value, a query
// variable the first option its query returns, or all of them when it is
// multi-value with "All" selected.
func resolveVariables(t *testing.T, conn driver.Conn, bd board, r timeRange) map[string][]string {
	t.Helper()
	values := map[string][]string{}
	for _, v := range bd.Templating.List {
		switch v.Type {
		case "custom", "textbox":
			cur := fmt.Sprint(v.Current.Value)
			values[v.Name] = []string{cur}
		case "query":
			if v.Datasource.Type != clickHouseType {
				t.Fatalf("%s: variable %s reads %s", bd.file, v.Name, v.Datasource.Type)
			}
			sql, err := expandVariables(fmt.Sprint(v.Query), values)
			if err == nil {
				sql, err = expandMacros(sql, r)
			}
			if err != nil {
				t.Fatalf("%s: variable %s: %v", bd.file, v.Name, err)
			}
			res, err := query(t, conn, sql)
			if err != nil {
				t.Fatalf("%s: variable %s: %v\n%s", bd.file, v.Name, err, sql)
			}
			if len(res.Rows) == 0 || len(res.Columns) > 2 {
				t.Fatalf("%s: variable %s: %d options in %d columns (one column of values, or value and text)", bd.file, v.Name, len(res.Rows), len(res.Columns))
			}
			var options []string
			for _, row := range res.Rows {
				options = append(options, fmt.Sprint(row[0]))
			}
			switch all := fmt.Sprint(v.Current.Value); {
			case choices[bd.UID][v.Name] != nil:
				for _, c := range choices[bd.UID][v.Name] {
					if !slices.Contains(options, c) {
						t.Fatalf("%s: variable %s has no option %s", bd.file, v.Name, c)
					}
				}
				values[v.Name] = choices[bd.UID][v.Name]
			case v.Multi && v.IncludeAll && strings.Contains(all, "$__all"):
				values[v.Name] = options
			default:
				values[v.Name] = options[:1]
			}
		default:
			t.Fatalf("%s: variable %s of type %s", bd.file, v.Name, v.Type)
		}
	}
	return values
}

// runBoards runs every ClickHouse panel of every board over 2026Q3, as
// Grafana would send it, and returns the results by "board uid/panel title".
// It fails for a query ClickHouse refuses, columns other than those the panel
// uses, a time series whose first column is not a time in ascending order,
// and a panel that shows nothing on the demo quarter.
func runBoards(t *testing.T, conn driver.Conn) map[string]result {
	t.Helper()
	out := map[string]result{}
	for _, bd := range loadBoards(t) {
		values := resolveVariables(t, conn, bd, quarter)
		for k, v := range values {
			out[bd.UID+"/$"+k] = result{Columns: []string{k}, Rows: [][]any{{strings.Join(v, ",")}}}
		}
		for _, p := range bd.Panels {
			for _, tg := range p.Targets {
				if tg.Datasource.Type != clickHouseType {
					continue
				}
				name := bd.UID + "/" + p.Title
				sql, err := expandVariables(tg.RawSQL, values)
				if err == nil {
					sql, err = expandMacros(sql, quarter)
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				res, err := query(t, conn, sql)
				if err != nil {
					t.Errorf("%s: %v\n%s", name, err, sql)
					continue
				}
				// The organize transformation orders the columns, so only
				// the set matters: none missing, none the panel drops.
				if have, want := sorted(res.Columns), sorted(p.columns()); !slices.Equal(have, want) {
					t.Errorf("%s: columns %v, the panel uses %v", name, have, want)
				}
				if len(res.Rows) == 0 {
					t.Errorf("%s: no row on the demo quarter", name)
				}
				if *tg.Format == formatTimeSeries {
					if len(res.Types) == 0 || !strings.HasPrefix(res.Types[0], "DateTime") {
						t.Errorf("%s: a time series starts with a time column, not %v", name, res.Types)
					} else if !sort.SliceIsSorted(res.Rows, func(i, j int) bool {
						return res.Rows[i][0].(time.Time).Before(res.Rows[j][0].(time.Time))
					}) {
						t.Errorf("%s: times not in ascending order (the plugin refuses to turn such a long series into a wide one)", name)
					}
				}
				out[name] = res
			}
		}
	}
	return out
}

// TestBoardsOnTheDemoQuarter runs every ClickHouse panel against the
// simulator's quarter and holds the numbers to the scorer's: the complaint
// and problem-list totals to the district's indicators, the ranking to
// scoring.Model.Rank, the drill-down's subtree to the run's tree and its
// scores to the results. Then it stores later copies of some events with
// other bodies, as a source that sends an id twice does: the first copy
// wins, so no panel changes.
func TestBoardsOnTheDemoQuarter(t *testing.T) {
	d := loadDemo(t)
	ch := clickhouseConn(t, d)
	got := runBoards(t, ch)
	if t.Failed() {
		return
	}
	district := d.unit(t, demoDistrict)

	t.Run("complaint totals are the district's indicators", func(t *testing.T) {
		r := got["kaoping-complaints/Totals of the range"]
		for _, ind := range []string{"response", "resolution", "satisfaction"} {
			f := district.Detail.Indicators[ind+"_rate"]
			num, den := cell(r, 0, ind+"_num"), cell(r, 0, ind+"_den")
			if num != f.Num || den != f.Den {
				t.Errorf("%s: board %s/%s, scorer %s/%s", ind, num, den, f.Num, f.Den)
			}
		}
	})
	t.Run("problem lists add up to the district's closure rate", func(t *testing.T) {
		r := got["kaoping-issues/By list"]
		var num, den uint64
		for i := range r.Rows {
			num += r.Rows[i][r.col("closure_num")].(uint64)
			den += r.Rows[i][r.col("closure_den")].(uint64)
		}
		f := district.Detail.Indicators["closure_rate"]
		if fmt.Sprint(num) != f.Num || fmt.Sprint(den) != f.Den {
			t.Errorf("closure: board %d/%d, scorer %s/%s", num, den, f.Num, f.Den)
		}
		if len(r.Rows) != 8 {
			t.Errorf("%d lists, the simulator fills all 8", len(r.Rows))
		}
	})
	t.Run("ranking is the api's", func(t *testing.T) {
		m, err := scoring.LoadModel(scoring.DefaultVersion)
		if err != nil {
			t.Fatal(err)
		}
		var entries []scoring.Entry
		for _, u := range d.eval.Units {
			if u.Level == "street" {
				entries = append(entries, scoring.Entry{ID: u.ID, Scored: u.Scored, ScoreCenti: u.ScoreCenti})
			}
		}
		var want, have []string
		for _, x := range m.Rank(entries) {
			want = append(want, fmt.Sprintf("%d %s %s %s", x.Rank, x.ID, scoring.FormatCenti(x.ScoreCenti), x.Grade))
		}
		r := got["kaoping-ranking/Ranking of ${level} ${subject}s, ${period}"]
		for i := range r.Rows {
			rank, score, grade := deref(r.Rows[i][r.col("rank")]), deref(r.Rows[i][r.col("score")]), deref(r.Rows[i][r.col("grade")])
			have = append(have, fmt.Sprintf("%v %v %s %v", rank, r.Rows[i][r.col("subject_id")], strconv.FormatFloat(score.(float64), 'f', -1, 64), grade))
		}
		if !slices.Equal(have, want) || len(want) < 12 {
			t.Errorf("ranking of the streets:\nboard  %q\nscorer %q", have, want)
		}
	})
	t.Run("drill-down subtree is the run's tree", func(t *testing.T) {
		unit := choices["kaoping-unit"]["unit"][0]
		var want []string
		for _, u := range d.eval.Units {
			if slices.Contains(u.Path, unit) {
				want = append(want, u.ID)
			}
		}
		have := strings.Split(cell(got["kaoping-unit/$subtree"], 0, "subtree"), ",")
		slices.Sort(want)
		slices.Sort(have)
		if !slices.Equal(have, want) || len(want) < 3 {
			t.Errorf("subtree of %s: board %v, scorer %v", unit, have, want)
		}
		r := got["kaoping-unit/Scores of ${unit} by period"]
		u := d.unit(t, unit)
		if len(r.Rows) != 1 || fmt.Sprintf("%.2f", deref(r.Rows[0][r.col("score")])) != scoring.FormatCenti(u.ScoreCenti) ||
			cell(r, 0, "period_label") != demoPeriod {
			t.Errorf("scores of %s: %v, scorer %s", unit, r.Rows, scoring.FormatCenti(u.ScoreCenti))
		}
	})
	t.Run("later copies change nothing", func(t *testing.T) {
		d.storeLaterCopies(t)
		again := runBoards(t, ch)
		for name, before := range got {
			if !reflect.DeepEqual(before.Rows, again[name].Rows) {
				t.Errorf("%s changed after later copies of events were stored:\nbefore %v\nafter  %v", name, head(before.Rows), head(again[name].Rows))
			}
		}
	})
}

func clickhouseConn(t *testing.T, d *demo) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{d.addr}, Auth: clickhouse.Auth{Database: d.database, Username: "default"},
		Settings: clickhouse.Settings{"max_execution_time": 60}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func (d *demo) unit(t *testing.T, id string) scoring.Result {
	t.Helper()
	for _, u := range d.eval.Units {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("no result of unit %s", id)
	return scoring.Result{}
}

// storeLaterCopies stores, after everything, a second copy of every tenth
// event whose body differs where it matters to the boards: another unit,
// list, category and severity, deadlines moved, outcomes turned around.
func (d *demo) storeLaterCopies(t *testing.T) {
	t.Helper()
	var copies []event.Record
	seq := uint64(len(d.records))
	for i, r := range d.records {
		if i%10 != 3 {
			continue
		}
		seq++
		c := r
		c.StreamSeq, c.MsgPos = seq, 0
		c.Unit, c.Parent, c.Name = "jx.nanhu.st01", "jx.nanhu.st01", "改名"
		c.List, c.Category, c.Severity = "audit", "other", "major"
		c.ResponseDueNs, c.ResolveDueNs, c.DueNs = 0, 0, 0
		c.Resolved, c.Rating = !c.Resolved, 6-c.Rating
		c.TimeNs, c.PeriodNs = c.TimeNs+int64(48*time.Hour), c.PeriodNs+int64(200*24*time.Hour)
		switch c.Type { // a later copy may even claim another type
		case event.TypeComplaintResponded:
			c.Type = event.TypeComplaintExcluded
		case event.TypeIssueClosed:
			c.Type = event.TypeIssueReopened
		case event.TypeErrorRecorded:
			c.Type = event.TypeErrorTolerated
		}
		copies = append(copies, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.store.InsertEvents(ctx, copies); err != nil {
		t.Fatal(err)
	}
}

func cell(r result, row int, col string) string {
	if row >= len(r.Rows) || r.col(col) < 0 {
		return fmt.Sprintf("<no %s in row %d>", col, row)
	}
	return fmt.Sprint(deref(r.Rows[row][r.col(col)]))
}

// deref reads a Nullable cell.
func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		return rv.Elem().Interface()
	}
	return v
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func head(rows [][]any) [][]any {
	if len(rows) > 3 {
		return rows[:3]
	}
	return rows
}
