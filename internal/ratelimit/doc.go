// Package ratelimit holds the rate limiters of automatic moderation: a
// narrow Limiter interface and two implementations with the same GCRA
// (generic cell rate algorithm) semantics, those of
// github.com/go-redis/redis_rate/v10.
//
//   - Redis wraps redis_rate: the state lives in Redis, so every instance
//     on one Redis shares the limits. It takes a redis.UniversalClient
//     (standalone, Sentinel or Cluster) and uses Redis's clock.
//   - Memory is an in-process GCRA for the embedded and memory stores. It
//     reads an injected clock (tests pass (*clock.Fake).Now and never
//     sleep) and evicts keys whose state has expired, so its memory is
//     bounded by the keys active within their reset period.
//
// GCRA keeps one number per key, the theoretical arrival time (TAT) of the
// next event. With emission interval T = Period/Rate and burst offset
// B = T*Burst, an event at time now is allowed when max(TAT, now)+T-B <= now;
// it then moves TAT to max(TAT, now)+T. A refused event changes nothing.
//
// The package conformance suite, limitertest, runs the same cases against
// both implementations.
//
// internal/moderation applies the limits; the root picks the
// implementation by store (Redis or in-process).
package ratelimit
