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

func benchApp(b *testing.B) *app.App {
	b.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	a, err := app.New(b.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	benchClock = clk
	return a
}

// benchClock is the clock of the last benchApp: benchTurns moves it on
// 3 s per turn, the pace the default message limits allow, so the
// limiter's cost is in the figures and no turn is refused.
var benchClock *clock.Fake

// benchTurns runs b.N message turns with idempotency keys (as channels send
// them). Each conversation gets turnsPerConv turns before the next one
// starts, so the context size is that of a conversation of that length.
func benchTurns(b *testing.B, text string, turnsPerConv int) {
	a := benchApp(b)
	ctx := b.Context()
	evs := make([]flows.Event, b.N)
	for i := range evs {
		evs[i] = flows.Event{Type: flows.EventMessage, ConversationID: "c" + strconv.Itoa(i/turnsPerConv), Text: text, Key: "k" + strconv.Itoa(i), VisitorIP: "198.51.100.7"}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range evs {
		if _, err := a.Executor.Handle(ctx, evs[i]); err != nil {
			b.Fatal(err)
		}
		benchClock.Advance(3 * time.Second)
	}
}

// BenchmarkTurnLiveChatFAQ is one turn through the example live-chat flow
// on the memory store — load the context, route, branch, say, save — in a
// typical conversation (10 turns, 20 transcript messages).
func BenchmarkTurnLiveChatFAQ(b *testing.B) { benchTurns(b, "where is my order?", 10) }

// BenchmarkTurnConnectToAgent is the turn that asks for an agent: the
// ConnectToHelpdeskAgent action checks the context block, the blacklist
// and IP bans, and enqueues the conversation.
func BenchmarkTurnConnectToAgent(b *testing.B) { benchTurns(b, "agent please", 10) }

// BenchmarkTurnLongConversation is the FAQ turn in a conversation whose
// transcript (200 messages) and idempotency window (64 keys) are full: the
// worst case, dominated by copying the context in and out of the store.
func BenchmarkTurnLongConversation(b *testing.B) { benchTurns(b, "where is my order?", 1<<30) }
