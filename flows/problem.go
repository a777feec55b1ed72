package flows

import (
	"errors"
	"fmt"
	"strings"
)

// Severity says whether a problem stops a flow from loading.
type Severity int

// Severities.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// Problem is one lint finding with its location. Msg may span several lines
// (an expression error carries a caret snippet).
type Problem struct {
	Pos      Pos
	Severity Severity
	Msg      string
}

// String formats the problem as "file:line:col: msg" for errors and
// "file:line:col: warning: msg" for warnings.
func (p Problem) String() string {
	if p.Severity == SeverityWarning {
		return fmt.Sprintf("%s: warning: %s", p.Pos, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.Pos, p.Msg)
}

// Problems is a list of findings, in file order.
type Problems []Problem

// HasErrors reports whether any problem is an error (not a warning).
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Err returns nil when there is no error, else a *LoadError holding all
// problems (warnings included).
func (ps Problems) Err() error {
	if !ps.HasErrors() {
		return nil
	}
	return &LoadError{Problems: ps}
}

// ErrInvalidFlow is wrapped by *LoadError.
var ErrInvalidFlow = errors.New("invalid flow")

// LoadError reports every problem found while loading flows.
type LoadError struct{ Problems Problems }

// Error lists the problems one per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrInvalidFlow) true.
func (e *LoadError) Unwrap() error { return ErrInvalidFlow }
