package scoring

import (
	"math/big"
	"strings"
)

// roundHalfUp rounds a non-negative or negative rational to the given decimals,
// halves away from zero, and returns the rounded value as a rational.
func roundHalfUp(x *big.Rat, decimals int) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	scaled := new(big.Rat).Mul(x, new(big.Rat).SetInt(scale))
	neg := scaled.Sign() < 0
	if neg {
		scaled.Neg(scaled)
	}
	// floor(scaled + 1/2)
	scaled.Add(scaled, big.NewRat(1, 2))
	q := new(big.Int).Quo(scaled.Num(), scaled.Denom())
	if neg {
		q.Neg(q)
	}
	return new(big.Rat).SetFrac(q, scale)
}

// FormatDecimal writes x rounded half up to at most `decimals` places, without
// trailing zeros: 87.3, 90, 0.8125.
func FormatDecimal(x *big.Rat, decimals int) string {
	s := roundHalfUp(x, decimals).FloatString(decimals)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// centi returns x rounded half up to hundredths, as an integer count of them.
func centi(x *big.Rat) int64 {
	r := roundHalfUp(x, 2)
	return new(big.Int).Quo(new(big.Int).Mul(r.Num(), big.NewInt(100)), r.Denom()).Int64()
}

// FormatCenti writes a score kept in hundredths as a decimal: 8735 → 87.35, 9000 → 90.
func FormatCenti(c int64) string {
	return FormatDecimal(big.NewRat(c, 100), 2)
}

// FormatCentiSigned writes a difference of scores in hundredths: -125 → -1.25.
func FormatCentiSigned(c int64) string {
	if c < 0 {
		return "-" + FormatCenti(-c)
	}
	return FormatCenti(c)
}
