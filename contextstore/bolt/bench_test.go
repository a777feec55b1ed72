package bolt

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/chatflow/chatflow/contextstore"
)

// typicalConversation is what a turn loads and saves: a few variables and a
// 20-message transcript.
func typicalConversation(id string) *contextstore.Conversation {
	c := &contextstore.Conversation{
		ID:   id,
		Info: contextstore.ConversationInfo{ConversationID: id, Channel: "web", StartedAt: t0, Language: "en"},
		User: contextstore.ChatUser{UserID: "user-1234", Name: "Ann Example", Email: "ann@example.com", IsAuthenticated: true},
		Vars: map[string]any{
			"Name": "Ann", "OrderID": "A-99812", "Attempts": 2.0, "Confirmed": true,
			"LastSeen": t0, "Topic": "billing",
		},
		Pins:      map[string]int{"main": 3, "billing": 1},
		Cursor:    &contextstore.Cursor{FlowID: "billing", Version: 1, StepID: "ask_order"},
		CreatedAt: t0,
		UpdatedAt: t0,
	}
	for i := range 20 {
		from := "user"
		if i%2 == 1 {
			from = "bot"
		}
		c.Transcript = append(c.Transcript, contextstore.Message{
			At: t0.Add(time.Duration(i) * time.Second), From: from,
			Text: "a message of ordinary length, about as long as people type in a chat window",
		})
	}
	for i := range 5 {
		c.Processed = append(c.Processed, contextstore.ProcessedEvent{Key: fmt.Sprintf("evt-%d", i), Replies: []string{"ok"}})
	}
	return c
}

// BenchmarkConversationGetPut measures one turn's storage: load a typical
// conversation and save it back (one read transaction, one fsync'd write
// transaction). It is dominated by the fsync of the disk under TMPDIR.
func BenchmarkConversationGetPut(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "chatflow.db"), Options{})
	ctx := b.Context()
	if err := s.PutConversation(ctx, typicalConversation("c1")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c, err := s.GetConversation(ctx, "c1")
		if err != nil {
			b.Fatal(err)
		}
		c.Vars["Attempts"] = c.Vars["Attempts"].(float64) + 1
		if err := s.PutConversation(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConversationGet measures the load alone (no fsync).
func BenchmarkConversationGet(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "chatflow.db"), Options{})
	ctx := b.Context()
	if err := s.PutConversation(ctx, typicalConversation("c1")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetConversation(ctx, "c1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlockCheck measures the hot-path blacklist check: active blocks
// of one user id among 10k blocks (through the blocks_by_user index).
func BenchmarkBlockCheck(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "chatflow.db"), Options{})
	ctx := b.Context()
	seedBlocks(b, s, 10_000)
	q := contextstore.BlockQuery{
		UserID: "user-04242", Kinds: []contextstore.BlockKind{contextstore.KindUser},
		Status: contextstore.StatusActive, At: t0, Channel: "web",
	}
	got, err := s.ListBlocks(ctx, q)
	if err != nil || len(got) != 1 {
		b.Fatalf("ListBlocks = %v, %v; want 1 block", got, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ListBlocks(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlockScan is the same check without an indexed field (by
// ReasonCategory and CreatedBy only), i.e. a scan of all 10k blocks: the
// cost ListBlocks would have without the indexes.
func BenchmarkBlockScan(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "chatflow.db"), Options{})
	ctx := b.Context()
	seedBlocks(b, s, 10_000)
	q := contextstore.BlockQuery{ReasonCategory: "spam", CreatedBy: "agent-42", Status: contextstore.StatusActive, At: t0}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ListBlocks(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// seedBlocks writes n user blocks, 1000 per transaction through the same
// code as CreateBlock (one fsync per block would make seeding take longer
// than the benchmark).
func seedBlocks(b *testing.B, s *Store, n int) {
	b.Helper()
	until := t0.Add(24 * time.Hour)
	for start := 0; start < n; start += 1000 {
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				blk := &contextstore.Block{
					ID: fmt.Sprintf("blk-%08d", i), Kind: contextstore.KindUser, UserID: fmt.Sprintf("user-%05d", i),
					ReasonCategory: "spam", Reason: "sent links", CreatedAt: t0, CreatedBy: fmt.Sprintf("agent-%d", i%50),
					Until: &until, UpdatedAt: t0, Version: 1,
				}
				val, err := json.Marshal(blk)
				if err != nil {
					return err
				}
				if err := createBlock(tx, blk, val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConversationPutParallel measures fsync'd writes from several
// goroutines, each on its own conversation: with group commit they share
// fsyncs, so ns/op (per write) falls as the writers grow.
func BenchmarkConversationPutParallel(b *testing.B) {
	for _, writers := range []int{1, 8, 50} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openAt(b, filepath.Join(b.TempDir(), "chatflow.db"), Options{})
			ctx := b.Context()
			var left atomic.Int64
			left.Store(int64(b.N))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					c := typicalConversation(fmt.Sprintf("c%d", w))
					for left.Add(-1) >= 0 {
						if err := s.PutConversation(ctx, c); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
