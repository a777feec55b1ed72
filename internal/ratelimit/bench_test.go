package ratelimit_test

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/chatflow/chatflow/internal/ratelimit"
)

// The hot path: one Allow per inbound message. Run with
//
//	go test -run '^$' -bench . -benchmem ./internal/ratelimit/
//
// (REDIS_ADDR set for the Redis benchmarks).

var benchLimit = ratelimit.Limit{Rate: 1 << 30, Burst: 1 << 20, Period: 1 << 40} // never refuses

func BenchmarkMemoryAllow(b *testing.B) {
	m := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Allow(b.Context(), "conv:c-1", benchLimit); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryAllowParallel spreads 10,000 keys over all cores.
func BenchmarkMemoryAllowParallel(b *testing.B) {
	m := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	keys := make([]string, 10000)
	for i := range keys {
		keys[i] = "visitor:" + strconv.Itoa(i)
	}
	var next atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(7919)
		for pb.Next() {
			i++
			if _, err := m.Allow(b.Context(), keys[i%uint64(len(keys))], benchLimit); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRedisAllow(b *testing.B) {
	for _, tg := range redisTargets(b) {
		b.Run(tg.name, func(b *testing.B) {
			c, prefix := newRedisClient(b, tg)
			l := ratelimit.NewRedis(c, ratelimit.RedisOptions{KeyPrefix: prefix})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Allow(b.Context(), "conv:c-1", benchLimit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
