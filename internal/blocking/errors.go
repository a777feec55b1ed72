package blocking

import (
	"errors"

	"github.com/chatflow/chatflow/internal/fielderr"
)

// Sentinel errors of the service. Check them with errors.Is; the errors
// returned wrap them (and contextstore.ErrNotFound for an unknown id).
var (
	// ErrInvalid is wrapped by every *ValidationError: the input was
	// refused and nothing was stored (fielderr.ErrInvalid).
	ErrInvalid = fielderr.ErrInvalid
	// ErrNotActive: Lift of a block that already ended (expired or lifted).
	ErrNotActive = errors.New("block is not active")
	// ErrLifted: Renew or Edit of the end of a block that an admin lifted;
	// create a new block instead of undoing someone's unblock.
	ErrLifted = errors.New("block was lifted")
	// ErrPurged: a change to a block whose personal data was purged after
	// the retention period; it is statistics now.
	ErrPurged = errors.New("block was purged")
	// ErrIncomplete: the block itself was saved, but a follow-up write (the
	// audit event, the user's ChatActivityData or the conversation
	// context) failed. The returned block is valid. UnblockUser and a
	// second Lift/Renew/Edit bring the entities back in line.
	ErrIncomplete = errors.New("change saved, follow-up failed")

	// errNoChange is returned by a modify callback that decided not to
	// write after all; modify then returns the block unchanged, no error.
	errNoChange = errors.New("no change")
)

// FieldProblem is one thing wrong with the input, named by field (the
// snake_case name the admin API uses, with an index for list elements:
// "channels[1]"); its Err is the underlying error (for instance an
// *ipban.RangeError), for errors.Is/As.
type FieldProblem = fielderr.Problem

// ValidationError lists every problem of one input at once; it wraps
// ErrInvalid and the Err of each problem.
type ValidationError = fielderr.Error

// problems collects FieldProblems; err returns nil when there are none.
type problems []FieldProblem

func (p *problems) add(field, msg string) { *p = append(*p, FieldProblem{Field: field, Message: msg}) }

func (p *problems) addErr(field, msg string, err error) {
	*p = append(*p, FieldProblem{Field: field, Message: msg, Err: err})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}
