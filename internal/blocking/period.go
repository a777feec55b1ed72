package blocking

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Lengths of the preset periods, in minutes. A month is 30 days: a period
// is a number of minutes, so it means the same on every day of the year and
// the end shown to the admin is exact. To end a block on a calendar date
// ("until 30 March"), use Edit with Until.
const (
	MinutesPerHour  = 60
	MinutesPerDay   = 24 * MinutesPerHour
	MinutesPerWeek  = 7 * MinutesPerDay
	MinutesPerMonth = 30 * MinutesPerDay
	// MaxMinutes is the longest custom period, about ten years; longer
	// blocks are permanent.
	MaxMinutes = 3650 * MinutesPerDay
)

// Period is how long a block lasts from the moment it is created or
// renewed: a number of minutes, or permanent. The zero Period is invalid
// (a block always has a chosen length).
type Period struct {
	// Minutes is the length; 1..MaxMinutes unless Permanent.
	Minutes int `json:"Minutes,omitempty"`
	// Permanent blocks have no end until they are lifted; Minutes must
	// then be 0.
	Permanent bool `json:"Permanent,omitempty"`
}

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
const periodHelp = "use 1h, 1d, 1w, 7d, 1m (30 days), permanent, or minutes such as 90"

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

// problem returns what is wrong with p, or "".
func (p Period) problem() string {
	switch {
	case p.Permanent && p.Minutes != 0:
		return "choose either minutes or permanent, not both"
	case p.Permanent:
		return ""
	case p.Minutes == 0:
		return "required: " + periodHelp
	case p.Minutes < 0:
		return fmt.Sprintf("%d minutes is negative; a block lasts at least 1 minute", p.Minutes)
	case p.Minutes > MaxMinutes:
		return fmt.Sprintf("%d minutes is too long; the longest custom period is %d minutes (10 years), use permanent beyond", p.Minutes, MaxMinutes)
	}
	return ""
}

// Duration returns the length of p; 0 for a permanent period.
func (p Period) Duration() time.Duration {
	if p.Permanent {
		return 0
	}
	return time.Duration(p.Minutes) * time.Minute
}

// Until returns when a block of length p starting at from ends, or nil for
// a permanent one.
func (p Period) Until(from time.Time) *time.Time {
	if p.Permanent {
		return nil
	}
	u := from.Add(p.Duration())
	return &u
}

// String returns the shortest form ParsePeriod reads back: "permanent",
// "1m" for a month, "3mo", "2w", "7d", "1h", "90min"; "invalid" for a
// Period that is not valid.
func (p Period) String() string {
	if p.problem() != "" {
		return "invalid"
	}
	m := p.Minutes
	switch {
	case p.Permanent:
		return "permanent"
	case m == MinutesPerMonth:
		return "1m"
	case m%MinutesPerMonth == 0:
		return strconv.Itoa(m/MinutesPerMonth) + "mo"
	case m%MinutesPerWeek == 0 && m != 7*MinutesPerDay:
		return strconv.Itoa(m/MinutesPerWeek) + "w"
	case m%MinutesPerDay == 0:
		return strconv.Itoa(m/MinutesPerDay) + "d"
	case m%MinutesPerHour == 0:
		return strconv.Itoa(m/MinutesPerHour) + "h"
	}
	return strconv.Itoa(m) + "min"
}
