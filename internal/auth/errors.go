package auth

import (
	"errors"

	"github.com/chatflow/chatflow/internal/fielderr"
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
	// refused and nothing was stored (fielderr.ErrInvalid).
	ErrInvalid = fielderr.ErrInvalid
	// ErrLastAdmin: RevokeAccount of the last active admin account while no
	// bootstrap admin token is configured, which would leave nobody able to
	// manage accounts. Answer 409.
	ErrLastAdmin = errors.New("last active admin")
)

// FieldProblem is one thing wrong with the input, named by field ("name",
// "email", "role").
type FieldProblem = fielderr.Problem

// ValidationError lists every problem of one input at once. It wraps
// ErrInvalid.
type ValidationError = fielderr.Error

// problems collects FieldProblems; err returns nil when there are none.
type problems []FieldProblem

func (p *problems) add(field, msg string) { *p = append(*p, FieldProblem{Field: field, Message: msg}) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}
