package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
)

// The rules of schemas/events, read once from the embedded files into tables
// the decoder walks: the schema files stay the single source of truth, and only
// the constructs that need code (patterns, date-time) are written by hand. A
// keyword, type, pattern or format the decoder does not know fails loading, so
// a schema cannot gain a rule that the fast path skips.

// valueType is the JSON type a member's schema asks for.
type valueType uint8

const (
	typeString valueType = iota + 1
	typeBoolean
	typeInteger
	typeNumber
	typeObject
)

var typeNames = map[string]valueType{
	"string": typeString, "boolean": typeBoolean, "integer": typeInteger, "number": typeNumber, "object": typeObject,
}

// memberRule is the schema of one member of an object.
type memberRule struct {
	name string
	typ  valueType
	// enum holds the allowed values of an enum or const (all strings here).
	enum      []string
	minLength int
	maxLength int // -1 when there is none
	patterns  []namedPattern
	dateTime  bool
	minimum   *decimal
	maximum   *decimal
	column    column
}

type namedPattern struct {
	source string
	pattern
}

// objectRule is the schema of an object whose additionalProperties is false.
type objectRule struct {
	members  []memberRule
	required []int // indices into members, in the schema's order
	// placedByTime marks the types whose case is placed in a period by the
	// event's own time (PeriodNs = TimeNs).
	placedByTime bool
}

// lookup returns the index of a member, -1 for a name the schema does not know.
func (o *objectRule) lookup(name string) int {
	for i := range o.members {
		if o.members[i].name == name {
			return i
		}
	}
	return -1
}

// rules is everything the decoder knows: the envelope, and the data schema of
// each event type in the order of the envelope's type enum.
type rules struct {
	envelope objectRule
	types    []string
	data     []objectRule
	// the envelope members that become fields of Event and Record
	id, source, typ, time, dataMember int
}

var objectKeywords = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true,
}

var memberKeywords = map[string]bool{
	"title": true, "description": true, "type": true, "enum": true, "const": true,
	"minLength": true, "maxLength": true, "pattern": true, "format": true, "minimum": true, "maximum": true,
}

// loadRules reads the envelope schema and one data schema per event type from
// fsys (schemas.Events, or a test's files).
func loadRules(fsys fs.FS) (*rules, error) {
	env, err := loadObject(fsys, "events/cloudevent.json", "")
	if err != nil {
		return nil, err
	}
	r := &rules{envelope: *env}
	for name, dst := range map[string]*int{"id": &r.id, "source": &r.source, "type": &r.typ, "time": &r.time, "data": &r.dataMember} {
		if *dst = env.lookup(name); *dst < 0 {
			return nil, fmt.Errorf("schema events/cloudevent.json: no member %q", name)
		}
	}
	if env.members[r.dataMember].typ != typeObject || env.members[r.typ].enum == nil || !env.members[r.time].dateTime {
		return nil, fmt.Errorf("schema events/cloudevent.json: data must be an object, type an enum, time a date-time")
	}
	r.types = env.members[r.typ].enum
	for _, t := range r.types {
		d, err := loadObject(fsys, "events/"+t+".json", t)
		if err != nil {
			return nil, err
		}
		d.placedByTime = placedByTime(t)
		r.data = append(r.data, *d)
	}
	return r, nil
}

// loadObject reads one schema file. eventType is "" for the envelope, whose
// members go to Event rather than to Record columns.
func loadObject(fsys fs.FS, name, eventType string) (*objectRule, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	fail := func(format string, args ...any) (*objectRule, error) {
		return nil, fmt.Errorf("schema %s: %s", name, fmt.Sprintf(format, args...))
	}
	for k := range doc {
		if !objectKeywords[k] {
			return fail("keyword %q is not read by the event decoder", k)
		}
	}
	if doc["type"] != "object" || doc["additionalProperties"] != false {
		return fail(`want "type": "object" and "additionalProperties": false`)
	}
	props, _ := doc["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	o := &objectRule{}
	for _, n := range names {
		m, err := loadMember(n, props[n], eventType)
		if err != nil {
			return fail("%s: %v", n, err)
		}
		o.members = append(o.members, m)
	}
	if len(o.members) > 64 {
		return fail("more than 64 members")
	}
	req, _ := doc["required"].([]any)
	for _, x := range req {
		n, _ := x.(string)
		i := o.lookup(n)
		if i < 0 {
			return fail("required member %q is not among the properties", n)
		}
		o.required = append(o.required, i)
	}
	return o, nil
}

func loadMember(name string, v any, eventType string) (memberRule, error) {
	s, ok := v.(map[string]any)
	if !ok {
		return memberRule{}, fmt.Errorf("not a schema object")
	}
	m := memberRule{name: name, maxLength: -1}
	for k := range s {
		if !memberKeywords[k] {
			return m, fmt.Errorf("keyword %q is not read by the event decoder", k)
		}
	}
	if t, ok := s["type"]; ok {
		if m.typ = typeNames[fmt.Sprint(t)]; m.typ == 0 {
			return m, fmt.Errorf("type %v is not read by the event decoder", t)
		}
	}
	values, hasEnum := s["enum"].([]any)
	if c, ok := s["const"]; ok {
		values, hasEnum = []any{c}, true
	}
	if hasEnum {
		for _, x := range values {
			str, ok := x.(string)
			if !ok {
				return m, fmt.Errorf("enum value %v is not a string", x)
			}
			m.enum = append(m.enum, str)
		}
		if m.typ == 0 {
			m.typ = typeString // no other value can equal a string
		}
	}
	if m.typ == 0 {
		return m, fmt.Errorf("neither a type nor an enum")
	}
	var err error
	if m.minLength, err = length(s, "minLength", 0); err != nil {
		return m, err
	}
	if m.maxLength, err = length(s, "maxLength", -1); err != nil {
		return m, err
	}
	if p, ok := s["pattern"].(string); ok {
		pat, known := patterns[p]
		if !known {
			return m, fmt.Errorf("pattern %q has no hand-written matcher (see patterns in instant.go)", p)
		}
		m.patterns = append(m.patterns, namedPattern{source: p, pattern: pat})
	}
	if f, ok := s["format"]; ok {
		if f != "date-time" {
			return m, fmt.Errorf("format %v is not read by the event decoder", f)
		}
		m.dateTime = true
	}
	for k, dst := range map[string]**decimal{"minimum": &m.minimum, "maximum": &m.maximum} {
		if x, ok := s[k].(json.Number); ok {
			d := parseDecimal(string(x))
			*dst = &d
		} else if s[k] != nil {
			return m, fmt.Errorf("%s is not a number", k)
		}
	}
	if (m.minLength > 0 || m.maxLength >= 0 || m.patterns != nil || m.dateTime) && m.typ != typeString {
		return m, fmt.Errorf("string keywords on a member of another type")
	}
	if (m.minimum != nil || m.maximum != nil) && m.typ != typeInteger && m.typ != typeNumber {
		return m, fmt.Errorf("number keywords on a member of another type")
	}
	if eventType == "" {
		return m, nil
	}
	m.column, err = columnFor(eventType, &m)
	return m, err
}

func length(s map[string]any, key string, none int) (int, error) {
	x, ok := s[key]
	if !ok {
		return none, nil
	}
	n, _ := x.(json.Number)
	i, err := n.Int64()
	if err != nil || i < 0 {
		return 0, fmt.Errorf("%s %v is not a length", key, x)
	}
	return int(i), nil
}
