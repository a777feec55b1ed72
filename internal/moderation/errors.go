package moderation

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the package. Check them with errors.Is.
var (
	// ErrConfig wraps every problem Check finds in a configuration.
	ErrConfig = errors.New("moderation: invalid configuration")
	// ErrLimited is wrapped by *LimitError: a rate limit refused the
	// request.
	ErrLimited = errors.New("rate limit exceeded")
)

// LimitError is a refusal by a rate limit: Limit names it, RetryAfter says
// when the next request would be allowed (the HTTP Retry-After).
type LimitError struct {
	Limit      string
	RetryAfter time.Duration
}

// Error names the limit and the wait.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s; retry after %s", ErrLimited, e.Limit, e.RetryAfter.Round(time.Millisecond))
}

// Unwrap makes errors.Is(err, ErrLimited) true.
func (e *LimitError) Unwrap() error { return ErrLimited }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1:
// the value of an HTTP Retry-After header.
func (e *LimitError) RetryAfterSeconds() int {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}
