package workinghours

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of the package; check them with errors.Is. New returns a
// *ConfigError wrapping ErrInvalidConfig and one *FieldError per problem,
// each wrapping one of the others.
var (
	// ErrInvalidConfig is wrapped by every error of New.
	ErrInvalidConfig = errors.New("invalid working hours")
	// ErrTimeZone: time_zone is not an IANA time zone name.
	ErrTimeZone = errors.New("unknown time zone")
	// ErrInterval: an interval is not "HH:MM-HH:MM" with valid times and a
	// start different from its end.
	ErrInterval = errors.New("invalid interval")
	// ErrOverlap: two intervals of the same day overlap.
	ErrOverlap = errors.New("overlapping intervals")
	// ErrDate: a holiday date is missing or not YYYY-MM-DD.
	ErrDate = errors.New("invalid date")
	// ErrDuplicateHoliday: two holidays share a date.
	ErrDuplicateHoliday = errors.New("duplicate holiday")
)

// FieldError is one problem of a Config: where (Path, e.g.
// "weekly.monday[1]" or "holidays[0].date"), the offending Value, and what is
// wrong (Err, wrapping a sentinel).
type FieldError struct {
	Path  string
	Value string
	Err   error
}

// Error implements error: `<path>: "<value>": <what is wrong>`.
func (e *FieldError) Error() string { return fmt.Sprintf("%s: %q: %v", e.Path, e.Value, e.Err) }

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// ConfigError lists every problem New found, in field order.
type ConfigError struct {
	Problems []*FieldError
}

// Error implements error. One problem is one line; several are listed one a
// line under a heading.
func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("%v: %v", ErrInvalidConfig, e.Problems[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v (%d problems):", ErrInvalidConfig, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns ErrInvalidConfig and every problem.
func (e *ConfigError) Unwrap() []error {
	errs := []error{ErrInvalidConfig}
	for _, p := range e.Problems {
		errs = append(errs, p)
	}
	return errs
}
