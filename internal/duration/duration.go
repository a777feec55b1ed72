// Package duration is chatflow's one grammar for lengths of time that
// people write: configuration durations (retention: 7d, read_timeout: 3s),
// block periods typed by staff (90m, 36h, 2w, 3mo) and the clock moves of
// scripted conversations (advance: 1d).
//
// A duration is one or more terms, each a number (decimals allowed) and a
// unit, optionally separated by spaces: "90m", "36h", "7d", "1w",
// "1h30m", "1.5h", "2 weeks", "1 day 12 hours". The units, case-insensitive:
//
//	ns, us (µs), ms                          as in Go
//	s, sec, secs, second, seconds
//	m, min, mins, minute, minutes            m is always minutes, as in Go
//	h, hr, hrs, hour, hours
//	d, day, days                             24 hours
//	w, wk, wks, week, weeks                  7 days
//	mo, month, months                        30 days
//
// Every Go duration (time.ParseDuration) parses to the same value, except
// negative ones, which no setting needs. A month is always 30 days, so a
// duration has one length whatever the date. A number without a unit is
// not a duration ("7" could be minutes or days): the callers that accept
// one (a custom block period in minutes) decide so themselves.
package duration

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Lengths of the calendar units.
const (
	Day   = 24 * time.Hour
	Week  = 7 * Day
	Month = 30 * Day // a month is 30 days, on every date
)

// Examples names the forms of the grammar in error messages.
const Examples = "e.g. 90m, 36h, 7d, 1w, 3mo"

// ErrInvalid is wrapped by every error of Parse.
var ErrInvalid = errors.New("invalid duration")

// units maps every unit name to its length.
var units = map[string]time.Duration{
	"ns": time.Nanosecond,
	"us": time.Microsecond, "µs": time.Microsecond, "μs": time.Microsecond,
	"ms": time.Millisecond,
	"s":  time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": Day, "day": Day, "days": Day,
	"w": Week, "wk": Week, "wks": Week, "week": Week, "weeks": Week,
	"mo": Month, "month": Month, "months": Month,
}

// Error is a duration that does not parse: Input as written and what is
// wrong with it. It wraps ErrInvalid.
type Error struct {
	Input  string
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid duration %q: %s (%s)", e.Input, e.Reason, Examples)
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Parse parses s (see the package documentation). Errors are *Error.
func Parse(s string) (time.Duration, error) {
	fail := func(reason string) (time.Duration, error) { return 0, &Error{Input: s, Reason: reason} }
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return fail("empty")
	}
	if in == "0" {
		return 0, nil // as in Go
	}
	var total float64
	for in != "" {
		i := 0
		for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
			i++
		}
		if i == 0 {
			return fail(fmt.Sprintf("%q is not a number", firstWord(in)))
		}
		n, err := strconv.ParseFloat(in[:i], 64)
		if err != nil {
			return fail(fmt.Sprintf("%q is not a number", in[:i]))
		}
		in = strings.TrimLeft(in[i:], " ")
		j := 0
		for j < len(in) && !(in[j] >= '0' && in[j] <= '9' || in[j] == '.' || in[j] == ' ') {
			j++
		}
		if j == 0 {
			return fail(fmt.Sprintf("%s has no unit", strconv.FormatFloat(n, 'f', -1, 64)))
		}
		unit, ok := units[in[:j]]
		if !ok {
			return fail(fmt.Sprintf("unknown unit %q", in[:j]))
		}
		total += n * float64(unit)
		in = strings.TrimLeft(in[j:], " ")
	}
	// NaN cannot occur (no sign, no exponent); an overflow would convert
	// to an arbitrary Duration, not fail.
	if total >= math.MaxInt64 {
		return fail("too long")
	}
	return time.Duration(total), nil
}

// Format writes d in the grammar, in the largest units that divide it
// exactly ("7d", "36h", "90m", "1w", "1h30m"); durations below a second
// or with fractions of one use Go's form ("1.5s").
func Format(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d < 0 || d%time.Second != 0 {
		return d.String()
	}
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"w", Week}, {"d", Day}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	out := d.String() // e.g. 36h0m0s, 1h30m0s, 1m30s
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}
