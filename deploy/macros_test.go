package deploy

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// What Grafana does to a ClickHouse panel's SQL before ClickHouse sees it,
// in two steps: the front end replaces the dashboard's variables ($name,
// ${name}; a multi-value variable becomes 'a','b' as the plugin formats it),
// then the plugin's backend expands its macros ($__timeFilter(col), …) for the
// panel's time range and interval. The expansions are those of
// grafana-clickhouse-datasource (pkg/macros) for the macros listed in
// pluginMacros.
//
// Versions of the plugin parse macro calls differently: up to 4.x the
// arguments are the text up to the matching parenthesis split at every
// comma, and a macro without arguments swallows a parenthesised group that
// follows it before any ")" (so "$__fromTime AND f(x)" loses "AND f(x)");
// later versions parse properly. The expander accepts only SQL that every
// version reads the same way: an argument is a plain name (an alias), and a
// macro without arguments is followed by ")" before any "(". Anything else
// is an error that says so.

// timeRange is a panel's time range and interval as Grafana sends them.
type timeRange struct {
	From, To time.Time
	Interval time.Duration
}

type pluginMacro struct {
	args   int // -1: none and no parentheses
	expand func(r timeRange, args []string) string
}

func dateTimeOf(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
func dateTime64Of(t time.Time) string {
	return fmt.Sprintf("fromUnixTimestamp64Milli(%d)", t.UnixMilli())
}
func dateOf(t time.Time) string { return fmt.Sprintf("toDate('%s')", t.Format("2006-01-02")) }
func seconds(r timeRange) int   { return int(math.Max(r.Interval.Seconds(), 1)) }

var pluginMacros = map[string]pluginMacro{
	"fromTime":    {-1, func(r timeRange, _ []string) string { return dateTimeOf(r.From) }},
	"toTime":      {-1, func(r timeRange, _ []string) string { return dateTimeOf(r.To) }},
	"fromTime_ms": {-1, func(r timeRange, _ []string) string { return dateTime64Of(r.From) }},
	"toTime_ms":   {-1, func(r timeRange, _ []string) string { return dateTime64Of(r.To) }},
	"interval_s":  {-1, func(r timeRange, _ []string) string { return fmt.Sprint(seconds(r)) }},
	"timeFilter": {1, func(r timeRange, a []string) string {
		return fmt.Sprintf("%s >= %s AND %s <= %s", a[0], dateTimeOf(r.From), a[0], dateTimeOf(r.To))
	}},
	"timeFilter_ms": {1, func(r timeRange, a []string) string {
		return fmt.Sprintf("%s >= %s AND %s <= %s", a[0], dateTime64Of(r.From), a[0], dateTime64Of(r.To))
	}},
	"dateFilter": {1, func(r timeRange, a []string) string {
		return fmt.Sprintf("%s >= %s AND %s <= %s", a[0], dateOf(r.From), a[0], dateOf(r.To))
	}},
	"dateTimeFilter": {2, func(r timeRange, a []string) string {
		return fmt.Sprintf("(%s >= %s AND %s <= %s) AND (%s >= %s AND %s <= %s)",
			a[0], dateOf(r.From), a[0], dateOf(r.To), a[1], dateTimeOf(r.From), a[1], dateTimeOf(r.To))
	}},
	"timeFrom": {1, func(r timeRange, a []string) string { return fmt.Sprintf("%s >= %s", a[0], dateTimeOf(r.From)) }},
	"timeTo":   {1, func(r timeRange, a []string) string { return fmt.Sprintf("%s <= %s", a[0], dateTimeOf(r.To)) }},
	// toStartOfInterval does not exist on ClickHouse 18.16: a board that uses
	// $__timeInterval fails there, which the test shows.
	"timeInterval": {1, func(r timeRange, a []string) string {
		return fmt.Sprintf("toStartOfInterval(toDateTime(%s), INTERVAL %d second)", a[0], seconds(r))
	}},
}

func init() { pluginMacros["dt"] = pluginMacros["dateTimeFilter"] }

var (
	macroName = regexp.MustCompile(`^\$__([A-Za-z0-9_]+)`)
	plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
)

// expandMacros expands the plugin's macros in sql, or says why sql is not
// read the same way by every version of the plugin.
func expandMacros(sql string, r timeRange) (string, error) {
	var out strings.Builder
	for i := 0; i < len(sql); {
		m := macroName.FindStringSubmatch(sql[i:])
		if m == nil {
			out.WriteByte(sql[i])
			i++
			continue
		}
		name := m[1]
		mac, ok := pluginMacros[name]
		if !ok {
			return "", fmt.Errorf("$__%s is not a macro of the ClickHouse plugin (it would reach ClickHouse unexpanded)", name)
		}
		rest := sql[i+len(m[0]):]
		if mac.args < 0 {
			if p := strings.IndexAny(rest, "()"); p >= 0 && rest[p] == '(' {
				return "", fmt.Errorf("$__%s is followed by %q before any \")\": plugin 4.x takes that group as its arguments", name, snippet(rest, p))
			}
			out.WriteString(mac.expand(r, nil))
			i += len(m[0])
			continue
		}
		if !strings.HasPrefix(rest, "(") {
			return "", fmt.Errorf("$__%s needs %d argument(s) in parentheses", name, mac.args)
		}
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return "", fmt.Errorf("$__%s: no closing parenthesis", name)
		}
		inner := rest[1:end]
		if strings.Contains(inner, "(") {
			return "", fmt.Errorf("$__%s(%s…): an argument must be a plain name; give the expression an alias", name, inner)
		}
		args := strings.Split(inner, ",")
		for k := range args {
			args[k] = strings.TrimSpace(args[k])
			if !plainName.MatchString(args[k]) {
				return "", fmt.Errorf("$__%s(%s): argument %q is not a plain name; give the expression an alias", name, inner, args[k])
			}
		}
		if len(args) != mac.args {
			return "", fmt.Errorf("$__%s(%s): %d argument(s), want %d", name, inner, len(args), mac.args)
		}
		out.WriteString(mac.expand(r, args))
		i += len(m[0]) + end + 1
	}
	return out.String(), nil
}

func snippet(s string, p int) string {
	end := p + 20
	if end > len(s) {
		end = len(s)
	}
	return s[p:end]
}

// variableRef is Grafana's syntax for a variable: $name, ${name},
// ${name:format}, [[name]].
var variableRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}`)

// expandVariables replaces the dashboard's variables as the front end does
// with the ClickHouse plugin's format: one value as it is, several as
// 'a','b'. Names starting with __ are left to the macros.
func expandVariables(sql string, values map[string][]string) (string, error) {
	var err error
	out := variableRef.ReplaceAllStringFunc(sql, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[4]
		if strings.HasPrefix(name, "__") {
			return ref
		}
		if m[3] != "" || m[5] != "" {
			err = fmt.Errorf("%s: formats are not used by these boards", ref)
			return ref
		}
		v, ok := values[name]
		if !ok {
			err = fmt.Errorf("%s is no variable of the board", ref)
			return ref
		}
		if len(v) == 1 {
			return v[0]
		}
		return "'" + strings.Join(v, "','") + "'"
	})
	return out, err
}

// The expansions of the plugin's documentation, and SQL that versions of it
// read differently.
func TestExpandMacros(t *testing.T) {
	r := timeRange{From: time.Unix(1415792726, 0), To: time.Unix(1447328726, 0), Interval: 20 * time.Second}
	for _, c := range []struct{ in, want, err string }{
		{in: "WHERE $__timeFilter(date_time)", want: "WHERE date_time >= toDateTime(1415792726) AND date_time <= toDateTime(1447328726)"},
		{in: "$__timeFilter_ms(t)", want: "t >= fromUnixTimestamp64Milli(1415792726000) AND t <= fromUnixTimestamp64Milli(1447328726000)"},
		{in: "$__dateFilter(d)", want: "d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')"},
		{in: "$__dt(d, t)", want: "(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))"},
		{in: "toInt64($__fromTime) * 1000000000 AND x <= $__toTime", want: "toInt64(toDateTime(1415792726)) * 1000000000 AND x <= toDateTime(1447328726)"},
		{in: "INTERVAL $__interval_s second", want: "INTERVAL 20 second"},
		{in: "$__timeInterval(t)", want: "toStartOfInterval(toDateTime(t), INTERVAL 20 second)"},
		{in: "$__timeFilter(toDateTime(intDiv(time_ns, 1000000000)))", err: "plain name"},
		{in: "$__timeFilter(a, b)", err: "want 1"},
		{in: "WHERE x >= $__fromTime AND f(y)", err: "4.x takes that group"},
		{in: "$__conditionalAll(x, $v)", err: "not a macro"},
		{in: "$__timeFilter", err: "needs 1 argument"},
	} {
		got, err := expandMacros(c.in, r)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one saying %q", c.in, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestExpandVariables(t *testing.T) {
	vals := map[string][]string{"period": {"2026Q3"}, "subtree": {"a", "b.c"}}
	got, err := expandVariables("p = '${period}' AND u IN ($subtree) AND $__timeFilter(t) AND [[period]]", vals)
	want := "p = '2026Q3' AND u IN ('a','b.c') AND $__timeFilter(t) AND 2026Q3"
	if err != nil || got != want {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
	if _, err := expandVariables("$nope", vals); err == nil {
		t.Error("an unknown variable was accepted")
	}
	if _, err := expandVariables("${period:csv}", vals); err == nil {
		t.Error("a format was accepted")
	}
}
