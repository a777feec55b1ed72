package app_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
)

func benchApp(b *testing.B) (*app.App, *clock.Fake) {
	b.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	a, err := app.New(b.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	return a, clk
}

// BenchmarkTurnLiveChatFAQ is one turn through the example live-chat flow
// on the memory store: load the context, route, branch, say, save — with an
// idempotency key, as channels send them.
func BenchmarkTurnLiveChatFAQ(b *testing.B) {
	a, _ := benchApp(b)
	ctx := b.Context()
	ev := flows.Event{Type: flows.EventMessage, ConversationID: "bench", Text: "where is my order?"}
	if _, err := a.Executor.Handle(ctx, ev); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev.Key = keys[i]
		if _, err := a.Executor.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTurnConnectToAgent is the turn that asks for an agent: the
// ConnectToHelpdeskAgent action checks the blacklist and IP bans and
// enqueues the conversation.
func BenchmarkTurnConnectToAgent(b *testing.B) {
	a, _ := benchApp(b)
	ctx := b.Context()
	ev := flows.Event{Type: flows.EventMessage, ConversationID: "bench", Text: "agent please", VisitorIP: "198.51.100.7"}
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev.Key = keys[i]
		if _, err := a.Executor.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
