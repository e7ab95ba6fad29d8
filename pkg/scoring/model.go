// Package scoring is the model kp-2026.1 of SPEC §5 as pure functions: cases
// from events, outcomes from cases at a run's instant, indicators and scores per
// subject, and ranks with grades. It does no I/O; the scorer feeds it the
// events read from ClickHouse, so one reading of the spec lives in one place.
package scoring

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/big"
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

// Model is a versioned scoring model read from schemas/models/<version>.yaml.
type Model struct {
	Version  string
	SHA256   string
	Location *time.Location

	Weights         map[string]*big.Rat
	IssueWeights    map[string]int64
	SatisfiedRating uint8
	PenaltyPoints   map[string]int64
	PenaltyCap      int64
	// Grades are ordered best first; MinCenti is the lower bound in hundredths.
	Grades                []GradeBand
	ExcellentQuotaDivisor int
	ScoreDecimals         int
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
	if !ok {
		return fmt.Errorf("line %d: %q is not a decimal", n.Line, n.Value)
	}
	d.Rat = r
	return nil
}

type modelFile struct {
	Version         string             `yaml:"version"`
	Timezone        string             `yaml:"timezone"`
	Weights         map[string]Decimal `yaml:"weights"`
	IssueWeights    map[string]int64   `yaml:"issue_weights"`
	SatisfiedRating uint8              `yaml:"satisfied_rating"`
	Penalty         struct {
		Points map[string]int64 `yaml:"points"`
		Cap    int64            `yaml:"cap"`
	} `yaml:"penalty"`
	Grades []struct {
		Grade string  `yaml:"grade"`
		Min   Decimal `yaml:"min"`
	} `yaml:"grades"`
	ExcellentQuotaDivisor int `yaml:"excellent_quota_divisor"`
	ScoreDecimals         int `yaml:"score_decimals"`
}

// DefaultVersion is the model used when none is named.
const DefaultVersion = "kp-2026.1"

// LoadModel reads the embedded model of the given version.
func LoadModel(version string) (*Model, error) {
	b, err := fs.ReadFile(schemas.Models, "models/"+version+".yaml")
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", version, err)
	}
	return ParseModel(b)
}

// ParseModel reads a model file; the SHA-256 of its bytes is recorded by every run.
func ParseModel(b []byte) (*Model, error) {
	var f modelFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil {
		return nil, fmt.Errorf("model %s: timezone: %w", f.Version, err)
	}
	sum := sha256.Sum256(b)
	m := &Model{
		Version: f.Version, SHA256: hex.EncodeToString(sum[:]), Location: loc,
		Weights: map[string]*big.Rat{}, IssueWeights: f.IssueWeights, SatisfiedRating: f.SatisfiedRating,
		PenaltyPoints: f.Penalty.Points, PenaltyCap: f.Penalty.Cap,
		ExcellentQuotaDivisor: f.ExcellentQuotaDivisor, ScoreDecimals: f.ScoreDecimals,
	}
	for _, name := range Indicators {
		w, ok := f.Weights[name]
		if !ok || w.Rat == nil || w.Sign() < 0 {
			return nil, fmt.Errorf("model %s: weight of %s missing or negative", f.Version, name)
		}
		m.Weights[name] = w.Rat
	}
	for _, g := range f.Grades {
		if g.Min.Rat == nil {
			return nil, fmt.Errorf("model %s: grade %s has no min", f.Version, g.Grade)
		}
		m.Grades = append(m.Grades, GradeBand{Grade: g.Grade, MinCenti: roundHalfUp(new(big.Rat).Mul(g.Min.Rat, big.NewRat(100, 1)), 0).Num().Int64()})
	}
	switch {
	case f.Version == "":
		return nil, fmt.Errorf("model: no version")
	case len(m.Grades) == 0:
		return nil, fmt.Errorf("model %s: no grades", f.Version)
	case m.ExcellentQuotaDivisor <= 0:
		return nil, fmt.Errorf("model %s: excellent_quota_divisor must be positive", f.Version)
	case m.ScoreDecimals != 2:
		// Ranks compare scores in hundredths; another precision needs code, not data.
		return nil, fmt.Errorf("model %s: score_decimals must be 2", f.Version)
	}
	return m, nil
}
