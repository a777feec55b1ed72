package ratelimit

import (
	"context"
	"hash/maphash"
	"math"
	"math/bits"
	"sync"
	"time"
)

// Memory is the in-process Limiter: the GCRA of redis_rate's script
// computed in integer nanoseconds on an injected clock. State is per
// process, so it suits a single instance (the embedded and memory stores).
//
// Keys live in shards, each with its own mutex. A key whose TAT is not
// after now is in its initial state and is dropped; a shard is swept when
// it has doubled in size since its last sweep or SweepInterval has passed,
// so memory stays proportional to the keys active within their reset
// period and the sweep cost is amortized over the calls.
type Memory struct {
	now      func() time.Time
	interval int64
	seed     maphash.Seed
	shards   [memoryShards]memoryShard
}

var _ Limiter = (*Memory)(nil)

const (
	memoryShards   = 32
	minSweepSize   = 64
	shrinkMinPeak  = 1024
	defaultSweepIn = time.Minute
)

type memoryShard struct {
	mu        sync.Mutex
	tat       map[string]int64 // unix nanoseconds
	lastSweep int64
	sizeAfter int
	_         [32]byte // keep shards on separate cache lines
}

// MemoryOptions configures NewMemory.
type MemoryOptions struct {
	// Now is the clock; time.Now by default. Tests pass (*clock.Fake).Now.
	Now func() time.Time
	// SweepInterval is how often, at the latest, a shard drops its expired
	// keys (on its next call); one minute by default.
	SweepInterval time.Duration
}

// NewMemory returns an empty in-process limiter.
func NewMemory(o MemoryOptions) *Memory {
	m := &Memory{now: o.Now, interval: int64(o.SweepInterval), seed: maphash.MakeSeed()}
	if m.now == nil {
		m.now = time.Now
	}
	if m.interval <= 0 {
		m.interval = int64(defaultSweepIn)
	}
	start := m.now().UnixNano()
	for i := range m.shards {
		m.shards[i].tat = make(map[string]int64)
		m.shards[i].lastSweep = start
	}
	return m
}

// Allow implements Limiter with the semantics of redis_rate's allowN script
// for n = 1.
func (m *Memory) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	period, rate := int64(limit.Period), int64(limit.Rate)
	increment := period / rate
	burstOffset := mulDiv(period, int64(limit.Burst), rate)

	now := m.now().UnixNano()
	sh := &m.shards[maphash.String(m.seed, key)%memoryShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	tat, ok := sh.tat[key]
	if !ok || tat < now {
		tat = now
	}
	newTAT := tat + increment
	diff := now - (newTAT - burstOffset)
	if diff < 0 {
		return Result{Limit: limit, RetryAfter: time.Duration(-diff), ResetAfter: time.Duration(tat - now)}, nil
	}
	sh.tat[key] = newTAT
	sh.maybeSweep(now, m.interval)
	return Result{
		Limit:      limit,
		Allowed:    1,
		Remaining:  int(mulDiv(diff, rate, period)),
		RetryAfter: -1,
		ResetAfter: time.Duration(newTAT - now),
	}, nil
}

// maybeSweep drops the keys back in their initial state when the shard has
// doubled since the last sweep or the interval has passed; sh.mu is held.
func (sh *memoryShard) maybeSweep(now, interval int64) {
	n := len(sh.tat)
	if n < 2*sh.sizeAfter+minSweepSize && now-sh.lastSweep < interval {
		return
	}
	for k, tat := range sh.tat {
		if tat <= now {
			delete(sh.tat, k)
		}
	}
	if len(sh.tat)*4 < n && n >= shrinkMinPeak {
		// Maps do not give memory back on delete: copy the survivors.
		fresh := make(map[string]int64, len(sh.tat))
		for k, v := range sh.tat {
			fresh[k] = v
		}
		sh.tat = fresh
	}
	sh.lastSweep, sh.sizeAfter = now, len(sh.tat)
}

// Len returns the number of keys held, including expired ones not yet
// swept.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		n += len(sh.tat)
		sh.mu.Unlock()
	}
	return n
}

// mulDiv returns a*b/c rounded down for a, b >= 0 and c > 0, through a
// 128-bit product; it saturates at math.MaxInt64.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
