package auth

import (
	"errors"
	"strings"
)

// Sentinel errors of the package. Check them with errors.Is; returned
// errors wrap them.
var (
	// ErrUnauthenticated: the bearer token is missing, unknown, or belongs
	// to a revoked account. Answer 401 without saying which.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: the principal's role is too low for the operation.
	// Answer 403 and call Service.Deny.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid is wrapped by every *ValidationError: the input was
	// refused and nothing was stored.
	ErrInvalid = errors.New("invalid input")
	// ErrLastAdmin: RevokeAccount of the last active admin account while no
	// bootstrap admin token is configured, which would leave nobody able to
	// manage accounts. Answer 409.
	ErrLastAdmin = errors.New("last active admin")
)

// FieldProblem is one thing wrong with the input, named by field ("name",
// "email", "role").
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem of one input at once. It wraps
// ErrInvalid.
type ValidationError struct {
	Problems []FieldProblem
}

// Error implements error: "invalid input: field: message; field: message".
func (e *ValidationError) Error() string {
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

// Unwrap returns ErrInvalid, so errors.Is(err, ErrInvalid) holds.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// problems collects FieldProblems; err returns nil when there are none.
type problems []FieldProblem

func (p *problems) add(field, msg string) { *p = append(*p, FieldProblem{Field: field, Message: msg}) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}
