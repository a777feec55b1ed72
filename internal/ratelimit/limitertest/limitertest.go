// Package limitertest is the conformance suite every ratelimit.Limiter
// passes: the same cases, with the same expectations, against the Redis
// limiter (on a real server) and the in-process one (on a fake clock).
//
// The cases never depend on scheduling. Limits are per hour or per day, so
// the real time a test takes (bounded by the harness clock read before the
// first and after the last call) is far smaller than one emission interval;
// counts are compared exactly and durations within that measured elapsed
// time. Time moves forward only through Harness.Advance: the fake clock's
// Advance for the in-process limiter, and for Redis a shift of every stored
// TAT by the same amount, which is exactly equivalent under GCRA.
package limitertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/ratelimit"
)

// Harness is one limiter under test with its notion of time.
type Harness struct {
	// Limiter is the limiter under test, fresh (no key has state).
	Limiter ratelimit.Limiter
	// Now reads a clock running at the limiter's pace: the fake clock, or
	// time.Now for a limiter on Redis's clock. The suite uses it only to
	// bound the real time that passes during a case.
	Now func() time.Time
	// Advance moves the limiter's time forward by d for every key.
	Advance func(t *testing.T, d time.Duration)
}

// tolerance absorbs the rounding of Redis's floating-point seconds.
const tolerance = time.Millisecond

// Run runs the suite; newHarness returns a fresh harness per subtest and
// registers its own cleanup.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("BurstThenRefused", func(t *testing.T) { testBurstThenRefused(t, newHarness) })
	t.Run("Refill", func(t *testing.T) { testRefill(t, newHarness) })
	t.Run("BackToInitialState", func(t *testing.T) { testBackToInitial(t, newHarness) })
	t.Run("KeysAreIndependent", func(t *testing.T) { testKeysIndependent(t, newHarness) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newHarness) })
	t.Run("InvalidLimit", func(t *testing.T) { testInvalidLimit(t, newHarness) })
	t.Run("CanceledContext", func(t *testing.T) { testCanceled(t, newHarness) })
}

// clock tracks the virtual time of a case: the sum of the advances plus
// the real time that passed, which lies between 0 and elapsed().
type clock struct {
	h     Harness
	start time.Time
}

func newClock(h Harness) *clock { return &clock{h: h, start: h.Now()} }

func (c *clock) elapsed() time.Duration { return c.h.Now().Sub(c.start) }

type want struct {
	allowed, remaining int
	// retryAfter and resetAfter are the values at zero real elapsed time;
	// -1 for retryAfter means allowed.
	retryAfter, resetAfter time.Duration
}

func (w want) String() string {
	return fmt.Sprintf("{Allowed:%d Remaining:%d RetryAfter:%s ResetAfter:%s}", w.allowed, w.remaining, w.retryAfter, w.resetAfter)
}

// check calls Allow and compares the result: counts exactly, durations in
// [want-elapsed-tolerance, want+tolerance].
func check(t *testing.T, c *clock, what, key string, limit ratelimit.Limit, w want) {
	t.Helper()
	got, err := c.h.Limiter.Allow(t.Context(), key, limit)
	if err != nil {
		t.Fatalf("%s: Allow(%q, %v): %v", what, key, limit, err)
	}
	slack := c.elapsed()
	bad := got.Allowed != w.allowed || got.Remaining != w.remaining || got.Limit != limit ||
		!near(got.ResetAfter, w.resetAfter, slack)
	if w.retryAfter == -1 {
		bad = bad || got.RetryAfter != -1
	} else {
		bad = bad || !near(got.RetryAfter, w.retryAfter, slack)
	}
	if bad {
		t.Fatalf("%s: Allow(%q, %v) = %+v, want %v (durations less up to the %s that passed)", what, key, limit, got, w, slack)
	}
}

func near(got, want, slack time.Duration) bool {
	return got >= want-slack-tolerance && got <= want+tolerance
}

// limits are the cases' limits: integral and non-integral emission
// intervals, burst below, equal to and above the rate.
var limits = []ratelimit.Limit{
	{Rate: 10, Burst: 5, Period: time.Hour},
	{Rate: 1, Burst: 1, Period: time.Hour},
	{Rate: 7, Burst: 7, Period: time.Hour},
	{Rate: 3, Burst: 12, Period: 24 * time.Hour},
}

func emission(l ratelimit.Limit) time.Duration { return l.Period / time.Duration(l.Rate) }

func testBurstThenRefused(t *testing.T, newHarness func(t *testing.T) Harness) {
	for _, l := range limits {
		t.Run(l.String(), func(t *testing.T) {
			c := newClock(newHarness(t))
			e := emission(l)
			for i := 1; i <= l.Burst; i++ {
				check(t, c, fmt.Sprintf("call %d of the burst", i), "k", l,
					want{allowed: 1, remaining: l.Burst - i, retryAfter: -1, resetAfter: time.Duration(i) * e})
			}
			full := time.Duration(l.Burst) * e
			for i := 1; i <= 2; i++ {
				check(t, c, fmt.Sprintf("refusal %d after the burst", i), "k", l,
					want{retryAfter: e, resetAfter: full})
			}
		})
	}
}

func testRefill(t *testing.T, newHarness func(t *testing.T) Harness) {
	l := limits[0] // 10/h, burst 5: emission 6 min
	h := newHarness(t)
	c := newClock(h)
	e := emission(l)
	for i := 1; i <= l.Burst; i++ {
		check(t, c, fmt.Sprintf("burst call %d", i), "k", l, want{allowed: 1, remaining: l.Burst - i, retryAfter: -1, resetAfter: time.Duration(i) * e})
	}
	// TAT = 5e; virtual time 0.
	h.Advance(t, e/2)
	check(t, c, "half an interval later", "k", l, want{retryAfter: e / 2, resetAfter: 5*e - e/2})
	h.Advance(t, e/2+e/10)
	// time 1.1e: one token back; TAT becomes 6e.
	check(t, c, "one interval later", "k", l, want{allowed: 1, remaining: 0, retryAfter: -1, resetAfter: 6*e - e - e/10})
	check(t, c, "right after the refill", "k", l, want{retryAfter: e - e/10, resetAfter: 6*e - e - e/10})
	h.Advance(t, 2*e)
	// time 3.1e: TAT 6e → 7e, allow_at 2e: remaining floor(1.1) = 1.
	check(t, c, "two intervals later", "k", l, want{allowed: 1, remaining: 1, retryAfter: -1, resetAfter: 7*e - 3*e - e/10})
}

func testBackToInitial(t *testing.T, newHarness func(t *testing.T) Harness) {
	l := limits[0]
	h := newHarness(t)
	c := newClock(h)
	e := emission(l)
	for i := 1; i <= l.Burst+1; i++ {
		if _, err := h.Limiter.Allow(t.Context(), "k", l); err != nil {
			t.Fatal(err)
		}
	}
	h.Advance(t, time.Duration(l.Burst)*e+e/10) // past ResetAfter
	check(t, c, "after ResetAfter", "k", l, want{allowed: 1, remaining: l.Burst - 1, retryAfter: -1, resetAfter: e})
}

func testKeysIndependent(t *testing.T, newHarness func(t *testing.T) Harness) {
	l := limits[1] // 1/h, burst 1
	c := newClock(newHarness(t))
	check(t, c, "first key", "a", l, want{allowed: 1, retryAfter: -1, resetAfter: time.Hour})
	check(t, c, "first key again", "a", l, want{retryAfter: time.Hour, resetAfter: time.Hour})
	check(t, c, "second key", "b", l, want{allowed: 1, retryAfter: -1, resetAfter: time.Hour})
	check(t, c, "a key with braces", "{a}", l, want{allowed: 1, retryAfter: -1, resetAfter: time.Hour})
}

func testConcurrent(t *testing.T, newHarness func(t *testing.T) Harness) {
	h := newHarness(t)
	l := ratelimit.Limit{Rate: 1, Burst: 20, Period: time.Hour}
	const workers, calls = 8, 10
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for range workers {
		wg.Go(func() {
			for range calls {
				r, err := h.Limiter.Allow(t.Context(), "shared", l)
				if err != nil {
					errs <- err
					return
				}
				allowed.Add(int64(r.Allowed))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := allowed.Load(); got != int64(l.Burst) {
		t.Fatalf("%d concurrent calls under %v: %d allowed, want exactly %d", workers*calls, l, got, l.Burst)
	}
}

func testInvalidLimit(t *testing.T, newHarness func(t *testing.T) Harness) {
	h := newHarness(t)
	for _, l := range []ratelimit.Limit{
		{},
		{Rate: 0, Burst: 1, Period: time.Second},
		{Rate: 1, Burst: 0, Period: time.Second},
		{Rate: 1, Burst: 1, Period: 0},
		{Rate: -1, Burst: 1, Period: time.Second},
		{Rate: 10, Burst: 1, Period: 5},
		{Rate: 1, Burst: 1 << 40, Period: time.Hour},
	} {
		r, err := h.Limiter.Allow(t.Context(), "k", l)
		if !errors.Is(err, ratelimit.ErrInvalidLimit) {
			t.Errorf("Allow with %+v = %+v, %v; want an error wrapping %q", l, r, err, ratelimit.ErrInvalidLimit)
		}
	}
}

func testCanceled(t *testing.T, newHarness func(t *testing.T) Harness) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r, err := h.Limiter.Allow(ctx, "k", limits[0])
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Allow on a canceled context = %+v, %v; want an error wrapping context.Canceled", r, err)
	}
}
