package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
)

// typicalConversation is a conversation in the middle of a chat: a few
// variables (one of them a nested map an action returned, one a time), a
// pinned flow, a cursor, 20 transcript lines and the idempotency records of
// the last 8 events. With nested false, Vars holds no nested map.
func typicalConversation(id string, nested bool) *contextstore.Conversation {
	return conversation(id, nested, 20, 8)
}

// conversation is typicalConversation with the given transcript length and
// number of processed events.
func conversation(id string, nested bool, messages, events int) *contextstore.Conversation {
	t0 := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	until := t0.Add(time.Hour)
	c := &contextstore.Conversation{
		ID:   id,
		Info: contextstore.ConversationInfo{ConversationID: id, Channel: "livechat", StartedAt: t0, LiveChatBlockedUntil: &until},
		User: contextstore.ChatUser{UserID: "u1", Name: "Ann", IsAuthenticated: true},
		Vars: map[string]any{
			"Name": "Ann", "Visits": 3.0, "Ok": true, "LastSeen": t0, "Step": "start",
		},
		Pins:      map[string]int{"main": 3},
		Cursor:    &contextstore.Cursor{FlowID: "main", Version: 3, StepID: "ask-email"},
		CreatedAt: t0,
		UpdatedAt: t0,
	}
	if nested {
		c.Vars["InternalActionResult"] = map[string]any{"ok": true, "queue": "support", "position": 2.0}
	}
	for i := range messages {
		c.Transcript = append(c.Transcript, contextstore.Message{At: t0.Add(time.Duration(i) * time.Second), From: "user", Text: fmt.Sprintf("message %d", i)})
	}
	for i := range events {
		c.Processed = append(c.Processed, contextstore.ProcessedEvent{Key: fmt.Sprintf("evt-%d", i), Replies: []string{"reply"}})
	}
	return c
}

// BenchmarkConversationGetPut is the store's share of one turn: load the
// context, do what a turn does to it (append the user's message and the
// reply to the transcript, record the event's idempotency key, set a
// variable, keep the windows at their size), save it with compare-and-swap.
// The values the turn adds exist beforehand (the executor has them already),
// so the allocations counted are the store's.
func BenchmarkConversationGetPut(b *testing.B) {
	cases := []struct {
		name string
		conv func() *contextstore.Conversation
	}{
		{"typical", func() *contextstore.Conversation { return typicalConversation("c1", false) }},
		{"typical+nestedVar", func() *contextstore.Conversation { return typicalConversation("c1", true) }},
		// The executor's default windows: 200 messages, 64 events.
		{"long", func() *contextstore.Conversation { return conversation("c1", true, 200, 64) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			s := memory.New()
			ctx := b.Context()
			if err := s.PutConversation(ctx, tc.conv()); err != nil {
				b.Fatal(err)
			}
			now := time.Date(2026, 1, 2, 13, 0, 0, 0, time.UTC)
			in := contextstore.Message{At: now, From: "user", Text: "hello"}
			out := contextstore.Message{At: now, From: "bot", Text: "hi"}
			replies := []string{"hi"}
			keys := [2]string{"evt-a", "evt-b"}
			steps := [2]string{"greeting", "ask-email"}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c, err := s.GetConversation(ctx, "c1")
				if err != nil {
					b.Fatal(err)
				}
				c.Transcript = append(c.Transcript, in, out)
				c.Transcript = append(c.Transcript[:0], c.Transcript[2:]...)
				c.Processed = append(c.Processed, contextstore.ProcessedEvent{Key: keys[i%2], Replies: replies})
				c.Processed = append(c.Processed[:0], c.Processed[1:]...)
				c.Vars["Step"] = steps[i%2]
				c.UpdatedAt = now
				if err := s.PutConversation(ctx, c); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkConversationInsert creates one new conversation in a store
// already holding n of them (and deletes it again, so n stays put): the
// id index makes it O(log n).
func BenchmarkConversationInsert(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s := memory.New()
			ctx := b.Context()
			for i := range n {
				if err := s.PutConversation(ctx, &contextstore.Conversation{ID: fmt.Sprintf("c%08d", i*2)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				id := fmt.Sprintf("c%08d", (i%n)*2+1)
				i++
				if err := s.PutConversation(ctx, &contextstore.Conversation{ID: id}); err != nil {
					b.Fatal(err)
				}
				if err := s.DeleteConversation(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUserBlockCheck is the blocking check's query for one user's
// active block among n blocks of other users: the user index makes it
// independent of n.
func BenchmarkUserBlockCheck(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s := memory.New()
			ctx := b.Context()
			now := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
			for i := range n {
				blk := &contextstore.Block{ID: fmt.Sprintf("b%08d", i), Kind: contextstore.KindUser, UserID: fmt.Sprintf("u%d", i), CreatedAt: now}
				if err := s.CreateBlock(ctx, blk); err != nil {
					b.Fatal(err)
				}
			}
			q := contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindUser}, UserID: "nobody",
				Status: contextstore.StatusActive, At: now, Channel: "live_chat", Limit: 1}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ListBlocks(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
