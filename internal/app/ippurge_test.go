package app_test

import (
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
)

// TestPurgeVisitorIPs: once the retention has passed since a conversation
// was last saved, its visitor address goes (sealed, or clear in an ended
// context written before addresses were sealed, which no turn migrates);
// a recent conversation keeps its address. Run by Background's ip-purge
// loop, on the memory store, which never expires contexts.
func TestPurgeVisitorIPs(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	store := memory.New()
	cfg := app.Config{Retention: app.Duration(48 * time.Hour)}
	a, err := app.New(ctx, app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	say := func(conv string) {
		t.Helper()
		if _, err := a.Executor.Handle(ctx, flows.Event{Type: flows.EventMessage, ConversationID: conv, Text: "hello", VisitorIP: "198.51.100.20"}); err != nil {
			t.Fatal(err)
		}
	}
	say("old")
	ended := &contextstore.Conversation{ID: "ended-legacy", Ended: true, CreatedAt: t0, UpdatedAt: t0,
		Info: contextstore.ConversationInfo{ConversationID: "ended-legacy", Channel: "live_chat", StartedAt: t0, LegacyVisitorIP: "198.51.100.21"}}
	if err := store.PutConversation(ctx, ended); err != nil {
		t.Fatal(err)
	}
	clk.Advance(47 * time.Hour)
	say("recent")
	clk.Advance(2 * time.Hour) // old: 49 h idle; recent: 2 h

	ticks := &manualTicks{}
	runBackground(t, a, app.BackgroundOptions{NewTicker: ticks.newTicker})
	ticks.round(t, app.LoopIPPurge)
	for id, want := range map[string]bool{"old": false, "ended-legacy": false, "recent": true} {
		c, err := store.GetConversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Info.HasVisitorIP(); got != want {
			t.Errorf("%s: has a visitor ip = %v, want %v (Info %+v)", id, got, want, c.Info)
		}
		if !want && (c.Info.VisitorIPHash != "" || c.Info.LegacyVisitorIP != "") {
			t.Errorf("%s: Info = %+v after the purge", id, c.Info)
		}
	}
	if n, err := a.PurgeVisitorIPs(ctx); err != nil || n != 0 {
		t.Errorf("second purge = %d, %v; want nothing left to do", n, err)
	}
}
