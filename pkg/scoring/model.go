// Package scoring is the model kp-2026.1 of SPEC §5 as pure functions: cases
// from events, outcomes from cases at a run's instant, indicators and scores per
// subject, and ranks with grades. It does no I/O; the scorer feeds it the
// events read from ClickHouse, so one reading of the spec lives in one place.
package scoring

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"kaoping/schemas"
)

// The indicators, in the order they are shown.
const (
	ResponseRate     = "response_rate"
	ResolutionRate   = "resolution_rate"
	SatisfactionRate = "satisfaction_rate"
	ClosureRate      = "closure_rate"
	ReviewScore      = "review_score"
)

// Indicators lists the indicator names in display order.
var Indicators = []string{ResponseRate, ResolutionRate, SatisfactionRate, ClosureRate, ReviewScore}

// Model is a versioned scoring model read from a model file (SPEC §5 "The
// model file"; every key in docs/models.md).
type Model struct {
	Version  string
	SHA256   string
	Location *time.Location
	// File is the model file's bytes: a run stores them, so its results can
	// be read without the file.
	File []byte

	// Weights holds the weight of every indicator the model computes; an
	// indicator left out of the file's weights is not computed (shown as not
	// applicable, weight 0).
	Weights      map[string]*big.Rat
	IssueWeights map[string]int64
	// SatisfiedRating is the file's satisfied_rating, 0 when the file gives
	// satisfaction_credit instead.
	SatisfiedRating uint8
	// SatCredit[r] is the credit rating r earns, in units of 1/SatScale: the
	// satisfaction numerator is kept as an integer count of those units
	// (SatScale is 1 for satisfied_rating, 10^k for credits of k decimals).
	SatCredit [6]int64
	SatScale  int64
	// MinCases are the least denominators of the four case indicators (in
	// the order of Indicators); 0 when the file sets none.
	MinCases      [4]int64
	PenaltyPoints map[string]int64
	PenaltyCap    int64
	// Grades are ordered best first; MinCenti is the lower bound in hundredths.
	Grades                []GradeBand
	ExcellentQuotaDivisor int
	ScoreDecimals         int
	Source                Source
	// Bands are the caseload bands of peer_bands, smallest first (the last
	// has Below 0: no bound); none when the model ranks every peer of a level
	// together.
	Bands []Band
	// LabelRules are the file's labels, in the order it lists them.
	LabelRules []LabelRule
}

// Band is a peer group by caseload: the subjects with fewer than Below
// complaints (0: any number) not in an earlier band.
type Band struct {
	Name  string
	Below int64
}

// Label rules (labels[].rule).
const (
	RuleTopShare     = "top_share"
	RuleBottomShare  = "bottom_share"
	RuleMostImproved = "most_improved"
	RulePoorTwice    = "poor_twice"
)

// LabelRule is one entry of the file's labels.
type LabelRule struct {
	Label string
	Rule  string
	// Share is the part of the scored peers top_share and bottom_share take.
	Share *big.Rat
	// Count is how many most_improved takes (ties at the border included);
	// By is "rank" or "score".
	Count int
	By    string
	// Grade is the grade poor_twice looks for (default: the last grade).
	Grade string
}

// Source is where a model's method comes from (the file's source).
type Source struct {
	Title string `yaml:"title" json:"title,omitempty"`
	URL   string `yaml:"url" json:"url,omitempty"`
	Date  string `yaml:"date" json:"date,omitempty"`
	Note  string `yaml:"note" json:"note,omitempty"`
}

// GradeBand is a grade and the lowest rounded score (in hundredths) that earns it.
type GradeBand struct {
	Grade    string
	MinCenti int64
}

// Decimal is a YAML scalar read as an exact decimal.
type Decimal struct{ *big.Rat }

// UnmarshalYAML reads the scalar's text, never a float.
func (d *Decimal) UnmarshalYAML(n *yaml.Node) error {
	r, ok := new(big.Rat).SetString(n.Value)
	if !ok || !jsonNumber.MatchString(n.Value) {
		return fmt.Errorf("line %d: %q is not a decimal", n.Line, n.Value)
	}
	d.Rat = r
	return nil
}

type modelFile struct {
	Version            string             `yaml:"version"`
	Timezone           string             `yaml:"timezone"`
	Weights            map[string]Decimal `yaml:"weights"`
	IssueWeights       map[string]int64   `yaml:"issue_weights"`
	SatisfiedRating    uint8              `yaml:"satisfied_rating"`
	SatisfactionCredit map[int]Decimal    `yaml:"satisfaction_credit"`
	MinCases           map[string]int64   `yaml:"min_cases"`
	Penalty            struct {
		Points map[string]int64 `yaml:"points"`
		Cap    int64            `yaml:"cap"`
	} `yaml:"penalty"`
	Grades []struct {
		Grade string  `yaml:"grade"`
		Min   Decimal `yaml:"min"`
	} `yaml:"grades"`
	ExcellentQuotaDivisor int    `yaml:"excellent_quota_divisor"`
	ScoreDecimals         int    `yaml:"score_decimals"`
	Source                Source `yaml:"source"`
	PeerBands             *struct {
		By    string `yaml:"by"`
		Bands []struct {
			Band  string `yaml:"band"`
			Below int64  `yaml:"below"`
		} `yaml:"bands"`
	} `yaml:"peer_bands"`
	Labels []struct {
		Label string  `yaml:"label"`
		Rule  string  `yaml:"rule"`
		Share Decimal `yaml:"share"`
		Count int     `yaml:"count"`
		By    string  `yaml:"by"`
		Grade string  `yaml:"grade"`
	} `yaml:"labels"`
}

// DefaultVersion is the model used when none is named.
const DefaultVersion = "kp-2026.1"

// LoadModel reads the embedded model of the given version.
func LoadModel(version string) (*Model, error) {
	b, err := fs.ReadFile(schemas.Models, "models/"+version+".yaml")
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", version, err)
	}
	return ParseModelFile(version+".yaml", b)
}

// EmbeddedModels reads every model built into the binary, sorted by version.
func EmbeddedModels() ([]*Model, error) {
	names, err := fs.Glob(schemas.Models, "models/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*Model
	for _, name := range names {
		m, err := LoadModel(strings.TrimSuffix(path.Base(name), ".yaml"))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ParseModel reads a model file whose name is not known (a run's stored copy).
func ParseModel(b []byte) (*Model, error) { return ParseModelFile("", b) }

// ParseModelFile reads a model file; the SHA-256 of its bytes is recorded by
// every run. A file named <version>.yaml must hold that version. Every
// refusal names the file and the key: "model kp-x.yaml: weights.response_rate:
// must be > 0".
func ParseModelFile(name string, b []byte) (*Model, error) {
	m, err := parseModel(name, b)
	if err != nil {
		if name == "" {
			return nil, fmt.Errorf("model: %w", err)
		}
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	return m, nil
}

func parseModel(name string, b []byte) (*Model, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if err := validateModel(&doc); err != nil {
		return nil, err
	}
	var f modelFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if err := dec.Decode(new(yaml.Node)); err != io.EOF {
		return nil, fmt.Errorf("the file holds more than one YAML document (---): a model file is one")
	}
	if want := strings.TrimSuffix(name, ".yaml"); name != "" && f.Version != want {
		return nil, fmt.Errorf("version: %q, but the file is named %s (a model file is <version>.yaml)", f.Version, name)
	}
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil || f.Timezone == "Local" {
		return nil, fmt.Errorf("timezone: %q is not a time zone (Asia/Shanghai, UTC, …)", f.Timezone)
	}
	sum := sha256.Sum256(b)
	m := &Model{
		Version: f.Version, SHA256: hex.EncodeToString(sum[:]), Location: loc, File: append([]byte(nil), b...),
		Weights: map[string]*big.Rat{}, IssueWeights: f.IssueWeights, SatisfiedRating: f.SatisfiedRating,
		PenaltyPoints: f.Penalty.Points, PenaltyCap: f.Penalty.Cap,
		ExcellentQuotaDivisor: f.ExcellentQuotaDivisor, ScoreDecimals: f.ScoreDecimals, Source: f.Source,
	}
	for name, w := range f.Weights {
		m.Weights[name] = w.Rat
	}
	for i, name := range Indicators[:4] {
		m.MinCases[i] = f.MinCases[name]
	}
	m.SatScale = 1
	if f.SatisfactionCredit == nil {
		for r := int(f.SatisfiedRating); r <= 5; r++ {
			m.SatCredit[r] = 1
		}
	} else {
		// The scale is the power of ten of the credit with most decimals, so
		// that every credit is a whole number of its units.
		decimals := 0
		for r, c := range f.SatisfactionCredit {
			for !hasDecimals(c.Rat, decimals) {
				if decimals++; decimals > 4 {
					return nil, fmt.Errorf("satisfaction_credit.%d: at most 4 decimals", r)
				}
			}
		}
		for range decimals {
			m.SatScale *= 10
		}
		for r, c := range f.SatisfactionCredit {
			m.SatCredit[r] = new(big.Int).Quo(new(big.Int).Mul(c.Num(), big.NewInt(m.SatScale)), c.Denom()).Int64()
		}
	}
	for i, g := range f.Grades {
		minCenti := roundHalfUp(new(big.Rat).Mul(g.Min.Rat, big.NewRat(100, 1)), 0).Num().Int64()
		if i > 0 && minCenti >= m.Grades[i-1].MinCenti {
			return nil, fmt.Errorf("grades[%d].min: must be below the min of %s (grades are listed best first)", i, m.Grades[i-1].Grade)
		}
		for _, h := range m.Grades {
			if h.Grade == g.Grade {
				return nil, fmt.Errorf("grades[%d].grade: %s is listed twice", i, g.Grade)
			}
		}
		m.Grades = append(m.Grades, GradeBand{Grade: g.Grade, MinCenti: minCenti})
	}
	if last := m.Grades[len(m.Grades)-1]; last.MinCenti != 0 {
		return nil, fmt.Errorf("grades[%d].min: the last grade must start at 0, so that every score has a grade", len(m.Grades)-1)
	}
	if pb := f.PeerBands; pb != nil {
		for i, b := range pb.Bands {
			last := i == len(pb.Bands)-1
			switch {
			case last && b.Below != 0:
				return nil, fmt.Errorf("peer_bands.bands[%d].below: the last band takes every larger caseload and has no below", i)
			case !last && b.Below == 0:
				return nil, fmt.Errorf("peer_bands.bands[%d].below: missing (every band but the last has one)", i)
			case i > 0 && !last && b.Below <= pb.Bands[i-1].Below:
				return nil, fmt.Errorf("peer_bands.bands[%d].below: must be above the below of %s (bands are listed smallest first)", i, pb.Bands[i-1].Band)
			}
			for _, x := range m.Bands {
				if x.Name == b.Band {
					return nil, fmt.Errorf("peer_bands.bands[%d].band: %s is listed twice", i, b.Band)
				}
			}
			m.Bands = append(m.Bands, Band{Name: b.Band, Below: b.Below})
		}
	}
	for i, l := range f.Labels {
		rule := LabelRule{Label: l.Label, Rule: l.Rule, Share: l.Share.Rat, Count: l.Count, By: l.By, Grade: l.Grade}
		need := func(key string, ok bool) error {
			if !ok {
				return fmt.Errorf("labels[%d].%s: missing (rule %s needs it)", i, key, l.Rule)
			}
			return nil
		}
		refuse := func(key string, given bool) error {
			if given {
				return fmt.Errorf("labels[%d].%s: rule %s does not take it", i, key, l.Rule)
			}
			return nil
		}
		var errs []error
		switch l.Rule {
		case RuleTopShare, RuleBottomShare:
			errs = []error{need("share", l.Share.Rat != nil), refuse("count", l.Count != 0), refuse("by", l.By != ""), refuse("grade", l.Grade != "")}
		case RuleMostImproved:
			errs = []error{need("count", l.Count != 0), need("by", l.By != ""), refuse("share", l.Share.Rat != nil), refuse("grade", l.Grade != "")}
		case RulePoorTwice:
			errs = []error{refuse("share", l.Share.Rat != nil), refuse("count", l.Count != 0), refuse("by", l.By != "")}
			if rule.Grade == "" {
				rule.Grade = m.Grades[len(m.Grades)-1].Grade
			} else if !slices.ContainsFunc(m.Grades, func(g GradeBand) bool { return g.Grade == rule.Grade }) {
				errs = append(errs, fmt.Errorf("labels[%d].grade: %s is not a grade of the model", i, rule.Grade))
			}
		}
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		m.LabelRules = append(m.LabelRules, rule)
	}
	return m, nil
}

// BandOf is the band of a subject with the given caseload (complaints of the
// period not excluded); "" when the model has no bands.
func (m *Model) BandOf(cases int64) string {
	for _, b := range m.Bands {
		if b.Below == 0 || cases < b.Below {
			return b.Name
		}
	}
	return ""
}

// Computes reports whether the model computes the indicator (it has a weight).
func (m *Model) Computes(indicator string) bool { return m.Weights[indicator] != nil }

// Info is what GET /v1/models lists of a model.
type Info struct {
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Source  Source `json:"source"`
}

// Info describes the model.
func (m *Model) Info() Info { return Info{Version: m.Version, SHA256: m.SHA256, Source: m.Source} }
