// Package fielderr is the validation error of chatflow's services: every
// problem of one input at once, each named by the field the API uses, so
// the HTTP layer can answer 422 problem+json with an errors array and
// callers can check errors.Is(err, ErrInvalid). The blocking and auth
// services alias these types.
package fielderr

import (
	"errors"
	"strings"
)

// ErrInvalid is wrapped by every *Error: the input was refused and nothing
// was stored.
var ErrInvalid = errors.New("invalid input")

// Problem is one thing wrong with the input, named by field (snake_case,
// with an index for list elements: "channels[1]").
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Err is the underlying error, if any, for errors.Is/As.
	Err error `json:"-"`
}

// Error lists every problem of one input at once. It wraps ErrInvalid and
// the Err of each problem.
type Error struct {
	Problems []Problem
}

// Error implements error: "invalid input: field: message; field: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalid.Error())
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

// Unwrap returns ErrInvalid and the Err of every problem that has one.
func (e *Error) Unwrap() []error {
	out := []error{ErrInvalid}
	for _, p := range e.Problems {
		if p.Err != nil {
			out = append(out, p.Err)
		}
	}
	return out
}
