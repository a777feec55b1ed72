// Package redistest holds the helpers the Redis-backed tests share: the
// addresses of the real Redis named by REDIS_ADDR (the test is skipped only
// when it is unset; CI always sets it) and the clean-up of a test's keys.
// It is imported by tests only.
package redistest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Addrs returns the addresses of REDIS_ADDR (host:port; a comma-separated
// list is taken as Cluster seeds), skipping the test when it is unset.
func Addrs(t testing.TB) []string {
	t.Helper()
	var addrs []string
	for a := range strings.SplitSeq(os.Getenv("REDIS_ADDR"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		t.Skip("REDIS_ADDR is not set: this test needs a real Redis (CI sets it; locally run redis-server --port 16379 --bind 127.0.0.1 --save '' and set REDIS_ADDR=127.0.0.1:16379)")
	}
	return addrs
}

// DeleteKeys removes the keys under prefix, on every master of a cluster,
// reporting a failure as a test error.
func DeleteKeys(t testing.TB, c redis.UniversalClient, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	del := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return del(ctx, n) })
	} else {
		err = del(ctx, c)
	}
	if err != nil {
		t.Errorf("deleting the test's keys (prefix %q): %v", prefix, err)
	}
}
