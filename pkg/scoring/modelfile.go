package scoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"

	"kaoping/schemas"
)

// A model file is checked three times, each for what it is best at: its YAML
// is written out as JSON (numbers as their text, never a float) and validated
// against schemas/models/model.schema.json, which names every key and range
// for the people who write models; then it is decoded strictly into Go
// structs (an unknown key refused again, so a key the schema lets through
// and the code does not read cannot pass); then ParseModel checks what a
// schema cannot say (a time zone that exists, grades in order, credits
// with at most 4 decimals).

var modelSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemas.ModelSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("model.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("model.schema.json")
})

// jsonNumber is the text of a JSON number: a YAML scalar that is one is
// written as a number, anything else (0x1F, .inf, 1_000) as a string, so the
// schema's type check refuses it.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// yamlToJSON writes a YAML document as JSON. Mapping keys are always strings
// in JSON; a key given twice is refused (YAML forbids it, and the second
// would silently win).
func yamlToJSON(b []byte, n *yaml.Node, at string) ([]byte, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return append(b, "null"...), nil
		}
		return yamlToJSON(b, n.Content[0], at)
	case yaml.AliasNode:
		return yamlToJSON(b, n.Alias, at)
	case yaml.MappingNode:
		b = append(b, '{')
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if seen[k] {
				return nil, fmt.Errorf("%s: key given twice (line %d)", join(at, k), n.Content[i].Line)
			}
			seen[k] = true
			if i > 0 {
				b = append(b, ',')
			}
			kb, _ := json.Marshal(k)
			b = append(append(b, kb...), ':')
			var err error
			if b, err = yamlToJSON(b, n.Content[i+1], join(at, k)); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case yaml.SequenceNode:
		b = append(b, '[')
		for i, c := range n.Content {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = yamlToJSON(b, c, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		if jsonNumber.MatchString(n.Value) {
			return append(b, n.Value...), nil
		}
	case "!!bool":
		if n.Value == "true" || n.Value == "false" {
			return append(b, n.Value...), nil
		}
	case "!!null":
		return append(b, "null"...), nil
	}
	s, _ := json.Marshal(n.Value)
	return append(b, s...), nil
}

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

// validateModel checks the document against the model files' JSON Schema and
// says what is wrong as "key.path: what", one reason a failure, in the order
// of the file's keys.
func validateModel(doc *yaml.Node) error {
	js, err := yamlToJSON(nil, doc, "")
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	var reasons []string
	if m, ok := v.(map[string]any); ok {
		// Said here in words: the schema's oneOf would report both branches.
		_, a := m["satisfied_rating"]
		_, b := m["satisfaction_credit"]
		switch {
		case a && b:
			reasons = append(reasons, "satisfied_rating and satisfaction_credit: a model has one of them, never both")
		case !a && !b:
			reasons = append(reasons, "satisfied_rating or satisfaction_credit: missing (a model has one of them)")
		}
	}
	sch, err := modelSchema()
	if err != nil {
		return fmt.Errorf("the model schema: %w", err)
	}
	err = sch.Validate(v)
	ve, ok := err.(*jsonschema.ValidationError)
	if err != nil && !ok {
		return err
	}
	if ok {
		leaves(ve, &reasons)
	}
	if len(reasons) == 0 && ve != nil {
		return ve
	}
	if len(reasons) == 0 {
		return nil
	}
	sort.Strings(reasons)
	return fmt.Errorf("%s", strings.Join(reasons, "; "))
}

func leaves(e *jsonschema.ValidationError, out *[]string) {
	if _, ok := e.ErrorKind.(*kind.OneOf); ok {
		return // satisfied_rating or satisfaction_credit: said in words above
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			leaves(c, out)
		}
		return
	}
	*out = append(*out, reason(e)...)
}

// reason says one schema failure in the words of docs/models.md.
func reason(e *jsonschema.ValidationError) []string {
	at := ""
	for _, tok := range e.InstanceLocation {
		if len(tok) > 0 && tok[0] >= '0' && tok[0] <= '9' && (strings.HasSuffix(at, "grades") || strings.HasSuffix(at, "labels") || strings.HasSuffix(at, "bands")) {
			at += "[" + tok + "]"
			continue
		}
		at = join(at, tok)
	}
	where := at
	if where == "" {
		where = "the file"
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var out []string
		for _, p := range k.Properties {
			out = append(out, join(at, p)+": unknown key")
		}
		return out
	case *kind.Required:
		var out []string
		for _, p := range k.Missing {
			out = append(out, join(at, p)+": missing")
		}
		return out
	case *kind.Type:
		return []string{fmt.Sprintf("%s: must be %s, not %s", where, strings.Join(k.Want, " or "), k.Got)}
	case *kind.Minimum:
		return []string{fmt.Sprintf("%s: must be ≥ %s", where, k.Want.RatString())}
	case *kind.ExclusiveMinimum:
		return []string{fmt.Sprintf("%s: must be > %s", where, k.Want.RatString())}
	case *kind.Maximum:
		return []string{fmt.Sprintf("%s: must be ≤ %s", where, k.Want.RatString())}
	case *kind.Pattern:
		return []string{fmt.Sprintf("%s: %q does not match %s", where, k.Got, k.Want)}
	case *kind.MinProperties:
		return []string{fmt.Sprintf("%s: needs at least %d key(s)", where, k.Want)}
	case *kind.MinItems:
		return []string{fmt.Sprintf("%s: needs at least %d item(s)", where, k.Want)}
	case *kind.Enum:
		var want []string
		for _, w := range k.Want {
			want = append(want, fmt.Sprint(w))
		}
		return []string{fmt.Sprintf("%s: %v is not one of %s", where, k.Got, strings.Join(want, ", "))}
	}
	return []string{where + ": " + e.ErrorKind.LocalizedString(english)}
}

var english = message.NewPrinter(language.English)

// hasDecimals reports whether r has at most decimals places.
func hasDecimals(r *big.Rat, decimals int) bool {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	return new(big.Rat).Mul(r, new(big.Rat).SetInt(scale)).IsInt()
}
