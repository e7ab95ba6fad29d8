// Package sources is kaoping's registry of source systems (SPEC §4, §6): each
// source's name (its subject token on NATS, kaoping.events.<name>), its
// CloudEvents source URI, and the bearer tokens that may send its events over
// HTTP, each with the event types it may send. Ingest reads it to check
// tokens; the aggregator reads it to check that an event published straight
// to NATS names the source of its subject and a type that source may send.
package sources

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"

	"gopkg.in/yaml.v3"

	"kaoping/pkg/event"
)

// AllTypes in a token's type list allows every event type.
const AllTypes = "*"

// DevSource is the development source of the local stack (SPEC §6).
const DevSource = "/sources/dev"

// Source is one source system.
type Source struct {
	// Name is the source's subject token: it publishes on kaoping.events.<Name>.
	Name string
	// URI is the CloudEvents source its events carry, e.g. /sources/hotline.
	URI string
	// types is what any of its tokens may send; nil when every type.
	types map[string]bool
}

// Allows reports whether the source may send events of eventType (on NATS,
// where no token says more).
func (s *Source) Allows(eventType string) bool { return s.types == nil || s.types[eventType] }

// Grant is what one bearer token may send: events of one source, of some types.
type Grant struct {
	Source *Source
	// types is nil when every type is allowed.
	types map[string]bool
}

// Allows reports whether the token may send events of eventType.
func (g Grant) Allows(eventType string) bool { return g.types == nil || g.types[eventType] }

// Registry maps bearer tokens to grants and names to sources. It is read-only
// once built and safe for concurrent use.
type Registry struct {
	// Keyed by the token's SHA-256: the lookup's timing says nothing about the
	// tokens, and a registry file may hold only the hashes.
	byHash map[[32]byte]Grant
	byName map[string]*Source
}

// Lookup returns the grant of a token.
func (r *Registry) Lookup(token string) (Grant, bool) {
	g, ok := r.byHash[sha256.Sum256([]byte(token))]
	return g, ok
}

// ByName returns the source whose subject token is name.
func (r *Registry) ByName(name string) (*Source, bool) {
	s, ok := r.byName[name]
	return s, ok
}

// Names lists the sources' names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Len is the number of tokens.
func (r *Registry) Len() int { return len(r.byHash) }

// file is the YAML layout of a registry file.
type file struct {
	Sources []entry `yaml:"sources"`
}

type entry struct {
	Name        string   `yaml:"name"`
	Source      string   `yaml:"source"`
	Token       string   `yaml:"token"`
	TokenSHA256 string   `yaml:"token_sha256"`
	Types       []string `yaml:"types"`
}

// Load reads a registry file. Without one a service does not start: there is
// no built-in registry to fall back on, so no token is accepted by accident.
func Load(path string) (*Registry, error) {
	if path == "" {
		return nil, fmt.Errorf("no source registry: set KAOPING_SOURCES (or --sources) to its file (see deploy/local/sources.yaml)")
	}
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

// nameRE is what a NATS subject token may be here: no dots, no wildcards.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Parse reads a registry from YAML:
//
//	sources:
//	  - name: hotline             # optional: the last segment of source
//	    source: /sources/hotline
//	    token_sha256: 5e8f…       # or token: <the token itself>
//	    types: [kaoping.complaint.assigned, kaoping.complaint.responded]
//
// Unknown keys, a missing token, a token listed twice, unknown event types,
// empty type lists, a name that is no subject token and a name given to two
// sources are errors: a mistake here should stop the service at start, not
// surface as 401s or dead letters later. Several tokens may share a source.
func Parse(b []byte) (*Registry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	r := &Registry{byHash: make(map[[32]byte]Grant, len(f.Sources)), byName: map[string]*Source{}}
	byURI := map[string]*Source{}
	for i, e := range f.Sources {
		if err := r.add(e, byURI); err != nil {
			return nil, fmt.Errorf("sources[%d]: %w", i, err)
		}
	}
	if len(r.byHash) == 0 {
		return nil, fmt.Errorf("no sources: no token would be accepted")
	}
	return r, nil
}

func (r *Registry) add(e entry, byURI map[string]*Source) error {
	hash, err := e.tokenHash()
	if err != nil {
		return err
	}
	if _, dup := r.byHash[hash]; dup {
		return fmt.Errorf("%s: the token is already given to another entry", e.Source)
	}
	types, err := e.typeSet()
	if err != nil {
		return err
	}
	name := e.Name
	if name == "" {
		name = path.Base(e.Source)
	}
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%s: name %q is not a subject token (letters, digits, - and _; give name: explicitly)", e.Source, name)
	}
	s := byURI[e.Source]
	switch {
	case s == nil && r.byName[name] != nil:
		return fmt.Errorf("%s: name %q is already the name of %s", e.Source, name, r.byName[name].URI)
	case s == nil:
		s = &Source{Name: name, URI: e.Source, types: map[string]bool{}}
		byURI[e.Source], r.byName[name] = s, s
	case s.Name != name:
		return fmt.Errorf("%s: named both %q and %q", e.Source, s.Name, name)
	}
	// The source may send on NATS what any of its tokens may send.
	if types == nil {
		s.types = nil
	} else if s.types != nil {
		for t := range types {
			s.types[t] = true
		}
	}
	r.byHash[hash] = Grant{Source: s, types: types}
	return nil
}

func (e entry) tokenHash() ([32]byte, error) {
	var h [32]byte
	switch {
	case e.Source == "":
		return h, fmt.Errorf("source is empty")
	case len(e.Source) > 256:
		// The envelope schema caps source at 256 characters; a longer one could
		// never send a valid event.
		return h, fmt.Errorf("source is longer than 256 characters")
	case e.Token != "" && e.TokenSHA256 != "":
		return h, fmt.Errorf("%s: give token or token_sha256, not both", e.Source)
	case e.Token != "":
		return sha256.Sum256([]byte(e.Token)), nil
	case e.TokenSHA256 == "":
		return h, fmt.Errorf("%s: token is empty (give token_sha256: <hex> or token: <token>)", e.Source)
	}
	b, err := hex.DecodeString(e.TokenSHA256)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%s: token_sha256 is not 64 hex digits", e.Source)
	}
	copy(h[:], b)
	return h, nil
}

// typeSet reads the type list; nil means every type.
func (e entry) typeSet() (map[string]bool, error) {
	if len(e.Types) == 0 {
		return nil, fmt.Errorf("%s: types is empty (use [\"*\"] for every type)", e.Source)
	}
	if slices.Contains(e.Types, AllTypes) {
		if len(e.Types) > 1 {
			return nil, fmt.Errorf("%s: %q allows every type and stands alone", e.Source, AllTypes)
		}
		return nil, nil
	}
	types := make(map[string]bool, len(e.Types))
	for _, t := range e.Types {
		if !slices.Contains(event.Types, t) {
			return nil, fmt.Errorf("%s: unknown event type %q", e.Source, t)
		}
		types[t] = true
	}
	return types, nil
}

// RegisterFlags declares the registry's path (KAOPING_SOURCES) on fs, for
// flagenv.Parse; ingest and the aggregator read the same file.
func RegisterFlags(fs *flag.FlagSet, path *string) map[string]string {
	fs.StringVar(path, "sources", "", "path of the source registry (YAML: name, source, token or token_sha256, types of each source); required")
	return map[string]string{"sources": "KAOPING_SOURCES"}
}
