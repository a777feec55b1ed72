package blocking

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/duration"
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
		{"1mo", "1 month (30 days)", Period{Minutes: MinutesPerMonth}},
		{"permanent", "permanent", Period{Permanent: true}},
	}
}

// periodHelp ends every ParsePeriod error.
const periodHelp = contextstore.PeriodHelp

// ParsePeriod parses what an admin picks or types, case-insensitively and
// ignoring surrounding space:
//
//	1h, 1d, 1w, 7d, 1mo   the presets (1mo is one month of 30 days)
//	1 hour, 1 day, 1 week, 7 days, 1 month   the same, spelt out
//	permanent
//	90                    a custom number of minutes
//	90m, 36h, 3d, 2w, 3mo, 1h30m   any duration of internal/duration, the
//	                      grammar of the configuration too
//
// "m" is minutes, as in every duration chatflow reads (and in Go); months
// are "mo". (Until the first release "90m" was refused as ambiguous and
// "1m" was the one-month preset; see the changelog.) A period is a whole
// number of minutes, at least 1. Errors are *ValidationError values for
// the field "period", wrapping ErrInvalid.
func ParsePeriod(s string) (Period, error) {
	in := strings.ToLower(strings.Join(strings.Fields(s), " "))
	fail := func(msg string) (Period, error) {
		return Period{}, problems{{Field: "period", Message: msg}}.err()
	}
	tooLong := func() (Period, error) {
		return fail(fmt.Sprintf("%q is too long; the longest custom period is %d minutes (10 years), use permanent beyond", s, MaxMinutes))
	}
	if in == "" {
		return fail("empty; " + periodHelp)
	}
	if in == "permanent" {
		return Period{Permanent: true}, nil
	}
	var minutes int
	if strings.Trim(in, "0123456789") == "" { // custom minutes
		n, err := strconv.Atoi(in)
		if err != nil || n > MaxMinutes {
			return tooLong()
		}
		minutes = n
	} else {
		d, err := duration.Parse(in)
		var de *duration.Error
		if errors.As(err, &de) {
			if de.Reason == "too long" {
				return tooLong()
			}
			return fail(fmt.Sprintf("%q is not a period: %s; %s", s, de.Reason, periodHelp))
		}
		if d%time.Minute != 0 {
			return fail(fmt.Sprintf("%q is not a whole number of minutes; a block lasts whole minutes", s))
		}
		if d/time.Minute > MaxMinutes {
			return tooLong()
		}
		minutes = int(d / time.Minute)
	}
	if minutes == 0 {
		return fail(fmt.Sprintf("%q is zero; a block lasts at least 1 minute", s))
	}
	return Period{Minutes: minutes}, nil
}
