package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors returned by the limiters. Check them with errors.Is.
var (
	// ErrInvalidLimit is returned by Allow for a limit that cannot be
	// enforced: Rate, Burst and Period must all be positive.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
)

// Limiter decides whether one more event under key may happen now. It is the
// interface callers declare; *Redis and *Memory implement it with the same
// GCRA semantics.
//
// Allow consumes one token when the event is allowed and nothing when it is
// refused. It returns an error wrapping ErrInvalidLimit for a limit that
// fails Limit.Validate, the context's error when ctx is done, and the
// backend's error (wrapped) otherwise; on error the Result is the zero value.
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (Result, error)
}

// Limit is Rate events per Period with bursts of up to Burst events; the
// shape of redis_rate.Limit. A key that has been quiet for Burst/Rate
// periods may spend Burst events at once; afterwards one event is allowed
// per Period/Rate (the emission interval).
type Limit struct {
	Rate   int
	Burst  int
	Period time.Duration
}

// PerSecond returns rate events per second with a burst of rate.
func PerSecond(rate int) Limit { return Limit{Rate: rate, Burst: rate, Period: time.Second} }

// PerMinute returns rate events per minute with a burst of rate.
func PerMinute(rate int) Limit { return Limit{Rate: rate, Burst: rate, Period: time.Minute} }

// PerHour returns rate events per hour with a burst of rate.
func PerHour(rate int) Limit { return Limit{Rate: rate, Burst: rate, Period: time.Hour} }

// String renders the limit as "10 req/1m0s (burst 5)".
func (l Limit) String() string {
	return fmt.Sprintf("%d req/%s (burst %d)", l.Rate, l.Period, l.Burst)
}

// maxBurstWindow bounds Period*Burst/Rate, the time a full burst takes to
// refill, so the nanosecond arithmetic of Memory cannot overflow.
const maxBurstWindow = 100 * 365 * 24 * time.Hour

// Validate returns an error wrapping ErrInvalidLimit unless Rate, Burst and
// Period are positive, the emission interval Period/Rate is at least one
// nanosecond and a full burst refills within 100 years.
func (l Limit) Validate() error {
	switch {
	case l.Rate <= 0:
		return fmt.Errorf("%w: rate %d is not positive", ErrInvalidLimit, l.Rate)
	case l.Burst <= 0:
		return fmt.Errorf("%w: burst %d is not positive", ErrInvalidLimit, l.Burst)
	case l.Period <= 0:
		return fmt.Errorf("%w: period %s is not positive", ErrInvalidLimit, l.Period)
	case int64(l.Period) < int64(l.Rate):
		return fmt.Errorf("%w: period %s is shorter than one nanosecond per event at rate %d", ErrInvalidLimit, l.Period, l.Rate)
	case mulDiv(int64(l.Period), int64(l.Burst), int64(l.Rate)) > int64(maxBurstWindow):
		return fmt.Errorf("%w: a burst of %d at %d per %s takes longer than 100 years to refill", ErrInvalidLimit, l.Burst, l.Rate, l.Period)
	}
	return nil
}

// Result is the outcome of one Allow call; the shape of redis_rate.Result.
type Result struct {
	// Limit is the limit the decision was taken under.
	Limit Limit
	// Allowed is 1 when the event may happen and 0 when it is refused.
	Allowed int
	// Remaining is how many more events would be allowed right now after
	// this one (0 when refused).
	Remaining int
	// RetryAfter is how long until the next event would be allowed; -1 when
	// this one was allowed. It is the value for an HTTP Retry-After header
	// (rounded up to whole seconds).
	RetryAfter time.Duration
	// ResetAfter is how long until the key is back to its initial state
	// (Remaining equal to Burst-1 on the next call).
	ResetAfter time.Duration
}

// OK reports whether the event was allowed.
func (r Result) OK() bool { return r.Allowed > 0 }
