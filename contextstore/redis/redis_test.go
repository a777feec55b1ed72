package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
)

// The tests run against real servers named by the environment:
//
//	REDIS_ADDR           host:port of a standalone server (a comma-separated
//	                     list is taken as the seed nodes of a cluster)
//	REDIS_CLUSTER_ADDRS  comma-separated seed nodes of a Redis Cluster
//
// .ci/run starts both on loopback ports. Each test uses a key prefix of its
// own and deletes its keys afterwards.

// target is one Redis deployment to test against.
type target struct {
	name  string
	addrs []string
}

func splitAddrs(v string) []string {
	var out []string
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// targets returns the deployments named by the environment, skipping the
// test when there are none.
func targets(t testing.TB) []target {
	t.Helper()
	var out []target
	if a := splitAddrs(os.Getenv("REDIS_ADDR")); len(a) == 1 {
		out = append(out, target{"standalone", a})
	} else if len(a) > 1 {
		out = append(out, target{"cluster", a})
	}
	if a := splitAddrs(os.Getenv("REDIS_CLUSTER_ADDRS")); len(a) > 0 {
		out = append(out, target{"cluster", a})
	}
	if len(out) == 0 {
		t.Skip("no Redis to test against: set REDIS_ADDR (standalone) and/or REDIS_CLUSTER_ADDRS (cluster), as .ci/run does")
	}
	return out
}

// standalone returns the standalone server's address, skipping the test
// without one.
func standalone(t testing.TB) string {
	t.Helper()
	a := splitAddrs(os.Getenv("REDIS_ADDR"))
	if len(a) != 1 {
		t.Skip("no standalone Redis to test against: set REDIS_ADDR (as .ci/run does)")
	}
	return a[0]
}

// forEachTarget runs f as a subtest per deployment.
func forEachTarget(t *testing.T, f func(t *testing.T, tg target)) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) { f(t, tg) })
	}
}

func newClient(addrs []string) redis.UniversalClient {
	return redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs})
}

func uniquePrefix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "cftest:" + hex.EncodeToString(b) + ":"
}

// newStore returns a store on tg with a unique key prefix whose keys are
// deleted when the test ends. The store's client is closed then too.
func newStore(t testing.TB, tg target, o redisstore.Options) *redisstore.Store {
	t.Helper()
	if o.KeyPrefix == "" {
		o.KeyPrefix = uniquePrefix(t)
	}
	s := redisstore.New(newClient(tg.addrs), o)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("redis %s at %v: %v", tg.name, tg.addrs, err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		deleteKeys(t, tg.addrs, o.KeyPrefix)
	})
	return s
}

// deleteKeys removes every key starting with prefix (which has no glob
// characters) from every master.
func deleteKeys(t testing.TB, addrs []string, prefix string) {
	t.Helper()
	ctx := context.Background()
	c := newClient(addrs)
	defer c.Close()
	del := func(ctx context.Context, n *redis.Client) error {
		iter := n.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := n.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	switch c := c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, del)
	case *redis.Client:
		err = del(ctx, c)
	}
	if err != nil {
		t.Errorf("deleting test keys %s*: %v", prefix, err)
	}
}

// countKeys counts the keys starting with prefix on every master.
func countKeys(t testing.TB, addrs []string, prefix string) int {
	t.Helper()
	ctx := t.Context()
	c := newClient(addrs)
	defer c.Close()
	var n atomic.Int64
	count := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			n.Add(1)
		}
		return iter.Err()
	}
	var err error
	switch c := c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, count)
	case *redis.Client:
		err = count(ctx, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return int(n.Load())
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func tp(t time.Time) *time.Time { return &t }

func TestConversationCompareAndSwap(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		if _, err := s.GetConversation(ctx, "c1"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatalf("get of a missing conversation: %v, want ErrNotFound", err)
		}
		c := &contextstore.Conversation{
			ID:   "c1",
			Info: contextstore.ConversationInfo{ConversationID: "c1", Channel: "web", StartedAt: t0, LiveChatBlockedUntil: tp(t0.Add(time.Hour))},
			User: contextstore.ChatUser{UserID: "u1", IsAuthenticated: true},
			Vars: map[string]any{
				"n": 1.5, "s": "x", "b": true, "nil": nil,
				"when":   t0,
				"ptr":    tp(t0.Add(time.Minute)),
				"nested": map[string]any{"at": t0, "list": []any{t0, "y", 2.0}},
			},
			Pins:      map[string]int{"main": 3},
			Cursor:    &contextstore.Cursor{FlowID: "main", Version: 3, StepID: "ask"},
			Processed: []contextstore.ProcessedEvent{{Key: "k1", Replies: []string{"hi"}}},
			CreatedAt: t0, UpdatedAt: t0,
		}
		if err := s.PutConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.Version != 1 {
			t.Fatalf("version after first put = %d, want 1", c.Version)
		}
		got, err := s.GetConversation(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || got.User.UserID != "u1" || !got.Info.LiveChatBlockedUntil.Equal(t0.Add(time.Hour)) ||
			got.Cursor == nil || got.Cursor.StepID != "ask" || got.Pins["main"] != 3 || len(got.Processed) != 1 {
			t.Fatalf("got %+v", got)
		}
		if w, ok := got.Vars["when"].(time.Time); !ok || !w.Equal(t0) {
			t.Errorf("Vars[when] = %#v, want time.Time %v", got.Vars["when"], t0)
		}
		if p, ok := got.Vars["ptr"].(*time.Time); !ok || !p.Equal(t0.Add(time.Minute)) {
			t.Errorf("Vars[ptr] = %#v, want *time.Time", got.Vars["ptr"])
		}
		nested := got.Vars["nested"].(map[string]any)
		if w, ok := nested["at"].(time.Time); !ok || !w.Equal(t0) {
			t.Errorf("nested time = %#v", nested["at"])
		}
		if l := nested["list"].([]any); !l[0].(time.Time).Equal(t0) || l[1] != "y" || l[2] != 2.0 {
			t.Errorf("nested list = %#v", l)
		}
		if got.Vars["n"] != 1.5 || got.Vars["s"] != "x" || got.Vars["b"] != true || got.Vars["nil"] != nil {
			t.Errorf("scalars = %#v", got.Vars)
		}

		// A writer holding version 0 (create) or a stale version loses.
		stale := &contextstore.Conversation{ID: "c1"}
		if err := s.PutConversation(ctx, stale); !errors.Is(err, contextstore.ErrVersionConflict) {
			t.Fatalf("create over an existing conversation: %v, want ErrVersionConflict", err)
		}
		got.Info.Blocked = true
		if err := s.PutConversation(ctx, got); err != nil || got.Version != 2 {
			t.Fatalf("put at version 1: %v (version %d)", err, got.Version)
		}
		c.Version = 1
		if err := s.PutConversation(ctx, c); !errors.Is(err, contextstore.ErrVersionConflict) {
			t.Fatalf("put at stale version: %v, want ErrVersionConflict", err)
		}
		if c.Version != 1 {
			t.Errorf("a failed put changed the caller's version to %d", c.Version)
		}
		again, _ := s.GetConversation(ctx, "c1")
		if again.Version != 2 || !again.Info.Blocked {
			t.Errorf("after a lost race the stored context is %+v", again)
		}
		missing := &contextstore.Conversation{ID: "nope", Version: 3}
		if err := s.PutConversation(ctx, missing); !errors.Is(err, contextstore.ErrVersionConflict) {
			t.Fatalf("put of a missing conversation at version 3: %v, want ErrVersionConflict", err)
		}
		if err := s.DeleteConversation(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteConversation(ctx, "c1"); err != nil {
			t.Fatalf("deleting a missing conversation: %v", err)
		}
		if _, err := s.GetConversation(ctx, "c1"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatalf("get after delete: %v", err)
		}
	})
}

// TestConcurrentTurns runs turns of one conversation from many goroutines;
// each turn reloads and retries on conflict, and no increment is lost.
func TestConcurrentTurns(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		if err := s.PutConversation(ctx, &contextstore.Conversation{ID: "hot", Vars: map[string]any{"n": 0.0}}); err != nil {
			t.Fatal(err)
		}
		const workers, turns = 8, 25
		var wg sync.WaitGroup
		var conflicts atomic.Int64
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				for range turns {
					for {
						c, err := s.GetConversation(ctx, "hot")
						if err != nil {
							errs <- err
							return
						}
						c.Vars["n"] = c.Vars["n"].(float64) + 1
						err = s.PutConversation(ctx, c)
						if errors.Is(err, contextstore.ErrVersionConflict) {
							conflicts.Add(1)
							continue
						}
						if err != nil {
							errs <- err
							return
						}
						break
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		c, err := s.GetConversation(ctx, "hot")
		if err != nil {
			t.Fatal(err)
		}
		if c.Vars["n"] != float64(workers*turns) || c.Version != workers*turns+1 {
			t.Fatalf("n = %v, version %d; want %d, %d", c.Vars["n"], c.Version, workers*turns, workers*turns+1)
		}
		t.Logf("%d conflicts retried", conflicts.Load())
	})
}

func TestListConversations(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		for i := range 600 { // more than one page
			c := &contextstore.Conversation{ID: fmt.Sprintf("c%04d", i)}
			if i%3 == 0 {
				c.User.UserID = "u3"
			}
			c.Info.Blocked = i%2 == 0
			if err := s.PutConversation(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.ListConversations(ctx, contextstore.ConversationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 600 || all[0].ID != "c0000" || all[599].ID != "c0599" {
			t.Fatalf("listed %d conversations", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].ID >= all[i].ID {
				t.Fatalf("not in id order at %d: %s, %s", i, all[i-1].ID, all[i].ID)
			}
		}
		yes := true
		page, err := s.ListConversations(ctx, contextstore.ConversationFilter{Blocked: &yes, UserID: "u3", After: "c0100", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range page {
			ids = append(ids, c.ID)
		}
		if want := "c0102 c0108 c0114"; strings.Join(ids, " ") != want {
			t.Fatalf("page = %v, want %s", ids, want)
		}
		// A deleted conversation leaves the listing.
		if err := s.DeleteConversation(ctx, "c0102"); err != nil {
			t.Fatal(err)
		}
		page, _ = s.ListConversations(ctx, contextstore.ConversationFilter{After: "c0101", Limit: 1})
		if len(page) != 1 || page[0].ID != "c0103" {
			t.Fatalf("after delete: %v", page)
		}
	})
}

func TestConversationTTL(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		prefix := uniquePrefix(t)
		s := newStore(t, tg, redisstore.Options{KeyPrefix: prefix, ConversationTTL: time.Hour})
		raw := newClient(tg.addrs)
		defer raw.Close()
		key := prefix + "{conv:c1}"

		c := &contextstore.Conversation{ID: "c1"}
		if err := s.PutConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		ttl, err := raw.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 59*time.Minute || ttl > time.Hour {
			t.Fatalf("PTTL after put = %v, want about 1h", ttl)
		}
		// Reads do not refresh the TTL; saves do.
		if err := raw.PExpire(ctx, key, 10*time.Second).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetConversation(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		if ttl, _ := raw.PTTL(ctx, key).Result(); ttl > 10*time.Second {
			t.Fatalf("PTTL after get = %v; a read must not refresh it", ttl)
		}
		if err := s.PutConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		if ttl, _ := raw.PTTL(ctx, key).Result(); ttl <= 59*time.Minute {
			t.Fatalf("PTTL after the second put = %v, want about 1h", ttl)
		}
		// Activity records do not expire.
		if err := s.PutActivity(ctx, &contextstore.ChatActivityData{UserID: "u1"}); err != nil {
			t.Fatal(err)
		}
		if ttl, _ := raw.PTTL(ctx, prefix+"{user:u1}").Result(); ttl != -1 {
			t.Fatalf("PTTL of activity = %v, want -1 (no expiry)", ttl)
		}
	})
}

func TestConversationExpires(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		now := time.Now()
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		prefix := uniquePrefix(t)
		s := newStore(t, tg, redisstore.Options{KeyPrefix: prefix, ConversationTTL: 100 * time.Millisecond, Clock: clock})
		c := &contextstore.Conversation{ID: "short"}
		if err := s.PutConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if _, err := s.GetConversation(ctx, "short"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatalf("get after the TTL: %v, want ErrNotFound", err)
		}
		if err := s.PutConversation(ctx, c); !errors.Is(err, contextstore.ErrVersionConflict) {
			t.Fatalf("save of an expired conversation at its old version: %v, want ErrVersionConflict", err)
		}
		if l, _ := s.ListConversations(ctx, contextstore.ConversationFilter{}); len(l) != 0 {
			t.Fatalf("an expired conversation is listed: %v", l)
		}
		// Once its deadline (plus grace) has passed, the next save prunes
		// the expired id from the index.
		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
		if err := s.PutConversation(ctx, &contextstore.Conversation{ID: "other"}); err != nil {
			t.Fatal(err)
		}
		raw := newClient(tg.addrs)
		defer raw.Close()
		ids, err := raw.ZRange(ctx, prefix+"{convs}:ids", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(ids, ",") != "other" {
			t.Fatalf("index = %v, want [other]", ids)
		}
	})
}

// roundTrips counts the requests a client sends: a command or a pipeline
// is one round trip.
type roundTrips struct {
	n atomic.Int64
}

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestTurnRoundTrips checks that loading and saving a conversation (one
// turn) costs at most two round trips.
func TestTurnRoundTrips(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		// Warm up: the first save per server loads the scripts (NOSCRIPT
		// and then EVAL), which is not part of a turn's steady state.
		if err := s.PutConversation(ctx, &contextstore.Conversation{ID: "warm"}); err != nil {
			t.Fatal(err)
		}
		h := &roundTrips{}
		s.Client().AddHook(h)

		c := &contextstore.Conversation{ID: "turns"}
		h.n.Store(0)
		if _, err := s.GetConversation(ctx, "turns"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatal(err)
		}
		if err := s.PutConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		if n := h.n.Load(); n > 2 {
			t.Fatalf("first turn took %d round trips, want at most 2", n)
		}
		for i := range 5 {
			h.n.Store(0)
			c, err := s.GetConversation(ctx, "turns")
			if err != nil {
				t.Fatal(err)
			}
			c.Vars = map[string]any{"i": float64(i)}
			if err := s.PutConversation(ctx, c); err != nil {
				t.Fatal(err)
			}
			if n := h.n.Load(); n > 2 {
				t.Fatalf("turn %d took %d round trips, want at most 2", i, n)
			}
		}
	})
}

// proxy forwards loopback connections to a Redis server until it is cut.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
	// dropReply, when n > 0, makes the proxy swallow the n-th reply from
	// Redis from now on and close that connection: the command ran, its
	// reply is lost.
	dropReply atomic.Int64
}

func newProxy(t *testing.T, upstream string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			p.wg.Go(func() { _, _ = io.Copy(u, c); u.Close() })
			p.wg.Go(func() {
				defer c.Close()
				defer u.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := u.Read(buf)
					if n > 0 {
						if p.dropReply.Load() > 0 && p.dropReply.Add(-1) == 0 {
							return
						}
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// cut closes the listener and every connection: Redis "goes away".
func (p *proxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// everyMethod calls every method of the store once and returns the errors.
func everyMethod(ctx context.Context, s *redisstore.Store) map[string]error {
	errs := map[string]error{}
	_, errs["GetConversation"] = s.GetConversation(ctx, "c")
	errs["PutConversation"] = s.PutConversation(ctx, &contextstore.Conversation{ID: "c"})
	errs["DeleteConversation"] = s.DeleteConversation(ctx, "c")
	_, errs["ListConversations"] = s.ListConversations(ctx, contextstore.ConversationFilter{})
	_, errs["GetActivity"] = s.GetActivity(ctx, "u")
	errs["PutActivity"] = s.PutActivity(ctx, &contextstore.ChatActivityData{UserID: "u"})
	errs["CreateBlock"] = s.CreateBlock(ctx, &contextstore.Block{ID: "b", Kind: contextstore.KindIP})
	_, errs["GetBlock"] = s.GetBlock(ctx, "b")
	errs["UpdateBlock"] = s.UpdateBlock(ctx, &contextstore.Block{ID: "b"})
	_, errs["ListBlocks"] = s.ListBlocks(ctx, contextstore.BlockQuery{UserID: "u"})
	errs["DeleteBlock"] = s.DeleteBlock(ctx, "b")
	_, errs["BansVersion"] = s.BansVersion(ctx)
	errs["AppendAudit"] = s.AppendAudit(ctx, &contextstore.AuditEvent{Action: "x"})
	_, errs["ListAudit"] = s.ListAudit(ctx, contextstore.AuditQuery{})
	errs["Enqueue"] = s.Enqueue(ctx, contextstore.QueueEntry{Queue: "q", ConversationID: "c"})
	_, errs["Dequeue"] = s.Dequeue(ctx, "q")
	errs["RemoveFromQueue"] = s.RemoveFromQueue(ctx, "q", "c")
	_, errs["ListQueue"] = s.ListQueue(ctx, "q")
	errs["Ping"] = s.Ping(ctx)
	return errs
}

func TestUnavailable(t *testing.T) {
	t.Run("closed port", func(t *testing.T) {
		ctx := t.Context()
		addr := closedPort(t)
		s := redisstore.New(redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1}), redisstore.Options{})
		defer s.Close()
		for name, err := range everyMethod(ctx, s) {
			if !errors.Is(err, contextstore.ErrUnavailable) {
				t.Errorf("%s: %v, want ErrUnavailable", name, err)
			}
		}
	})
	t.Run("connect", func(t *testing.T) {
		addr := closedPort(t)
		_, err := redisstore.Connect(t.Context(), redisstore.Config{Addrs: []string{addr}, DialTimeout: time.Second})
		if !errors.Is(err, contextstore.ErrUnavailable) || !strings.Contains(err.Error(), "redis at "+addr) {
			t.Fatalf("Connect to a closed port: %v; want ErrUnavailable naming %s", err, addr)
		}
		_, err = redisstore.Connect(t.Context(), redisstore.Config{Addrs: []string{addr, closedPort(t)}, DialTimeout: time.Second})
		if !errors.Is(err, contextstore.ErrUnavailable) || !strings.Contains(err.Error(), "redis cluster at "+addr+",") {
			t.Fatalf("Connect to a closed cluster: %v", err)
		}
		if _, err := redisstore.Connect(t.Context(), redisstore.Config{}); err == nil || err.Error() != "redis: no address configured" {
			t.Fatalf("Connect without addresses: %v", err)
		}
	})
	t.Run("closed client", func(t *testing.T) {
		tg := target{"standalone", []string{standalone(t)}}
		s := newStore(t, tg, redisstore.Options{})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		for name, err := range everyMethod(t.Context(), s) {
			if !errors.Is(err, contextstore.ErrUnavailable) || !errors.Is(err, redis.ErrClosed) {
				t.Errorf("%s: %v, want ErrUnavailable wrapping redis.ErrClosed", name, err)
			}
		}
	})
	t.Run("mid turn", func(t *testing.T) {
		ctx := t.Context()
		tg := target{"standalone", []string{standalone(t)}}
		p := newProxy(t, tg.addrs[0])
		prefix := uniquePrefix(t)
		s := redisstore.New(redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1}),
			redisstore.Options{KeyPrefix: prefix})
		defer s.Close()
		t.Cleanup(func() { deleteKeys(t, tg.addrs, prefix) })
		c := &contextstore.Conversation{ID: "c", Vars: map[string]any{"step": "one"}}
		if err := s.PutConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		c, err := s.GetConversation(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		p.cut() // Redis goes away between the load and the save.
		c.Vars["step"] = "two"
		err = s.PutConversation(ctx, c)
		if !errors.Is(err, contextstore.ErrUnavailable) {
			t.Fatalf("save after Redis went away: %v, want ErrUnavailable", err)
		}
		if c.Version != 1 {
			t.Errorf("a failed save changed the caller's version to %d", c.Version)
		}
		for name, err := range everyMethod(ctx, s) {
			if !errors.Is(err, contextstore.ErrUnavailable) {
				t.Errorf("%s: %v, want ErrUnavailable", name, err)
			}
		}
		// Nothing was written: the stored context is still the first one.
		direct := newStore(t, tg, redisstore.Options{KeyPrefix: prefix})
		got, err := direct.GetConversation(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || got.Vars["step"] != "one" {
			t.Fatalf("stored after the failed save: version %d, vars %v", got.Version, got.Vars)
		}
	})
}

func TestConnect(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		prefix := uniquePrefix(t)
		s, err := redisstore.Connect(t.Context(), redisstore.Config{Addrs: tg.addrs, KeyPrefix: prefix, DialTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { deleteKeys(t, tg.addrs, prefix) })
		defer s.Close()
		_, isCluster := s.Client().(*redis.ClusterClient)
		if isCluster != (len(tg.addrs) > 1) {
			t.Fatalf("%d addresses gave a %T", len(tg.addrs), s.Client())
		}
		if err := s.PutActivity(t.Context(), &contextstore.ChatActivityData{UserID: "u"}); err != nil {
			t.Fatal(err)
		}
		if n := countKeys(t, tg.addrs, prefix); n != 1 {
			t.Fatalf("%d keys under the configured prefix, want 1", n)
		}
	})
}

func TestActivity(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		if _, err := s.GetActivity(ctx, "u1"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatalf("missing activity: %v", err)
		}
		d := &contextstore.ChatActivityData{UserID: "u1", LiveChatBlockedUntil: tp(t0), LiveChatBlockedReason: "spam"}
		if err := s.PutActivity(ctx, d); err != nil || d.Version != 1 {
			t.Fatalf("put: %v, version %d", err, d.Version)
		}
		if err := s.PutActivity(ctx, &contextstore.ChatActivityData{UserID: "u1"}); !errors.Is(err, contextstore.ErrVersionConflict) {
			t.Fatalf("create over existing: %v", err)
		}
		got, err := s.GetActivity(ctx, "u1")
		if err != nil || got.Version != 1 || got.LiveChatBlockedReason != "spam" || !got.LiveChatBlockedUntil.Equal(t0) {
			t.Fatalf("got %+v, %v", got, err)
		}
		got.LiveChatBlockedUntil = nil
		if err := s.PutActivity(ctx, got); err != nil || got.Version != 2 {
			t.Fatalf("update: %v", err)
		}
	})
}

func blockIDs(bs []*contextstore.Block) string {
	var ids []string
	for _, b := range bs {
		ids = append(ids, b.ID)
	}
	return strings.Join(ids, " ")
}

func TestBlocksAndIndexes(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		mk := func(b *contextstore.Block) {
			t.Helper()
			if err := s.CreateBlock(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		mk(&contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "alice", CreatedAt: t0, Until: tp(t0.Add(time.Hour))})
		mk(&contextstore.Block{ID: "b2", Kind: contextstore.KindIP, IPHash: "h1", IPCipher: []byte{1, 2}, CreatedAt: t0})
		mk(&contextstore.Block{ID: "b3", Kind: contextstore.KindRange, Range: "10.0.0.0/8", CreatedAt: t0})
		mk(&contextstore.Block{ID: "b4", Kind: contextstore.KindConversation, ConversationID: "c9", CreatedAt: t0, Channels: []string{"livechat"}})
		mk(&contextstore.Block{ID: "b5", Kind: contextstore.KindUser, UserID: "alice", CreatedAt: t0, Until: tp(t0.Add(-time.Hour))})
		if v, err := s.BansVersion(ctx); err != nil || v != 2 {
			t.Fatalf("BansVersion = %d, %v; want 2", v, err)
		}
		if err := s.CreateBlock(ctx, &contextstore.Block{ID: "b1", Kind: contextstore.KindUser}); !errors.Is(err, contextstore.ErrAlreadyExists) {
			t.Fatalf("duplicate create: %v", err)
		}
		for _, tc := range []struct {
			name string
			q    contextstore.BlockQuery
			want string
		}{
			{"all", contextstore.BlockQuery{}, "b1 b2 b3 b4 b5"},
			{"user", contextstore.BlockQuery{UserID: "alice"}, "b1 b5"},
			{"user active", contextstore.BlockQuery{UserID: "alice", Status: contextstore.StatusActive, At: t0}, "b1"},
			{"user ended", contextstore.BlockQuery{UserID: "alice", Status: contextstore.StatusEnded, At: t0}, "b5"},
			{"ip", contextstore.BlockQuery{IPHash: "h1"}, "b2"},
			{"conversation", contextstore.BlockQuery{ConversationID: "c9", Channel: "livechat"}, "b4"},
			{"conversation other channel", contextstore.BlockQuery{ConversationID: "c9", Channel: "forum"}, ""},
			{"bans", contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindRange, contextstore.KindIP}}, "b2 b3"},
			{"bans limit", contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindRange, contextstore.KindIP, contextstore.KindRange}, Limit: 1}, "b2"},
			{"after", contextstore.BlockQuery{After: "b2", Limit: 2}, "b3 b4"},
			{"unknown user", contextstore.BlockQuery{UserID: "bob"}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListBlocks(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if blockIDs(got) != tc.want {
					t.Fatalf("got %q, want %q", blockIDs(got), tc.want)
				}
			})
		}

		// Moving a block to another user moves it between the indexes.
		b, err := s.GetBlock(ctx, "b1")
		if err != nil || b.Version != 1 || string(b.IPCipher) != "" || !b.Until.Equal(t0.Add(time.Hour)) {
			t.Fatalf("get: %+v, %v", b, err)
		}
		b.UserID = "bob"
		if err := s.UpdateBlock(ctx, b); err != nil || b.Version != 2 {
			t.Fatalf("update: %v (version %d)", err, b.Version)
		}
		if got, _ := s.ListBlocks(ctx, contextstore.BlockQuery{UserID: "alice"}); blockIDs(got) != "b5" {
			t.Fatalf("alice after the move: %q", blockIDs(got))
		}
		if got, _ := s.ListBlocks(ctx, contextstore.BlockQuery{UserID: "bob"}); blockIDs(got) != "b1" {
			t.Fatalf("bob after the move: %q", blockIDs(got))
		}
		b.Version = 1
		if err := s.UpdateBlock(ctx, b); !errors.Is(err, contextstore.ErrVersionConflict) {
			t.Fatalf("stale update: %v", err)
		}
		if err := s.UpdateBlock(ctx, &contextstore.Block{ID: "zz"}); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatalf("update of a missing block: %v", err)
		}
		v0, _ := s.BansVersion(ctx)
		if err := s.UpdateBlock(ctx, b); err == nil {
			t.Fatal("expected conflict")
		}
		b2, _ := s.GetBlock(ctx, "b2")
		if string(b2.IPCipher) != "\x01\x02" {
			t.Fatalf("IPCipher = %v", b2.IPCipher)
		}
		b2.Notes = "x"
		if err := s.UpdateBlock(ctx, b2); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBlock(ctx, "b3"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBlock(ctx, "b3"); err != nil {
			t.Fatalf("deleting a missing block: %v", err)
		}
		if err := s.DeleteBlock(ctx, "b4"); err != nil { // not a ban
			t.Fatal(err)
		}
		if v, _ := s.BansVersion(ctx); v != v0+2 {
			t.Fatalf("BansVersion = %d, want %d (ip update + range delete)", v, v0+2)
		}
		if got, _ := s.ListBlocks(ctx, contextstore.BlockQuery{}); blockIDs(got) != "b1 b2 b5" {
			t.Fatalf("after deletes: %q", blockIDs(got))
		}
		if got, _ := s.ListBlocks(ctx, contextstore.BlockQuery{ConversationID: "c9"}); len(got) != 0 {
			t.Fatalf("deleted block still indexed: %q", blockIDs(got))
		}
	})
}

func TestListBlocksPages(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		for i := range 700 {
			b := &contextstore.Block{ID: fmt.Sprintf("b%04d", i), Kind: contextstore.KindUser, UserID: "u", CreatedAt: t0}
			if i%100 == 99 {
				b.ReasonCategory = "spam"
			}
			if err := s.CreateBlock(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListBlocks(ctx, contextstore.BlockQuery{UserID: "u", ReasonCategory: "spam", After: "b0099"})
		if err != nil {
			t.Fatal(err)
		}
		if want := "b0199 b0299 b0399 b0499 b0599 b0699"; blockIDs(got) != want {
			t.Fatalf("got %q, want %q", blockIDs(got), want)
		}
		all, _ := s.ListBlocks(ctx, contextstore.BlockQuery{})
		if len(all) != 700 {
			t.Fatalf("listed %d of 700", len(all))
		}
	})
}

func TestSubscribeBans(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		prefix := uniquePrefix(t)
		s := newStore(t, tg, redisstore.Options{KeyPrefix: prefix})
		other := newStore(t, tg, redisstore.Options{KeyPrefix: prefix}) // another instance
		if err := other.CreateBlock(ctx, &contextstore.Block{ID: "r0", Kind: contextstore.KindRange, Range: "10.0.0.0/8"}); err != nil {
			t.Fatal(err)
		}
		ch, stop := s.SubscribeBans(ctx)
		defer stop()
		next := func(want int64) {
			t.Helper()
			select {
			case v, ok := <-ch:
				if !ok || v != want {
					t.Fatalf("got version %d (open %v), want %d", v, ok, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no ban notification within 5s (want version %d)", want)
			}
		}
		next(1) // the current version, on subscribing
		// On a cluster the notification of version 1 can reach the
		// subscriber's node after it read the current version, so the
		// subscriber may see a message for the version it has just
		// delivered; it must not deliver it again. Publish that message
		// by hand so that the case is tested on every run, not only when
		// the cluster bus is slow.
		raw := newClient(tg.addrs)
		defer raw.Close()
		if err := raw.Publish(ctx, prefix+"bans", 1).Err(); err != nil {
			t.Fatal(err)
		}
		if err := other.CreateBlock(ctx, &contextstore.Block{ID: "ip1", Kind: contextstore.KindIP, IPHash: "h"}); err != nil {
			t.Fatal(err)
		}
		next(2)
		// Not a ban: no notification.
		if err := other.CreateBlock(ctx, &contextstore.Block{ID: "u1", Kind: contextstore.KindUser, UserID: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := other.DeleteBlock(ctx, "r0"); err != nil {
			t.Fatal(err)
		}
		next(3)
		stop()
		stop() // idempotent
		if _, ok := <-ch; ok {
			t.Fatal("channel still open after stop")
		}

		// Cancelling the context also ends the subscription.
		cctx, cancel := context.WithCancel(ctx)
		ch2, stop2 := s.SubscribeBans(cctx)
		defer stop2()
		select {
		case v := <-ch2:
			if v != 3 {
				t.Fatalf("initial version %d, want 3", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no initial version")
		}
		cancel()
		select {
		case _, ok := <-ch2:
			if ok {
				t.Fatal("unexpected delivery")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("channel not closed after cancel")
		}
	})
}

func TestAudit(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		events := []*contextstore.AuditEvent{
			{At: t0, Actor: "agent@x", Action: "block.create", BlockID: "b1", Details: map[string]string{"k": "v"}},
			{At: t0.Add(time.Minute), Actor: "admin", Action: "block.lift", BlockID: "b1"},
			{At: t0.Add(2 * time.Minute), Actor: "agent@x", Action: "block.create", BlockID: "b2"},
		}
		for _, e := range events {
			if err := s.AppendAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if events[0].ID != fmt.Sprintf("%020d", 1) || events[2].ID != fmt.Sprintf("%020d", 3) {
			t.Fatalf("assigned ids %q, %q", events[0].ID, events[2].ID)
		}
		given := &contextstore.AuditEvent{ID: "zz-given", At: t0, Action: "x"}
		if err := s.AppendAudit(ctx, given); err != nil || given.ID != "zz-given" {
			t.Fatalf("given id: %v %q", err, given.ID)
		}
		ids := func(es []*contextstore.AuditEvent) string {
			var out []string
			for _, e := range es {
				out = append(out, e.ID[len(e.ID)-1:])
			}
			return strings.Join(out, " ")
		}
		for _, tc := range []struct {
			name string
			q    contextstore.AuditQuery
			want string
		}{
			{"all", contextstore.AuditQuery{To: t0.Add(time.Hour)}, "1 2 3 n"},
			{"block", contextstore.AuditQuery{BlockID: "b1"}, "1 2"},
			{"actor", contextstore.AuditQuery{Actor: "agent@x"}, "1 3"},
			{"action after", contextstore.AuditQuery{Action: "block.create", After: events[0].ID}, "3"},
			{"time", contextstore.AuditQuery{From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}, "2"},
			{"limit", contextstore.AuditQuery{Limit: 2, After: events[0].ID}, "2 3"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListAudit(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if ids(got) != tc.want {
					t.Fatalf("got %q, want %q", ids(got), tc.want)
				}
			})
		}
		got, _ := s.ListAudit(ctx, contextstore.AuditQuery{Limit: 1})
		if got[0].Details["k"] != "v" || !got[0].At.Equal(t0) || got[0].Actor != "agent@x" {
			t.Fatalf("event = %+v", got[0])
		}

		// Given ids sort byte-wise like Go strings, duplicates in append
		// order, whatever bytes they hold.
		for i, id := range []string{"m", "m\x00b", "mb", "m", "m\x00"} {
			if err := s.AppendAudit(ctx, &contextstore.AuditEvent{ID: id, Actor: fmt.Sprint(i), Action: "order"}); err != nil {
				t.Fatal(err)
			}
		}
		order := func(q contextstore.AuditQuery) string {
			t.Helper()
			q.Action = "order"
			es, err := s.ListAudit(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range es {
				out = append(out, fmt.Sprintf("%q/%s", e.ID, e.Actor))
			}
			return strings.Join(out, " ")
		}
		if got, want := order(contextstore.AuditQuery{}), `"m"/0 "m"/3 "m\x00"/4 "m\x00b"/1 "mb"/2`; got != want {
			t.Fatalf("order = %s, want %s", got, want)
		}
		if got, want := order(contextstore.AuditQuery{After: "m"}), `"m\x00"/4 "m\x00b"/1 "mb"/2`; got != want {
			t.Fatalf("after m = %s, want %s", got, want)
		}
		if got, want := order(contextstore.AuditQuery{After: "m\x00"}), `"m\x00b"/1 "mb"/2`; got != want {
			t.Fatalf("after m NUL = %s, want %s", got, want)
		}
	})
}

func TestQueue(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		if _, err := s.Dequeue(ctx, "sales"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatalf("dequeue from empty: %v", err)
		}
		for i, id := range []string{"c1", "c2", "c3", "c1"} {
			if err := s.Enqueue(ctx, contextstore.QueueEntry{Queue: "sales", ConversationID: id, EnqueuedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Enqueue(ctx, contextstore.QueueEntry{Queue: "support", ConversationID: "c1"}); err != nil {
			t.Fatal(err)
		}
		l, err := s.ListQueue(ctx, "sales")
		if err != nil || len(l) != 3 || l[0].ConversationID != "c1" || !l[0].EnqueuedAt.Equal(t0) || l[2].ConversationID != "c3" {
			t.Fatalf("list: %+v, %v", l, err)
		}
		if err := s.RemoveFromQueue(ctx, "sales", "c2"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveFromQueue(ctx, "sales", "nope"); err != nil {
			t.Fatal(err)
		}
		e, err := s.Dequeue(ctx, "sales")
		if err != nil || e.ConversationID != "c1" || e.Queue != "sales" {
			t.Fatalf("dequeue: %+v, %v", e, err)
		}
		e, _ = s.Dequeue(ctx, "sales")
		if e.ConversationID != "c3" {
			t.Fatalf("second dequeue: %+v", e)
		}
		if _, err := s.Dequeue(ctx, "sales"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatalf("dequeue after drain: %v", err)
		}
		if l, err := s.ListQueue(ctx, "sales"); err != nil || len(l) != 0 {
			t.Fatalf("drained list: %v %v", l, err)
		}
		if l, _ := s.ListQueue(ctx, "support"); len(l) != 1 {
			t.Fatalf("other queue: %v", l)
		}
	})
}

// TestConcurrentDequeue: many agents take from one queue; each entry is
// taken exactly once.
func TestConcurrentDequeue(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		const n = 200
		for i := range n {
			if err := s.Enqueue(ctx, contextstore.QueueEntry{Queue: "q", ConversationID: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					e, err := s.Dequeue(ctx, "q")
					if errors.Is(err, contextstore.ErrNotFound) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					seen[e.ConversationID]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("dequeued %d distinct entries, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("%s dequeued %d times", id, k)
			}
		}
	})
}

// TestKeysShareSlots checks the hash-tag layout: every key a script or
// MULTI touches together lives in one cluster slot.
func TestKeysShareSlots(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		prefix := uniquePrefix(t)
		s := newStore(t, tg, redisstore.Options{KeyPrefix: prefix})
		_ = s.PutConversation(ctx, &contextstore.Conversation{ID: "c1"})
		_ = s.CreateBlock(ctx, &contextstore.Block{ID: "b", Kind: contextstore.KindIP, IPHash: "h", UserID: "u", ConversationID: "c"})
		_ = s.AppendAudit(ctx, &contextstore.AuditEvent{BlockID: "b"})
		_ = s.Enqueue(ctx, contextstore.QueueEntry{Queue: "q", ConversationID: "c"})
		raw := newClient(tg.addrs)
		defer raw.Close()
		groups := map[string][]string{}
		for _, g := range []string{"{convs}", "{blocks}", "{audit}", "{queue:q}"} {
			groups[g] = nil
		}
		var mu sync.Mutex
		collect := func(ctx context.Context, c *redis.Client) error {
			iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				k := iter.Val()
				mu.Lock()
				for g := range groups {
					if strings.HasPrefix(k, prefix+g) {
						groups[g] = append(groups[g], k)
					}
				}
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
		for g, ks := range groups {
			if len(ks) < 2 {
				t.Fatalf("group %s has keys %v", g, ks)
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
		}
	})
}

// TestScriptCacheFlushed: after a restart or failover Redis has forgotten
// the scripts; every write still works (EVALSHA fails with NOSCRIPT, the
// store falls back to EVAL, which caches the script again).
func TestScriptCacheFlushed(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{})
		flush := func() {
			t.Helper()
			raw := newClient(tg.addrs)
			defer raw.Close()
			var err error
			switch c := raw.(type) {
			case *redis.ClusterClient:
				err = c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.ScriptFlush(ctx).Err() })
			case *redis.Client:
				err = c.ScriptFlush(ctx).Err()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		c := &contextstore.Conversation{ID: "c"}
		for i := range 3 {
			flush()
			if err := s.PutConversation(ctx, c); err != nil {
				t.Fatalf("put %d after SCRIPT FLUSH: %v", i, err)
			}
			if err := s.CreateBlock(ctx, &contextstore.Block{ID: fmt.Sprint("b", i), Kind: contextstore.KindIP, IPHash: "h"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Enqueue(ctx, contextstore.QueueEntry{Queue: "q", ConversationID: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if c.Version != 3 {
			t.Fatalf("version %d, want 3", c.Version)
		}
		if l, _ := s.ListConversations(ctx, contextstore.ConversationFilter{}); len(l) != 1 {
			t.Fatalf("index after flushes: %d conversations", len(l))
		}
	})
}

// TestNoExpiry: a negative ConversationTTL keeps contexts forever.
func TestNoExpiry(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		prefix := uniquePrefix(t)
		s := newStore(t, tg, redisstore.Options{KeyPrefix: prefix, ConversationTTL: -1})
		if err := s.PutConversation(ctx, &contextstore.Conversation{ID: "c"}); err != nil {
			t.Fatal(err)
		}
		raw := newClient(tg.addrs)
		defer raw.Close()
		if ttl, _ := raw.PTTL(ctx, prefix+"{conv:c}").Result(); ttl != -1 {
			t.Fatalf("PTTL = %v, want -1 (no expiry)", ttl)
		}
	})
}

// TestLostReply: the connection drops after Redis ran a write but before
// its reply arrived, and go-redis resends the command on a new connection.
// The resent write must not be applied twice: a save must not report a
// conflict with itself, and a dequeue must not take (and lose) a second
// entry.
func TestLostReply(t *testing.T) {
	ctx := t.Context()
	tg := target{"standalone", []string{standalone(t)}}
	p := newProxy(t, tg.addrs[0])
	prefix := uniquePrefix(t)
	s := redisstore.New(redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: 3}), redisstore.Options{KeyPrefix: prefix})
	defer s.Close()
	t.Cleanup(func() { deleteKeys(t, tg.addrs, prefix) })

	c := &contextstore.Conversation{ID: "c"}
	if err := s.PutConversation(ctx, c); err != nil { // loads the scripts
		t.Fatal(err)
	}
	p.dropReply.Store(1)
	if err := s.PutConversation(ctx, c); err != nil {
		t.Fatalf("save whose reply was lost: %v", err)
	}
	if c.Version != 2 {
		t.Fatalf("version %d, want 2", c.Version)
	}
	d := &contextstore.ChatActivityData{UserID: "u"}
	if err := s.PutActivity(ctx, d); err != nil {
		t.Fatal(err)
	}
	p.dropReply.Store(1)
	if err := s.PutActivity(ctx, d); err != nil || d.Version != 2 {
		t.Fatalf("activity save whose reply was lost: %v (version %d)", err, d.Version)
	}

	for _, id := range []string{"first", "second"} {
		if err := s.Enqueue(ctx, contextstore.QueueEntry{Queue: "q", ConversationID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ListQueue(ctx, "q"); err != nil { // warm the dequeue path
		t.Fatal(err)
	}
	p.dropReply.Store(1)
	e, err := s.Dequeue(ctx, "q")
	if err != nil || e.ConversationID != "first" {
		t.Fatalf("dequeue whose reply was lost: %+v, %v", e, err)
	}
	l, err := s.ListQueue(ctx, "q")
	if err != nil || len(l) != 1 || l[0].ConversationID != "second" {
		t.Fatalf("queue after the resent dequeue: %+v, %v; want [second]", l, err)
	}

	b := &contextstore.Block{ID: "b", Kind: contextstore.KindUser, UserID: "u"}
	if err := s.CreateBlock(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Notes = "renewed"
	p.dropReply.Store(2) // the read is the first reply, the write the second
	if err := s.UpdateBlock(ctx, b); err != nil || b.Version != 2 {
		t.Fatalf("block update whose reply was lost: %v (version %d)", err, b.Version)
	}
	p.dropReply.Store(1)
	if err := s.CreateBlock(ctx, &contextstore.Block{ID: "b2", Kind: contextstore.KindIP, IPHash: "h"}); err != nil {
		t.Fatalf("block create whose reply was lost: %v", err)
	}
	if v, err := s.BansVersion(ctx); err != nil || v != 1 {
		t.Fatalf("BansVersion after one resent ban create: %d, %v; want 1", v, err)
	}
	if err := s.AppendAudit(ctx, &contextstore.AuditEvent{Action: "warm"}); err != nil { // loads the script
		t.Fatal(err)
	}
	e1 := &contextstore.AuditEvent{Action: "a"}
	p.dropReply.Store(1)
	if err := s.AppendAudit(ctx, e1); err != nil {
		t.Fatalf("audit append whose reply was lost: %v", err)
	}
	if es, err := s.ListAudit(ctx, contextstore.AuditQuery{Action: "a"}); err != nil || len(es) != 1 || es[0].ID != e1.ID {
		t.Fatalf("audit after one resent append: %d events (%v), want 1 with id %q", len(es), err, e1.ID)
	}
}
