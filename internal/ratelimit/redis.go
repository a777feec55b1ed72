package ratelimit

import (
	"context"
	"fmt"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis is the Limiter backed by Redis through redis_rate: one Lua script
// call (EVALSHA) per Allow, atomic on the server, so every instance on the
// same Redis shares the limits. Time is Redis's clock (TIME in the script).
//
// A key is stored as "rate:" + KeyPrefix + key (redis_rate adds "rate:").
// Every call touches exactly one key, so a Cluster routes it to that key's
// slot and no hash tag is needed; a caller that wants the keys of one
// subject on one slot may put a hash tag in the key itself.
type Redis struct {
	limiter *redis_rate.Limiter
	prefix  string
}

var _ Limiter = (*Redis)(nil)

// RedisOptions configures NewRedis.
type RedisOptions struct {
	// KeyPrefix is put before every key (after redis_rate's "rate:"), e.g.
	// "chatflow:"; empty by default.
	KeyPrefix string
}

// NewRedis returns a limiter on rdb. It does not dial; the first Allow
// does. rdb stays owned by the caller.
func NewRedis(rdb redis.UniversalClient, o RedisOptions) *Redis {
	return &Redis{limiter: redis_rate.NewLimiter(rdb), prefix: o.KeyPrefix}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	res, err := r.limiter.Allow(ctx, r.prefix+key, redis_rate.Limit{Rate: limit.Rate, Burst: limit.Burst, Period: limit.Period})
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis allow %q: %w", key, err)
	}
	return Result{
		Limit:      limit,
		Allowed:    res.Allowed,
		Remaining:  res.Remaining,
		RetryAfter: res.RetryAfter,
		ResetAfter: res.ResetAfter,
	}, nil
}
