package blocking

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chatflow/chatflow/contextstore"
)

// Lengths of the preset periods, in minutes (see contextstore.Period). A
// month is 30 days: a period is a number of minutes, so it means the same
// on every day of the year and the end shown to the admin is exact. To end
// a block on a calendar date ("until 30 March"), use Edit with Until.
const (
	MinutesPerHour  = contextstore.MinutesPerHour
	MinutesPerDay   = contextstore.MinutesPerDay
	MinutesPerWeek  = contextstore.MinutesPerWeek
	MinutesPerMonth = contextstore.MinutesPerMonth
	// MaxMinutes is the longest custom period, about ten years; longer
	// blocks are permanent.
	MaxMinutes = contextstore.MaxMinutes
)

// Period is how long a block lasts: contextstore.Period, named here for
// the service's callers.
type Period = contextstore.Period

// Preset is one of the periods offered in the admin UI.
type Preset struct {
	// Name is the short form ParsePeriod accepts ("1h").
	Name string
	// Label is for people ("1 hour").
	Label  string
	Period Period
}

// Presets returns the preset periods of the product, shortest first:
// 1 hour, 1 day, 1 week, 7 days, 1 month (30 days) and permanent. (1 week
// and 7 days are the same length; both are offered because both products
// the specification describes name them.)
func Presets() []Preset {
	return []Preset{
		{"1h", "1 hour", Period{Minutes: MinutesPerHour}},
		{"1d", "1 day", Period{Minutes: MinutesPerDay}},
		{"1w", "1 week", Period{Minutes: MinutesPerWeek}},
		{"7d", "7 days", Period{Minutes: 7 * MinutesPerDay}},
		{"1m", "1 month (30 days)", Period{Minutes: MinutesPerMonth}},
		{"permanent", "permanent", Period{Permanent: true}},
	}
}

// periodHelp ends every ParsePeriod error.
const periodHelp = contextstore.PeriodHelp

// ParsePeriod parses what an admin picks or types, case-insensitively and
// ignoring surrounding space:
//
//	1h, 1d, 1w, 7d, 1m    the presets (1m is one month of 30 days)
//	1 hour, 1 day, 1 week, 7 days, 1 month   the same, spelt out
//	permanent
//	90                    a custom number of minutes
//	90min, 2h, 3d, 2w, 3mo   a count with a unit (min, h, d, w, mo, or the
//	                      spelt-out words)
//
// "m" means month only in the preset "1m"; any other count with "m"
// ("90m") is refused as ambiguous, since it is a classic way to block
// someone for 90 months instead of 90 minutes. Errors are *ValidationError
// values for the field "period", wrapping ErrInvalid.
func ParsePeriod(s string) (Period, error) {
	in := strings.ToLower(strings.Join(strings.Fields(s), " "))
	fail := func(msg string) (Period, error) {
		return Period{}, problems{{Field: "period", Message: msg}}.err()
	}
	if in == "" {
		return fail("empty; " + periodHelp)
	}
	if in == "permanent" {
		return Period{Permanent: true}, nil
	}
	i := 0
	for i < len(in) && in[i] >= '0' && in[i] <= '9' {
		i++
	}
	if i == 0 {
		return fail(fmt.Sprintf("%q is not a period; %s", s, periodHelp))
	}
	n, err := strconv.Atoi(in[:i])
	if err != nil || n > MaxMinutes {
		return fail(fmt.Sprintf("%q is too long; the longest custom period is %d minutes (10 years), use permanent beyond", s, MaxMinutes))
	}
	unit := strings.TrimSpace(in[i:])
	var per int
	switch unit {
	case "", "min", "mins", "minute", "minutes":
		per = 1
	case "h", "hour", "hours":
		per = MinutesPerHour
	case "d", "day", "days":
		per = MinutesPerDay
	case "w", "week", "weeks":
		per = MinutesPerWeek
	case "mo", "month", "months":
		per = MinutesPerMonth
	case "m":
		if n != 1 {
			return fail(fmt.Sprintf("%q is ambiguous: write %dmin for minutes or %dmo for months", s, n, n))
		}
		per = MinutesPerMonth
	default:
		return fail(fmt.Sprintf("%q has an unknown unit %q; %s", s, unit, periodHelp))
	}
	if n == 0 {
		return fail(fmt.Sprintf("%q is zero; a block lasts at least 1 minute", s))
	}
	if n > MaxMinutes/per {
		return fail(fmt.Sprintf("%q is too long; the longest custom period is %d minutes (10 years), use permanent beyond", s, MaxMinutes))
	}
	return Period{Minutes: n * per}, nil
}
