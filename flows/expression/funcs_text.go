package expression

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// toStringFunc is ToString(x): x as text, the way templates show it.
func toStringFunc(args ...any) (any, error) {
	return Format(args[0]), nil
}

// formatDecimal is FormatDecimal(x, format): a number with a fixed number
// of decimals and optional thousands groups, in the subset of .NET custom
// numeric formats that DRUID's merge fields use: "#,#0.00" is 1,234.50.
// Digits are '0' (always shown) and '#' (shown when needed); a ',' in the
// integer part groups by thousands; the digits after '.' give the
// decimals. A null x gives "".
func formatDecimal(args ...any) (any, error) {
	if isNull(args[0]) {
		return "", nil
	}
	x, err := toFloat("FormatDecimal", args[0])
	if err != nil {
		return nil, err
	}
	format, err := toString("FormatDecimal", args[1])
	if err != nil {
		return nil, err
	}
	intPat, fracPat, _ := strings.Cut(format, ".")
	if strings.Trim(intPat, "#,0") != "" || strings.Trim(fracPat, "#0") != "" {
		return nil, fmt.Errorf("FormatDecimal: unsupported format %q (use the digits 0 and #, a ',' for thousands and a '.' before the decimals): %w", format, ErrTypeMismatch)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, fmt.Errorf("FormatDecimal: %v is not a number", x)
	}
	maxDec := len(fracPat)
	minDec := strings.Count(fracPat, "0") // a pattern such as "0#" or "00"
	minInt := strings.Count(intPat, "0")
	// Half away from zero, as .NET rounds; FormatFloat alone rounds half
	// to even.
	scale := math.Pow10(maxDec)
	s := strconv.FormatFloat(math.Round(math.Abs(x)*scale)/scale, 'f', maxDec, 64)
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) > minDec && strings.HasSuffix(frac, "0") {
		frac = frac[:len(frac)-1]
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) < minInt {
		whole = strings.Repeat("0", minInt-len(whole)) + whole
	}
	if strings.Contains(intPat, ",") {
		whole = groupThousands(whole)
	}
	var b strings.Builder
	if x < 0 && strings.Trim(whole+frac, "0,") != "" {
		b.WriteByte('-')
	}
	b.WriteString(whole)
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	if b.Len() == 0 {
		return "0", nil
	}
	return b.String(), nil
}

// groupThousands inserts ',' between groups of three digits.
func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first > 0 {
		b.WriteString(digits[:first])
	}
	for i := first; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
