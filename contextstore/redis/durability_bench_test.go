package redisstore_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
)

// The durability benchmarks measure what WAIT (one replica) costs a write:
// the same write with and without it, on a master with a replica. They use
// the Sentinel set and the Cluster of the failover tests
// (CHATFLOW_FAULT_SENTINELS with CHATFLOW_FAULT_MASTER,
// CHATFLOW_FAULT_CLUSTER; skipped when unset):
//
//	CHATFLOW_FAULT_SENTINELS=... CHATFLOW_FAULT_MASTER=chatflow CHATFLOW_FAULT_CLUSTER=... \
//	  go test -run '^$' -bench Durab ./contextstore/redis/

func durabilityTargets(b *testing.B) []target {
	var out []target
	if s := splitAddrs(os.Getenv("CHATFLOW_FAULT_SENTINELS")); len(s) > 0 {
		c := redis.NewSentinelClient(&redis.Options{Addr: s[0]})
		addr, err := c.GetMasterAddrByName(b.Context(), os.Getenv("CHATFLOW_FAULT_MASTER")).Result()
		c.Close()
		if err != nil {
			b.Fatalf("asking the sentinel for the master: %v", err)
		}
		out = append(out, target{"replicated", []string{addr[0] + ":" + addr[1]}})
	}
	if c := splitAddrs(os.Getenv("CHATFLOW_FAULT_CLUSTER")); len(c) > 0 {
		out = append(out, target{"cluster-replicated", c})
	}
	if len(out) == 0 {
		b.Skip("no replicated Redis: set CHATFLOW_FAULT_SENTINELS and CHATFLOW_FAULT_MASTER and/or CHATFLOW_FAULT_CLUSTER (.ci/fault-redis start prints them)")
	}
	return out
}

// BenchmarkDurableTurn is one turn's save (load, change, compare-and-swap)
// with Durability.Turns off and on.
func BenchmarkDurableTurn(b *testing.B) {
	for _, tg := range durabilityTargets(b) {
		for _, wait := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/wait=%v", tg.name, wait), func(b *testing.B) {
				s := newStore(b, tg, redisstore.Options{Durability: redisstore.Durability{Replicas: 1, Turns: wait}})
				ctx := b.Context()
				c := &contextstore.Conversation{ID: "bench", Vars: map[string]any{"count": 0.0}}
				for i := range 20 {
					c.Transcript = append(c.Transcript, contextstore.Message{At: t0, From: "user", Text: fmt.Sprintf("message %d of the transcript", i)})
				}
				if err := s.PutConversation(ctx, c); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					got, err := s.GetConversation(ctx, "bench")
					if err != nil {
						b.Fatal(err)
					}
					got.Vars["count"] = got.Vars["count"].(float64) + 1
					if err := s.PutConversation(ctx, got); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDurableBlock is one sanction write (CreateBlock) without and
// with the wait for a replica.
func BenchmarkDurableBlock(b *testing.B) {
	for _, tg := range durabilityTargets(b) {
		for _, replicas := range []int{0, 1} {
			b.Run(fmt.Sprintf("%s/replicas=%d", tg.name, replicas), func(b *testing.B) {
				s := newStore(b, tg, redisstore.Options{Durability: redisstore.Durability{Replicas: replicas}})
				ctx := b.Context()
				i := 0
				for b.Loop() {
					i++
					id := fmt.Sprintf("b%07d", i)
					if err := s.CreateBlock(ctx, &contextstore.Block{ID: id, Kind: contextstore.KindUser, UserID: id, CreatedAt: t0}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
