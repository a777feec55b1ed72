package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/internal/ratelimit"
	"github.com/chatflow/chatflow/internal/ratelimit/limitertest"
	"github.com/chatflow/chatflow/internal/redistest"
)

// The Redis tests run against the real servers of REDIS_ADDR (standalone;
// skipped when unset) and REDIS_CLUSTER_ADDRS (cluster seeds; optional).

type redisTarget struct {
	name  string
	addrs []string
}

func redisTargets(t testing.TB) []redisTarget {
	t.Helper()
	out := []redisTarget{{"standalone", redistest.Addrs(t)}}
	var cluster []string
	for a := range strings.SplitSeq(os.Getenv("REDIS_CLUSTER_ADDRS"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			cluster = append(cluster, a)
		}
	}
	if len(cluster) > 0 {
		out = append(out, redisTarget{"cluster", cluster})
	}
	return out
}

// newRedisClient returns a client on tg and a unique key prefix whose keys
// are deleted, and the client closed, when the test ends.
func newRedisClient(t testing.TB, tg redisTarget) (redis.UniversalClient, string) {
	t.Helper()
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: tg.addrs})
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis %s at %v: %v", tg.name, tg.addrs, err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	prefix := "cftest:ratelimit:" + hex.EncodeToString(rnd[:]) + ":"
	t.Cleanup(func() {
		redistest.DeleteKeys(t, c, "rate:"+prefix)
		_ = c.Close()
	})
	return c, prefix
}

// shiftTAT moves every stored TAT under the prefix back by d: under GCRA
// (the state is the TAT alone, compared with now) that is exactly the same
// as Redis's clock moving forward by d. It reads redis_rate's storage (a
// float of seconds under "rate:"+key), so a change of that format fails
// here loudly.
var shiftTAT = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if v then
  local n = tonumber(v)
  if not n then return redis.error_reply("not a number: " .. v) end
  redis.call("SET", KEYS[1], n - tonumber(ARGV[1]), "KEEPTTL")
end
return 1
`)

func advanceRedis(t *testing.T, c redis.UniversalClient, pattern string, d time.Duration) {
	t.Helper()
	ctx := t.Context()
	secs := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	shift := func(ctx context.Context, node redis.Cmdable) error {
		iter := node.Scan(ctx, 0, pattern, 100).Iterator()
		for iter.Next(ctx) {
			// Through c, so a Cluster routes the script to the key's slot.
			if err := shiftTAT.Run(ctx, c, []string{iter.Val()}, secs).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return shift(ctx, n) })
	} else {
		err = shift(ctx, c)
	}
	if err != nil {
		t.Fatalf("shifting the stored TATs by %s: %v", d, err)
	}
}

func TestRedisConformance(t *testing.T) {
	for _, tg := range redisTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			limitertest.Run(t, func(t *testing.T) limitertest.Harness {
				c, prefix := newRedisClient(t, tg)
				return limitertest.Harness{
					Limiter: ratelimit.NewRedis(c, ratelimit.RedisOptions{KeyPrefix: prefix}),
					Now:     time.Now,
					Advance: func(t *testing.T, d time.Duration) { advanceRedis(t, c, "rate:"+prefix+"*", d) },
				}
			})
		})
	}
}

// TestRedisSharedAcrossInstances checks that two limiters (two instances)
// on one Redis share a key's budget.
func TestRedisSharedAcrossInstances(t *testing.T) {
	for _, tg := range redisTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			c1, prefix := newRedisClient(t, tg)
			c2 := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: tg.addrs})
			t.Cleanup(func() { _ = c2.Close() })
			a := ratelimit.NewRedis(c1, ratelimit.RedisOptions{KeyPrefix: prefix})
			b := ratelimit.NewRedis(c2, ratelimit.RedisOptions{KeyPrefix: prefix})
			l := ratelimit.Limit{Rate: 1, Burst: 3, Period: time.Hour}
			var allowed int
			for i, lim := range []ratelimit.Limiter{a, b, a, b, a, b} {
				r, err := lim.Allow(t.Context(), "conv-1", l)
				if err != nil {
					t.Fatalf("call %d: %v", i+1, err)
				}
				allowed += r.Allowed
			}
			if allowed != 3 {
				t.Fatalf("two instances allowed %d events in total, want the shared burst of 3", allowed)
			}
		})
	}
}

// TestRedisKeyLayout pins where a key lives, for operators and clean-up.
func TestRedisKeyLayout(t *testing.T) {
	tg := redisTargets(t)[0]
	c, prefix := newRedisClient(t, tg)
	if _, err := ratelimit.NewRedis(c, ratelimit.RedisOptions{KeyPrefix: prefix}).Allow(t.Context(), "ip:198.51.100.7", ratelimit.PerMinute(5)); err != nil {
		t.Fatal(err)
	}
	key := "rate:" + prefix + "ip:198.51.100.7"
	if n, err := c.Exists(t.Context(), key).Result(); err != nil || n != 1 {
		t.Fatalf("EXISTS %s = %d, %v; want 1", key, n, err)
	}
	if ttl, err := c.TTL(t.Context(), key).Result(); err != nil || ttl <= 0 || ttl > 12*time.Second {
		t.Fatalf("TTL %s = %s, %v; want at most the reset time rounded up", key, ttl, err)
	}
}

// TestRedisErrorWrapped checks that a backend failure is wrapped, not
// swallowed.
func TestRedisErrorWrapped(t *testing.T) {
	tg := redisTargets(t)[0]
	c, prefix := newRedisClient(t, tg)
	l := ratelimit.NewRedis(c, ratelimit.RedisOptions{KeyPrefix: prefix})
	c2 := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: tg.addrs})
	_ = c2.Close()
	closed := ratelimit.NewRedis(c2, ratelimit.RedisOptions{KeyPrefix: prefix})
	if _, err := closed.Allow(t.Context(), "k", ratelimit.PerMinute(1)); err == nil || !strings.Contains(err.Error(), `ratelimit: redis allow "k": `) {
		t.Fatalf("Allow on a closed client: %v, want a wrapped error", err)
	}
	if _, err := l.Allow(t.Context(), "k", ratelimit.PerMinute(1)); err != nil {
		t.Fatal(err)
	}
}
