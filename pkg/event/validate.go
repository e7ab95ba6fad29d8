package event

import (
	"bytes"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"kaoping/schemas"
)

// Validator checks events against the JSON Schemas embedded from schemas/events.
// It is safe for concurrent use.
type Validator struct {
	envelope *jsonschema.Schema
	data     map[string]*jsonschema.Schema
}

var printer = message.NewPrinter(language.English)

// NewValidator compiles the envelope schema and one schema per event type.
func NewValidator() (*Validator, error) {
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
	v := &Validator{data: make(map[string]*jsonschema.Schema, len(Types))}
	if v.envelope, err = c.Compile("events/cloudevent.json"); err != nil {
		return nil, fmt.Errorf("compile envelope schema: %w", err)
	}
	for _, t := range Types {
		if v.data[t], err = c.Compile("events/" + t + ".json"); err != nil {
			return nil, fmt.Errorf("compile schema of %s: %w", t, err)
		}
	}
	return v, nil
}

// validateEnvelope checks the event against the envelope schema and returns
// the decoded data, so validateData need not parse it again.
func (v *Validator) validateEnvelope(raw []byte) (any, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("event is not JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("event is not a JSON object")
	}
	return obj["data"], describe("", v.envelope.Validate(doc))
}

func (v *Validator) validateData(eventType string, data any) error {
	sch, ok := v.data[eventType]
	if !ok {
		return fmt.Errorf("type: unknown event type %q", eventType)
	}
	return describe("data", sch.Validate(data))
}

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
