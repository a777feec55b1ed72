package sanctions_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/queue"
	"github.com/chatflow/chatflow/internal/sanctions"
)

var t0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// newApp wires the example flows on a memory store with a fake clock and
// an event recorder.
func newApp(t *testing.T) (*app.App, *clock.Fake, *events.Recorder) {
	t.Helper()
	clk := clock.NewFake(t0)
	rec := &events.Recorder{}
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now,
		EncryptionKey: bytes.Repeat([]byte{3}, 32), Events: rec, Config: app.Config{BlockedMessage: app.Texts{"": "Live chat is not available."}}})
	if err != nil {
		t.Fatal(err)
	}
	return a, clk, rec
}

func start(t *testing.T, a *app.App, id string, user *contextstore.ChatUser) {
	t.Helper()
	if _, err := a.Executor.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: id, Text: "agent", User: user, VisitorIP: "198.51.100.9"}); err != nil {
		t.Fatal(err)
	}
}

// TestEffectsOnce: applying one sanction twice to a conversation changes
// it once: one staff line, one neutral reply, one conversation.blocked.
func TestEffectsOnce(t *testing.T) {
	a, _, rec := newApp(t)
	ctx := t.Context()
	effects, err := sanctions.NewEffects(sanctions.EffectsOptions{Queue: queue.New(a.Store), BlockedText: "Live chat is not available.", Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	until := t0.Add(time.Hour)
	b := &contextstore.Block{ID: "b1", Kind: contextstore.KindConversation, ConversationID: "c1", CreatedAt: t0, CreatedBy: "ann@acme.test", Until: &until, MarkSpam: true}
	c := &contextstore.Conversation{ID: "c1", Helpdesk: contextstore.HelpdeskClient{AgentConnected: true, AgentEmail: "ann@acme.test"}}
	var replies []string
	silenced := 0
	target := sanctions.Target{Conversation: c, Now: t0, Reply: func(s string) { replies = append(replies, s) }, Silence: func() { silenced++ }}
	for i, want := range []bool{true, false} {
		applied, err := effects.Apply(ctx, target, b)
		if err != nil || applied != want {
			t.Fatalf("Apply #%d = %v, %v; want %v", i+1, applied, err, want)
		}
	}
	if c.Helpdesk.AgentConnected || !c.Helpdesk.IsBlockedForLiveChat || !c.Info.Blocked || !c.Info.MarkedSpam ||
		c.Info.LiveChatBlockedUntil == nil || !c.Info.LiveChatBlockedUntil.Equal(until) {
		t.Fatalf("after the effects: %+v %+v", c.Helpdesk, c.Info)
	}
	if len(replies) != 1 || replies[0] != "Live chat is not available." || silenced != 1 {
		t.Errorf("replies %q, silenced %d times; want the neutral text once", replies, silenced)
	}
	want := []contextstore.Message{
		{At: t0, From: contextstore.FromSystem, Text: "agent left"},
		{At: t0, From: contextstore.FromStaff, Text: "conversation blocked by ann@acme.test for 1h (block b1)"},
	}
	if len(c.Transcript) != 2 || c.Transcript[0] != want[0] || c.Transcript[1] != want[1] {
		t.Errorf("transcript %+v, want %+v", c.Transcript, want)
	}
	if got := rec.Events(events.ConversationBlocked); len(got) != 1 || got[0].ConversationID != "c1" || got[0].BlockID != "b1" {
		t.Errorf("conversation.blocked events %+v, want one", got)
	}
}

// TestUserBlockReachesEveryChat: a staff block of a user ends every live
// chat of that user (not the anonymous one from the same address), and a
// lift of a conversation block clears the context through the executor.
func TestUserBlockReachesEveryChat(t *testing.T) {
	a, _, _ := newApp(t)
	ctx := t.Context()
	sam := &contextstore.ChatUser{UserID: "u-1", IsAuthenticated: true}
	start(t, a, "c-sam-1", sam)
	start(t, a, "c-sam-2", sam)
	start(t, a, "c-anon", nil)
	o, err := a.Sanctions.Block(ctx, blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 60},
		ReasonCategory: blocking.CategorySpam, Actor: "sam@acme.test"})
	if err != nil || !o.Created {
		t.Fatalf("Block = %+v, %v", o, err)
	}
	for id, want := range map[string]bool{"c-sam-1": true, "c-sam-2": true, "c-anon": false} {
		c, err := a.Store.GetConversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Info.Blocked && !c.Helpdesk.InQueue && len(c.Sanctions) == 1; got != want {
			t.Errorf("%s: blocked %v (%+v, %+v), want %v", id, got, c.Info, c.Helpdesk, want)
		}
	}
	waiting, err := a.Queue.Waiting(ctx, "support")
	if err != nil || len(waiting) != 1 || waiting[0].ConversationID != "c-anon" {
		t.Errorf("queue %+v, %v; want only c-anon", waiting, err)
	}

	cb, err := a.Sanctions.Block(ctx, blocking.NewBlock{ConversationID: "c-anon", Period: blocking.Period{Minutes: 60},
		ReasonCategory: blocking.CategorySpam, Actor: "sam@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Store.GetConversation(ctx, "c-anon"); c.Info.LiveChatBlockedUntil == nil {
		t.Fatal("a conversation block did not reach the context")
	}
	if _, err := a.Sanctions.Lift(ctx, cb.Block.ID, "sam@acme.test", "sorry"); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Store.GetConversation(ctx, "c-anon"); c.Info.LiveChatBlockedUntil != nil || c.Helpdesk.IsBlockedForLiveChat {
		t.Errorf("after the lift the context still holds the block: %+v %+v", c.Info, c.Helpdesk)
	}
}
