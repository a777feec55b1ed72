package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/ratelimit"
	"github.com/chatflow/chatflow/internal/ratelimit/limitertest"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestMemoryConformance(t *testing.T) {
	limitertest.Run(t, func(t *testing.T) limitertest.Harness {
		fc := clock.NewFake(t0)
		return limitertest.Harness{
			Limiter: ratelimit.NewMemory(ratelimit.MemoryOptions{Now: fc.Now}),
			Now:     fc.Now,
			Advance: func(_ *testing.T, d time.Duration) { fc.Advance(d) },
		}
	})
}

// TestMemoryExact checks the values to the nanosecond on the fake clock,
// including the boundaries the conformance suite leaves to tolerances.
func TestMemoryExact(t *testing.T) {
	fc := clock.NewFake(t0)
	m := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: fc.Now})
	l := ratelimit.PerSecond(10) // emission 100ms, burst 10
	allow := func() ratelimit.Result {
		t.Helper()
		r, err := m.Allow(t.Context(), "k", l)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for i := 1; i <= 10; i++ {
		want := ratelimit.Result{Limit: l, Allowed: 1, Remaining: 10 - i, RetryAfter: -1, ResetAfter: time.Duration(i) * 100 * time.Millisecond}
		if got := allow(); got != want {
			t.Fatalf("call %d: %+v, want %+v", i, got, want)
		}
	}
	want := ratelimit.Result{Limit: l, RetryAfter: 100 * time.Millisecond, ResetAfter: time.Second}
	if got := allow(); got != want {
		t.Fatalf("11th call: %+v, want %+v", got, want)
	}
	fc.Advance(100*time.Millisecond - 1)
	want = ratelimit.Result{Limit: l, RetryAfter: 1, ResetAfter: 900*time.Millisecond + 1}
	if got := allow(); got != want {
		t.Fatalf("1ns before the refill: %+v, want %+v", got, want)
	}
	fc.Advance(1)
	want = ratelimit.Result{Limit: l, Allowed: 1, RetryAfter: -1, ResetAfter: time.Second}
	if got := allow(); got != want {
		t.Fatalf("at the refill: %+v, want %+v", got, want)
	}
}

// TestMemoryEvicts checks that keys back in their initial state are
// dropped, so memory follows the active keys only.
func TestMemoryEvicts(t *testing.T) {
	fc := clock.NewFake(t0)
	m := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: fc.Now, SweepInterval: time.Minute})
	l := ratelimit.PerSecond(1)
	for i := range 10000 {
		if _, err := m.Allow(t.Context(), fmt.Sprint("visitor-", i), l); err != nil {
			t.Fatal(err)
		}
	}
	// Size-triggered sweeps ran, but every key was still live.
	if n := m.Len(); n != 10000 {
		t.Fatalf("Len after 10000 live keys = %d", n)
	}
	fc.Advance(2 * time.Minute)
	// One call per shard (at least) triggers each shard's timed sweep.
	for i := range 1000 {
		if _, err := m.Allow(t.Context(), fmt.Sprint("late-", i), l); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.Len(); n != 1000 {
		t.Fatalf("Len after the old keys expired = %d, want the 1000 live ones", n)
	}
}
