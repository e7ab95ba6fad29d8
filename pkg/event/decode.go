package event

import (
	"fmt"
	"slices"
	"sync"

	"kaoping/schemas"
)

// Validator checks events against the rules of schemas/events and reads their
// Record columns in the same pass over the bytes. It is safe for concurrent use.
type Validator struct {
	r *rules
}

// loaded reads the schemas once per process: they are embedded, so every
// Validator has the same rules.
var loaded = sync.OnceValues(func() (*rules, error) { return loadRules(schemas.Events) })

// NewValidator returns a validator for the schemas embedded from
// schemas/events. It fails when a schema uses a construct the decoder does not
// read, so that no rule of a schema is ever skipped.
func NewValidator() (*Validator, error) {
	r, err := loaded()
	if err != nil {
		return nil, err
	}
	return &Validator{r: r}, nil
}

// header is what the envelope gives Event besides Raw and Data.
type header struct {
	ev                 Event
	dataStart, dataEnd int
	spaced             bool // whitespace between tokens: Raw must be compacted
}

// decoder reads one event against the rules and fills its Record.
type decoder struct {
	scanner
	r   *rules
	rec *Record
}

// value is a member's value once its schema has accepted it.
type value struct {
	str  string // a string, or a number's text
	num  decimal
	flag bool
	enum int // the index of the value in the member's enum
	at   instant
}

// decode reads the text of one structured-mode event into h and rec. Text that
// is not JSON is refused as such, whatever else is wrong with it, as the schema
// library does: its reason is the first a source needs.
func (v *Validator) decode(s string, rec *Record) (header, error) {
	h, err := v.read(s, rec)
	if err != nil {
		if _, syntax := err.(*syntaxError); !syntax {
			sc := scanner{s: s}
			if serr := sc.document(); serr != nil {
				return h, serr
			}
		}
	}
	return h, err
}

// read checks the event against the rules in one pass, stopping at the first
// violation.
func (v *Validator) read(s string, rec *Record) (header, error) {
	d := decoder{scanner: scanner{s: s}, r: v.r, rec: rec}
	var h header
	if c := d.next(); c != '{' {
		if k := kindAt(c); k != "" {
			return h, fmt.Errorf("event: got %s, want object", k)
		}
		if c == 0 {
			return h, d.fail("unexpected end")
		}
		return h, d.fail("invalid character")
	}
	env := &v.r.envelope
	typeIdx, deferred := -1, false
	var at instant
	err := d.object(env, "", func(i int) error {
		if i == v.r.dataMember {
			if c := d.next(); c != '{' {
				return d.typeError("data", "object", c)
			}
			h.dataStart = d.i
			var err error
			if typeIdx >= 0 {
				err = d.data(typeIdx)
			} else {
				deferred = true
				err = d.skipValue()
			}
			h.dataEnd = d.i
			return err
		}
		val, err := d.value(&env.members[i], "")
		switch i {
		case v.r.id:
			h.ev.ID = val.str
		case v.r.source:
			h.ev.Source = val.str
		case v.r.typ:
			typeIdx = val.enum
			h.ev.Type = val.str
		case v.r.time:
			at = val.at
		}
		return err
	})
	if err != nil {
		return h, err
	}
	if d.skipSpace(); d.i != len(d.s) {
		return h, d.fail("text after the event")
	}
	if deferred {
		// data came before type: read it now that its schema is known.
		d.i = h.dataStart
		if err := d.data(typeIdx); err != nil {
			return h, err
		}
	}
	h.ev.Time = at.time()
	h.spaced = d.spaced
	rec.Source, rec.ID, rec.Type, rec.TimeNs, rec.Raw = h.ev.Source, h.ev.ID, h.ev.Type, at.unixNano(), s
	if v.r.data[typeIdx].placedByTime {
		rec.PeriodNs = rec.TimeNs
	}
	return h, nil
}

// data reads the data object at d.i against the schema of the event type, and
// puts each member's value in its Record column.
func (d *decoder) data(typeIdx int) error {
	o := &d.r.data[typeIdx]
	rec := d.rec
	return d.object(o, "data", func(i int) error {
		m := &o.members[i]
		val, err := d.value(m, "data")
		if err != nil {
			return err
		}
		c := &m.column
		if c.caseID {
			rec.CaseID = val.str
		}
		switch {
		case c.instant != nil:
			c.instant(rec, val.at.unixNano())
		case c.text != nil:
			c.text(rec, val.str)
		case c.flag != nil:
			c.flag(rec, val.flag)
		case c.small != nil:
			c.small(rec, val.num.uint8Value())
		}
		return nil
	})
}

// object reads an object at d.i whose members are those of o and no other,
// each once, calling member for each; then checks the required ones.
func (d *decoder) object(o *objectRule, place string, member func(i int) error) error {
	d.i++ // the '{'
	var seen uint64
	c := d.next()
	if c == '}' {
		d.i++
	}
	for c != '}' {
		if c != '"' {
			if c == 0 {
				return d.fail("unexpected end")
			}
			return d.fail("want a member name")
		}
		name, _, err := d.str()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		i := o.lookup(name)
		if i < 0 {
			return fmt.Errorf("%s: unknown member %s is not allowed", where(place), quote(name))
		}
		if seen&(1<<i) != 0 {
			// The schema library keeps the last copy, so a first copy no
			// schema has seen (a data object with a phone number) would be
			// stored in Raw, and a reader of Raw may take either.
			return fmt.Errorf("%s: member %s appears more than once", where(place), quote(name))
		}
		seen |= 1 << i
		if err := member(i); err != nil {
			return err
		}
		switch c = d.next(); c {
		case ',':
			d.i++
			c = d.next()
			if c == '}' {
				return d.fail("want a member name")
			}
		case '}':
			d.i++
		case 0:
			return d.fail("unexpected end")
		default:
			return d.fail("want ',' or '}'")
		}
	}
	for _, i := range o.required {
		if seen&(1<<i) == 0 {
			return fmt.Errorf("%s: missing required member %s", where(place), quote(o.members[i].name))
		}
	}
	return nil
}

// value reads the value of member m at d.i and checks it against m's schema.
func (d *decoder) value(m *memberRule, prefix string) (value, error) {
	var val value
	c := d.next()
	switch m.typ {
	case typeString:
		if c != '"' {
			want := "string"
			if m.enum != nil {
				want = "one of " + quoteAll(m.enum)
			}
			return val, d.typeError(at(prefix, m.name), want, c)
		}
		s, runes, err := d.str()
		if err != nil {
			return val, err
		}
		val.str = s
		return val, d.checkString(m, prefix, &val, runes)
	case typeBoolean:
		switch c {
		case 't':
			val.flag = true
			return val, d.literal("true")
		case 'f':
			return val, d.literal("false")
		}
		return val, d.typeError(at(prefix, m.name), "boolean", c)
	case typeInteger, typeNumber:
		if c != '-' && !isDigit(c) {
			want := "number"
			if m.typ == typeInteger {
				want = "integer"
			}
			return val, d.typeError(at(prefix, m.name), want, c)
		}
		text, err := d.number()
		if err != nil {
			return val, err
		}
		val.str, val.num = text, parseDecimal(text)
		return val, checkNumber(m, prefix, &val)
	}
	return val, d.typeError(at(prefix, m.name), "a scalar", c)
}

func (d *decoder) checkString(m *memberRule, prefix string, val *value, runes int) error {
	s := val.str
	if m.enum != nil {
		if val.enum = slices.Index(m.enum, s); val.enum < 0 {
			return fmt.Errorf("%s: %s is not one of %s", at(prefix, m.name), quote(s), quoteAll(m.enum))
		}
	}
	if runes < m.minLength {
		return fmt.Errorf("%s: %d characters, fewer than %d", at(prefix, m.name), runes, m.minLength)
	}
	if m.maxLength >= 0 && runes > m.maxLength {
		return fmt.Errorf("%s: %d characters, more than %d", at(prefix, m.name), runes, m.maxLength)
	}
	for _, p := range m.patterns {
		if !p.match(s) {
			return fmt.Errorf("%s: %s %s (pattern %s)", at(prefix, m.name), quote(s), p.says, p.source)
		}
	}
	if m.dateTime {
		t, reason := parseDateTime(s)
		if reason != "" {
			return fmt.Errorf("%s: %s is not an RFC 3339 date-time: %s", at(prefix, m.name), quote(s), reason)
		}
		val.at = t
		return checkInstant(prefix, m.name, s, t.sec)
	}
	return nil
}

func checkNumber(m *memberRule, prefix string, val *value) error {
	n := &val.num
	if m.typ == typeInteger && !n.isInteger() {
		return fmt.Errorf("%s: %s is not an integer", at(prefix, m.name), short(val.str))
	}
	if m.minimum != nil && n.cmp(m.minimum) < 0 {
		return fmt.Errorf("%s: %s is less than the minimum %s", at(prefix, m.name), short(val.str), m.minimum.src)
	}
	if m.maximum != nil && n.cmp(m.maximum) > 0 {
		return fmt.Errorf("%s: %s is more than the maximum %s", at(prefix, m.name), short(val.str), m.maximum.src)
	}
	return nil
}

// typeError names the JSON type found where another was wanted; a byte that
// starts no JSON value is a syntax error.
func (d *decoder) typeError(place, want string, c byte) error {
	got := kindAt(c)
	switch {
	case c == 0:
		return d.fail("unexpected end")
	case got == "":
		return d.fail("invalid value")
	}
	return fmt.Errorf("%s: got %s, want %s", place, got, want)
}

// at is the place of a member in error messages: "time", "data.due".
func at(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// where is the place of an object in error messages.
func where(place string) string {
	if place == "" {
		return "event"
	}
	return place
}

// quote quotes a value for an error message, cut to a length a reason can carry.
func quote(s string) string { return fmt.Sprintf("%q", short(s)) }

func short(s string) string {
	n := 0
	for i := range s {
		if n == 64 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

func quoteAll(values []string) string {
	out := ""
	for i, v := range values {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", v)
	}
	return out
}
