package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"kaoping/schemas"
)

// The oracle is the validation Parse did before the fast path, kept as it was:
// santhosh-tekuri/jsonschema with AssertFormat over the same schema files,
// time.Parse for the times and json.Unmarshal into the typed structs of
// types.go for the Record. The Go-only rules (every instant inside
// [1970, 2200)) follow the schema part, as they follow it in the fast path,
// so the differential compares schema semantics. It costs ~46 µs an event and
// big.Rat arithmetic on numbers, so it is a test's reference, not a hot path.

type oracle struct {
	envelope *jsonschema.Schema
	data     map[string]*jsonschema.Schema
}

var oracleOnce = sync.OnceValues(newOracle)

func mustOracle(tb testing.TB) *oracle {
	tb.Helper()
	o, err := oracleOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

func newOracle() (*oracle, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	names, err := fs.Glob(schemas.Events, "events/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := fs.ReadFile(schemas.Events, name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		if err := c.AddResource(name, doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	o := &oracle{data: make(map[string]*jsonschema.Schema, len(Types))}
	if o.envelope, err = c.Compile("events/cloudevent.json"); err != nil {
		return nil, fmt.Errorf("compile envelope schema: %w", err)
	}
	for _, t := range Types {
		if o.data[t], err = c.Compile("events/" + t + ".json"); err != nil {
			return nil, fmt.Errorf("compile schema of %s: %w", t, err)
		}
	}
	return o, nil
}

// oracleEnvelope is the structured-mode JSON of a CloudEvent, as the old Parse
// read it.
type oracleEnvelope struct {
	SpecVersion string          `json:"specversion"`
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	Type        string          `json:"type"`
	Time        string          `json:"time"`
	Data        json.RawMessage `json:"data"`
}

// parse is the old Parse followed by the old extract and the range rule.
func (o *oracle) parse(raw []byte) (Event, Record, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return Event{}, Record{}, fmt.Errorf("event is not JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return Event{}, Record{}, fmt.Errorf("event is not a JSON object")
	}
	if err := describe("", o.envelope.Validate(doc)); err != nil {
		return Event{}, Record{}, err
	}
	var env oracleEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return Event{}, Record{}, fmt.Errorf("event: %w", err)
	}
	at, err := goParseTime(env.Time)
	if err != nil {
		return Event{}, Record{}, fmt.Errorf("time: %w", err)
	}
	sch, ok := o.data[env.Type]
	if !ok {
		return Event{}, Record{}, fmt.Errorf("type: unknown event type %q", env.Type)
	}
	if err := describe("data", sch.Validate(obj["data"])); err != nil {
		return Event{}, Record{}, err
	}
	if err := checkInstant("", "time", env.Time, at.Unix()); err != nil {
		return Event{}, Record{}, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return Event{}, Record{}, err
	}
	e := Event{ID: env.ID, Source: env.Source, Type: env.Type, Time: at, Data: env.Data, Raw: buf.Bytes()}
	r, err := oracleExtract(e)
	return e, r, err
}

// goParseTime is the old ParseTime: Go's RFC 3339 parser.
func goParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time with an offset", s)
	}
	return t, nil
}

var printer = message.NewPrinter(language.English)

// describe turns a schema violation into one line that names the place and the
// reason, e.g. `data: additional properties 'phone' not allowed`.
func describe(prefix string, err error) error {
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err
	}
	var msgs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := append([]string{prefix}, e.InstanceLocation...)
			where := strings.Trim(strings.Join(loc, "."), ".")
			if where == "" {
				where = "event"
			}
			msgs = append(msgs, where+": "+e.ErrorKind.LocalizedString(printer))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(msgs)
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// oracleExtract is the old extract: the typed columns by json.Unmarshal.
func oracleExtract(e Event) (Record, error) {
	r := Record{Source: e.Source, ID: e.ID, Type: e.Type, TimeNs: e.Time.UnixNano(), Raw: string(e.Raw)}
	var err error
	un := func(v any) bool { err = json.Unmarshal(e.Data, v); return err == nil }
	switch e.Type {
	case TypeUnitUpserted:
		var d UnitUpserted
		if un(&d) {
			r.CaseID, r.Unit, r.Name, r.Level, r.Parent = d.Unit, d.Unit, d.Name, d.Level, d.Parent
		}
	case TypeCadreUpserted:
		var d CadreUpserted
		if un(&d) {
			r.CaseID, r.Cadre, r.Name, r.Unit, r.Position = d.Cadre, d.Cadre, d.Name, d.Unit, d.Position
		}
	case TypeComplaintAssigned:
		var d ComplaintAssigned
		if un(&d) {
			r.CaseID, r.Unit, r.Cadre, r.Category = d.ComplaintID, d.Unit, d.Cadre, d.Category
			r.PeriodNs = r.TimeNs
			if r.ResponseDueNs, err = oracleInstant("response_due", d.ResponseDue); err == nil {
				r.ResolveDueNs, err = oracleInstant("resolve_due", d.ResolveDue)
			}
		}
	case TypeComplaintResponded:
		var d ComplaintRef
		if un(&d) {
			r.CaseID = d.ComplaintID
		}
	case TypeComplaintResolved:
		var d ComplaintResolved
		if un(&d) {
			r.CaseID, r.Resolved = d.ComplaintID, d.Resolved
		}
	case TypeComplaintRated:
		var d ComplaintRated
		if un(&d) {
			r.CaseID = d.ComplaintID
			r.Rating, err = oracleRating(d.Rating)
		}
	case TypeComplaintReopened, TypeComplaintExcluded:
		var d ComplaintReason
		if un(&d) {
			r.CaseID, r.Reason = d.ComplaintID, d.Reason
		}
	case TypeIssueListed:
		var d IssueListed
		if un(&d) {
			r.CaseID, r.List, r.Severity, r.Unit, r.Cadre = d.IssueID, d.List, d.Severity, d.Unit, d.Cadre
			r.DueNs, err = oracleInstant("due", d.Due)
			r.PeriodNs = r.DueNs
		}
	case TypeIssueClosed:
		var d IssueRef
		if un(&d) {
			r.CaseID = d.IssueID
		}
	case TypeIssueReopened:
		var d IssueReopened
		if un(&d) {
			r.CaseID, r.Reason = d.IssueID, d.Reason
		}
	case TypeErrorRecorded:
		var d ErrorRecorded
		if un(&d) {
			r.CaseID, r.Unit, r.Cadre, r.Severity, r.Summary = d.ErrorID, d.Unit, d.Cadre, d.Severity, d.Summary
			r.PeriodNs = r.TimeNs
		}
	case TypeErrorTolerated:
		var d ErrorTolerated
		if un(&d) {
			r.CaseID, r.DecisionID, r.Basis = d.ErrorID, d.DecisionID, d.Basis
		}
	case TypeReviewRated:
		var d ReviewRated
		if un(&d) {
			r.CaseID, r.SubjectKind, r.Subject = d.ReviewID, d.SubjectKind, d.Subject
			r.ReviewPeriod, r.RaterGroup, r.Score = d.Period, d.RaterGroup, d.Score.String()
		}
	default:
		return Record{}, fmt.Errorf("type: unknown event type %q", e.Type)
	}
	if err != nil {
		return Record{}, fmt.Errorf("data of %s: %w", e.Type, err)
	}
	return r, nil
}

func oracleRating(n json.Number) (uint8, error) {
	v, ok := new(big.Rat).SetString(n.String())
	if !ok || !v.IsInt() || v.Num().Cmp(big.NewInt(1)) < 0 || v.Num().Cmp(big.NewInt(5)) > 0 {
		return 0, fmt.Errorf("rating %s is not an integer from 1 to 5", n)
	}
	return uint8(v.Num().Int64()), nil
}

// oracleInstant reads a time of data with Go's parser, then applies the range rule.
func oracleInstant(name, s string) (int64, error) {
	t, err := goParseTime(s)
	if err != nil {
		return 0, err
	}
	if err := checkInstant("data", name, s, t.Unix()); err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}
