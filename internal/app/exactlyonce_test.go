package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/bolt"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/redistest"
)

// redisDeployments are the Redis deployments the two-instance tests run
// on: REDIS_ADDR (standalone in CI) and REDIS_CLUSTER_ADDRS (the 3-node
// Cluster in CI), each skipped only when its variable is unset.
func redisDeployments(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{"standalone": redistest.Addrs(t)}
	if c := os.Getenv("REDIS_CLUSTER_ADDRS"); c != "" {
		out["cluster"] = strings.Split(c, ",")
	}
	return out
}

// takeAndBlockBoth runs the same blocking event — the agent's disconnect
// with a block, key key — on both instances at once, and returns both
// results.
func takeAndBlockBoth(t *testing.T, p *twoInstances, conv string, keys [2]string) [2]error {
	t.Helper()
	var errs [2]error
	var wg sync.WaitGroup
	for i, inst := range []*app.App{p.A, p.B} {
		wg.Go(func() {
			_, errs[i] = inst.Desk.Disconnect(t.Context(), conv, keys[i], contextstore.AgentFeedback{
				AgentEmail: "agent@example.com", Block: true, ReasonCategory: blocking.CategorySpam,
				Notes: "links", BlockIntervalMinutes: 60,
			})
		})
	}
	wg.Wait()
	return errs
}

// TestTwoInstancesSameBlockingEventOneRecord: the same blocking event with
// the same idempotency key given to two instances at once makes one block
// record, 20 times in a row; two different blocking events at once make at
// most two.
func TestTwoInstancesSameBlockingEventOneRecord(t *testing.T) {
	for name, addrs := range redisDeployments(t) {
		t.Run(name, func(t *testing.T) {
			p := newTwoInstances(t, instanceOptions{addrs: addrs})
			ctx := t.Context()
			count := func(conv string) int {
				t.Helper()
				list, err := p.A.Blocking.List(ctx, contextstore.BlockQuery{ConversationID: conv})
				if err != nil {
					t.Fatal(err)
				}
				return len(list)
			}
			for round := range 20 {
				for _, same := range []bool{true, false} {
					conv := fmt.Sprintf("r%d-%v", round, same)
					// One address per round: 40 chats from one IP within a second
					// would meet the visitor message limit.
					wantQueued(t, p.A, askForAgent(t, p.A, conv, "k1", visitor{ip: fmt.Sprintf("198.51.100.%d", 100+round)}))
					if _, err := p.A.Desk.Take(ctx, "support", "agent@example.com"); err != nil {
						t.Fatal(err)
					}
					keys := [2]string{"disconnect-1", "disconnect-1"}
					if !same {
						keys[1] = "disconnect-2"
					}
					for i, err := range takeAndBlockBoth(t, p, conv, keys) {
						if err != nil {
							t.Fatalf("round %d (same key %v), instance %d: %v", round, same, i, err)
						}
					}
					n := count(conv)
					switch {
					case same && n != 1:
						t.Fatalf("round %d: the same blocking event on two instances made %d block records, want 1", round, n)
					case !same && (n < 1 || n > 2):
						t.Fatalf("round %d: two blocking events made %d block records, want 1 or 2", round, n)
					}
					c, err := p.B.Store.GetConversation(ctx, conv)
					if err != nil {
						t.Fatal(err)
					}
					if c.Helpdesk.AgentConnected || !c.Info.Blocked || c.Info.LiveChatBlockedUntil == nil {
						t.Fatalf("round %d: conversation after the block: %+v %+v", round, c.Helpdesk, c.Info)
					}
					staff := 0
					for _, m := range c.Transcript {
						if m.From == contextstore.FromStaff {
							staff++
						}
					}
					if same && staff != 1 {
						t.Fatalf("round %d: %d staff lines for one sanction, want 1", round, staff)
					}
				}
			}
		})
	}
}

// TestSameBlockingEventOneRecordEmbedded: the same on the memory and the
// embedded (bbolt) store, with two App instances sharing one store and
// each blocking event sent from several goroutines at once (run under
// -race by make test).
func TestSameBlockingEventOneRecordEmbedded(t *testing.T) {
	stores := map[string]func(t *testing.T) contextstore.Store{
		"memory": func(*testing.T) contextstore.Store { return memory.New() },
		"bolt": func(t *testing.T) contextstore.Store {
			s, err := bolt.Open(filepath.Join(t.TempDir(), "chatflow.db"), bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			key := privacy.NewKey()
			clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			var insts []*app.App
			for range 2 {
				a, err := app.New(t.Context(), app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, EncryptionKey: key})
				if err != nil {
					t.Fatal(err)
				}
				insts = append(insts, a)
			}
			p := &twoInstances{A: insts[0], B: insts[1]}
			for round := range 10 {
				conv := fmt.Sprintf("r%d", round)
				askForAgent(t, p.A, conv, "k1", visitor{ip: fmt.Sprintf("198.51.100.%d", 100+round)})
				if _, err := p.A.Desk.Take(t.Context(), "support", "agent@example.com"); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				for range 3 {
					wg.Go(func() {
						for i, err := range takeAndBlockBoth(t, p, conv, [2]string{"d-1", "d-1"}) {
							if err != nil {
								t.Errorf("instance %d: %v", i, err)
							}
						}
					})
				}
				wg.Wait()
				list, err := p.A.Blocking.List(t.Context(), contextstore.BlockQuery{ConversationID: conv})
				if err != nil {
					t.Fatal(err)
				}
				if len(list) != 1 {
					t.Fatalf("round %d: one blocking event sent six times at once made %d block records, want 1", round, len(list))
				}
			}
		})
	}
}

// TestTwoInstancesSanctionFeed: a user blocked by the agent-disconnected
// flow on instance A, whose own background work is not running (as if A
// stopped right after the turn), has their other live chat, held by an
// agent on instance B, ended by B: B applies what the store's change feed
// announces.
func TestTwoInstancesSanctionFeed(t *testing.T) {
	for name, addrs := range redisDeployments(t) {
		t.Run(name, func(t *testing.T) {
			p := newTwoInstances(t, instanceOptions{addrs: addrs})
			ctx := t.Context()
			user := &contextstore.ChatUser{UserID: "u-7", Name: "Sam", IsAuthenticated: true}
			v := visitor{ip: "198.51.100.42", user: user}
			wantQueued(t, p.B, askForAgent(t, p.B, "b-1", "k1", v))
			if _, err := p.B.Desk.Take(ctx, "support", "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			stop := runBackground(t, p.B, app.BackgroundOptions{})
			defer stop()
			wantQueued(t, p.A, askForAgent(t, p.A, "a-1", "k1", v))
			if _, err := p.A.Desk.Take(ctx, "support", "ann@example.com"); err != nil {
				t.Fatal(err)
			}
			waitSubscribed(t, p.storeB.Client(), p.prefix+"sanctions")
			if _, err := p.A.Desk.Disconnect(ctx, "a-1", "d-1", contextstore.AgentFeedback{
				Block: true, ReasonCategory: blocking.CategoryAbusiveLanguage, BlockIntervalMinutes: 60,
			}); err != nil {
				t.Fatal(err)
			}
			waitEnded(t, p.B, "b-1", "B's chat of the blocked user")
		})
	}
}

// waitSubscribed waits until some node of c counts a subscriber of
// channel (B's feed is up), so that what A publishes next reaches it.
func waitSubscribed(t *testing.T, c redis.UniversalClient, channel string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int64
		count := func(ctx context.Context, node *redis.Client) error {
			m, err := node.PubSubNumSub(ctx, channel).Result()
			n += m[channel]
			return err
		}
		var err error
		if cc, ok := c.(*redis.ClusterClient); ok {
			var mu sync.Mutex
			err = cc.ForEachShard(t.Context(), func(ctx context.Context, node *redis.Client) error {
				mu.Lock()
				defer mu.Unlock()
				return count(ctx, node)
			})
		} else {
			err = count(t.Context(), c.(*redis.Client))
		}
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nobody subscribed to %s within 10s", channel)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTwoInstancesRangeBanFeed: a range ban recorded on A (whose pipeline
// never applies it, as if A stopped right after the write) ends the chat
// from that range that an agent holds on B: B's feed applies it.
func TestTwoInstancesRangeBanFeed(t *testing.T) {
	for name, addrs := range redisDeployments(t) {
		t.Run(name, func(t *testing.T) {
			p := newTwoInstances(t, instanceOptions{addrs: addrs})
			ctx := t.Context()
			wantQueued(t, p.B, askForAgent(t, p.B, "b-1", "k1", visitor{ip: "203.0.113.80"}))
			if _, err := p.B.Desk.Take(ctx, "support", "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			stop := runBackground(t, p.B, app.BackgroundOptions{})
			defer stop()
			waitSubscribed(t, p.storeB.Client(), p.prefix+"sanctions")
			if _, err := p.A.Blocking.Sanction(ctx, blocking.NewBlock{Range: "203.0.113.0/24", Period: blocking.Period{Minutes: 60},
				ReasonCategory: blocking.CategorySpam, Actor: "ada@example.com"}); err != nil {
				t.Fatal(err)
			}
			waitEnded(t, p.B, "b-1", "B's chat from the banned range")
		})
	}
}

// waitEnded waits until a sanction ended the live chat of conversation id
// on inst (it is applied asynchronously, through the change feed).
func waitEnded(t *testing.T, inst *app.App, id, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := inst.Store.GetConversation(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Helpdesk.AgentConnected && c.Info.Blocked && len(c.Sanctions) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still runs after 10s: %+v %+v", what, c.Helpdesk, c.Info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
