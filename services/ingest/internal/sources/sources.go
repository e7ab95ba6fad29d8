// Package sources is ingest's registry of source systems: which bearer token
// belongs to which CloudEvents source, and which event types that source may
// send with it (SPEC §6).
package sources

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"gopkg.in/yaml.v3"

	"kaoping/pkg/auth"
	"kaoping/pkg/event"
)

// AllTypes in a token's type list allows every event type.
const AllTypes = "*"

// DevSource is the development source of the local stack (SPEC §6).
const DevSource = "/sources/dev"

// Source is what one token may send: events of one source, of some types.
type Source struct {
	// Name is the CloudEvents source the token is bound to, e.g. /sources/hotline.
	Name string
	// types is nil when every type is allowed.
	types map[string]bool
}

// Allows reports whether the token may send events of eventType.
func (s Source) Allows(eventType string) bool {
	return s.types == nil || s.types[eventType]
}

// Registry maps bearer tokens to sources. It is read-only once built and safe
// for concurrent use.
type Registry struct {
	// Keyed by the token's SHA-256, so the lookup's timing says nothing about
	// the tokens and the registry never holds one in the clear.
	byHash map[[32]byte]Source
}

// Lookup returns the source of a token.
func (r *Registry) Lookup(token string) (Source, bool) {
	s, ok := r.byHash[sha256.Sum256([]byte(token))]
	return s, ok
}

// Len is the number of tokens.
func (r *Registry) Len() int { return len(r.byHash) }

// file is the YAML layout of a registry file.
type file struct {
	Sources []entry `yaml:"sources"`
}

type entry struct {
	Source string   `yaml:"source"`
	Token  string   `yaml:"token"`
	Types  []string `yaml:"types"`
}

// Load reads a registry file.
func Load(path string) (*Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("source registry: %w", err)
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("source registry %s: %w", path, err)
	}
	return r, nil
}

// Parse reads a registry from YAML:
//
//	sources:
//	  - source: /sources/dev
//	    token: kaoping-dev-token
//	    types: ["*"]
//
// Unknown keys, empty tokens, a token listed twice, unknown event types and
// empty type lists are errors: a mistake here should stop the service at start,
// not surface as 401s or forbidden events later.
func Parse(b []byte) (*Registry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	r := &Registry{byHash: make(map[[32]byte]Source, len(f.Sources))}
	for i, e := range f.Sources {
		s, err := e.source()
		if err != nil {
			return nil, fmt.Errorf("sources[%d]: %w", i, err)
		}
		h := sha256.Sum256([]byte(e.Token))
		if _, dup := r.byHash[h]; dup {
			return nil, fmt.Errorf("sources[%d] (%s): the token is already given to another entry", i, e.Source)
		}
		r.byHash[h] = s
	}
	if len(r.byHash) == 0 {
		return nil, fmt.Errorf("no sources: no token would be accepted")
	}
	return r, nil
}

func (e entry) source() (Source, error) {
	switch {
	case e.Source == "":
		return Source{}, fmt.Errorf("source is empty")
	case len(e.Source) > 256:
		// The envelope schema caps source at 256 characters; a longer one could
		// never send a valid event.
		return Source{}, fmt.Errorf("source is longer than 256 characters")
	case e.Token == "":
		return Source{}, fmt.Errorf("%s: token is empty", e.Source)
	case len(e.Types) == 0:
		return Source{}, fmt.Errorf("%s: types is empty (use [\"*\"] for every type)", e.Source)
	}
	if slices.Contains(e.Types, AllTypes) {
		if len(e.Types) > 1 {
			return Source{}, fmt.Errorf("%s: %q allows every type and stands alone", e.Source, AllTypes)
		}
		return Source{Name: e.Source}, nil
	}
	s := Source{Name: e.Source, types: make(map[string]bool, len(e.Types))}
	for _, t := range e.Types {
		if !slices.Contains(event.Types, t) {
			return Source{}, fmt.Errorf("%s: unknown event type %q", e.Source, t)
		}
		s.types[t] = true
	}
	return s, nil
}

// Dev is the registry of the local stack: the development source with the
// development token, allowed every event type (SPEC §6).
func Dev() *Registry {
	return &Registry{byHash: map[[32]byte]Source{
		sha256.Sum256([]byte(auth.DevToken)): {Name: DevSource},
	}}
}
