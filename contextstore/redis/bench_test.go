package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
)

// The benchmarks run against REDIS_ADDR (skipped when unset). Compare them
// with `redis-benchmark -q -n 20000 -t get,set -p <port>` on the same
// server: a turn is two round trips, a block check one.

func benchStore(b *testing.B) *redisstore.Store {
	b.Helper()
	return newStore(b, target{"standalone", []string{standalone(b)}}, redisstore.Options{})
}

// BenchmarkConversationGetPut is one turn's storage work: load a context
// of typical size, change it, and save it with the compare-and-swap.
func BenchmarkConversationGetPut(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	c := &contextstore.Conversation{
		ID:   "bench",
		Info: contextstore.ConversationInfo{ConversationID: "bench", Channel: "web", StartedAt: t0},
		User: contextstore.ChatUser{UserID: "u1", Name: "Ann", Email: "ann@example.com", IsAuthenticated: true},
		Vars: map[string]any{"name": "Ann", "count": 0.0, "since": t0, "tags": []any{"a", "b"}},
	}
	for i := range 20 {
		c.Transcript = append(c.Transcript, contextstore.Message{At: t0, From: "user", Text: fmt.Sprintf("message %d of the transcript", i)})
	}
	if err := s.PutConversation(ctx, c); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
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
}

// BenchmarkConversationGetPutParallel is the same turn from many
// goroutines, each on its own conversation (throughput, not latency).
func BenchmarkConversationGetPutParallel(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprintf("p%d", n.Add(1))
		if err := s.PutConversation(ctx, &contextstore.Conversation{ID: id, Vars: map[string]any{"count": 0.0}}); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			got, err := s.GetConversation(ctx, id)
			if err != nil {
				b.Error(err)
				return
			}
			got.Vars["count"] = got.Vars["count"].(float64) + 1
			if err := s.PutConversation(ctx, got); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBlockCheck is the hot-path blacklist check of an inbound event:
// the active blocks of one user on one channel, among 1,000 blocks of 100
// users (one round trip: a script reads the user's index and blocks).
func BenchmarkBlockCheck(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	for i := range 1000 {
		blk := &contextstore.Block{
			ID: fmt.Sprintf("b%05d", i), Kind: contextstore.KindUser, UserID: fmt.Sprintf("u%03d", i%100),
			CreatedAt: t0, Reason: "abuse", Channels: []string{"livechat"},
		}
		if i%2 == 0 {
			blk.Until = tp(t0.Add(-time.Hour)) // expired
		} else {
			blk.Until = tp(t0.Add(24 * time.Hour))
		}
		if err := s.CreateBlock(ctx, blk); err != nil {
			b.Fatal(err)
		}
	}
	q := contextstore.BlockQuery{UserID: "u042", Status: contextstore.StatusActive, At: t0, Channel: "livechat", Limit: 1}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.ListBlocks(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 0 {
			b.Fatalf("u042 has only expired blocks, got %d active", len(got))
		}
	}
}
