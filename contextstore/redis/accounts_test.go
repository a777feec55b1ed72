package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
)

// TestAccountKeysShareSlot: the account, the id set and the token index are
// written by one script, so they must live in one cluster slot.
func TestAccountKeysShareSlot(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		prefix := uniquePrefix(t)
		s := newStore(t, tg, redisstore.Options{KeyPrefix: prefix})
		if err := s.CreateAccount(ctx, &contextstore.Account{ID: "a1", Role: "agent", TokenHash: "h1"}); err != nil {
			t.Fatal(err)
		}
		raw := newClient(tg.addrs)
		defer raw.Close()
		var mu sync.Mutex
		var ks []string
		collect := func(ctx context.Context, c *redis.Client) error {
			iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				mu.Lock()
				ks = append(ks, iter.Val())
				mu.Unlock()
			}
			return iter.Err()
		}
		var err error
		switch c := raw.(type) {
		case *redis.ClusterClient:
			err = c.ForEachMaster(ctx, collect)
		case *redis.Client:
			err = collect(ctx, c)
		}
		if err != nil {
			t.Fatal(err)
		}
		// data, ids, token index and the write's claim key.
		if len(ks) != 4 {
			t.Fatalf("keys after one account create: %q, want 4", ks)
		}
		for _, k := range ks {
			if !strings.HasPrefix(k, prefix+"{accounts}:") {
				t.Fatalf("account key %q outside the {accounts} tag", k)
			}
		}
		slot0, err := raw.ClusterKeySlot(ctx, ks[0]).Result()
		if err != nil {
			t.Skipf("CLUSTER KEYSLOT unavailable (%v)", err)
		}
		for _, k := range ks[1:] {
			if slot, _ := raw.ClusterKeySlot(ctx, k).Result(); slot != slot0 {
				t.Errorf("%s is in slot %d, %s in %d", k, slot, ks[0], slot0)
			}
		}
	})
}

// TestAccountsAfterScriptFlush: the account scripts reload after Redis
// forgot them (restart, failover).
func TestAccountsAfterScriptFlush(t *testing.T) {
	addr := standalone(t)
	ctx := t.Context()
	s := newStore(t, target{"standalone", []string{addr}}, redisstore.Options{})
	raw := newClient([]string{addr})
	defer raw.Close()
	if err := raw.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	a := &contextstore.Account{ID: "a1", Role: "agent", TokenHash: "h1"}
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := raw.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAccountByTokenHash(ctx, "h1")
	if err != nil || got.ID != "a1" {
		t.Fatalf("GetAccountByTokenHash after a script flush = %+v, %v", got, err)
	}
	a.TokenHash = "h2"
	if err := raw.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccountByTokenHash(ctx, "h1"); !errors.Is(err, contextstore.ErrNotFound) {
		t.Fatalf("old token hash after update: %v, want ErrNotFound", err)
	}
}
