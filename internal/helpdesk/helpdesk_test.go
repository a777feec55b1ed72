package helpdesk_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatflow/chatflow/actions"
	hdactions "github.com/chatflow/chatflow/actions/helpdesk"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/helpdesk"
)

var t0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

const (
	chatFlow = `id: chat
version: 1
trigger: message
steps:
  - branch:
      - if: "=Contains(@LastUserMessage, 'agent')"
        goto: connect
    else: answer
  - id: answer
    say: "bot: ${@LastUserMessage}"
  - end: true
  - id: connect
    action: ConnectToHelpdeskAgent
    params: {Queue: support}
  - say: "queued: ${@InternalActionResult}"
`
	byeFlow = `id: bye
version: 1
trigger: agent_disconnected
steps:
  - branch:
      - if: "=[[AgentFeedback]].Block"
        goto: block
    else: thanks
  - id: thanks
    say: "${[[AgentFeedback]].AgentEmail} left; rating ${[[AgentFeedback]].Rating}"
  - end: true
  - id: block
    action: HelpdeskClient.IsBlockedForLiveChat
    params: {BlockIntervalMinutes: 60, BlockReason: "secret reason"}
`
)

// failingStore fails PutConversation while fail is set.
type failingStore struct {
	*memory.Store
	fail atomic.Bool
}

var errDisk = errors.New("disk on fire")

func (s *failingStore) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if s.fail.Load() {
		return errDisk
	}
	return s.Store.PutConversation(ctx, c)
}

type noBlocks struct{}

func (noBlocks) IsBlocked(context.Context, *contextstore.Conversation, time.Time) (bool, error) {
	return false, nil
}

type recordBlocks struct{}

func (recordBlocks) BlockUser(context.Context, hdactions.UserBlock) (*contextstore.ChatActivityData, error) {
	return nil, nil
}

func (recordBlocks) RecordConversationBlock(context.Context, hdactions.ConversationBlock) error {
	return nil
}

type env struct {
	store *failingStore
	svc   *helpdesk.Service
	exec  *flows.Executor
	clk   *clock.Fake
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"chat.flow.yaml": chatFlow, "bye.flow.yaml": byeFlow} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{store: &failingStore{Store: memory.New()}, clk: clock.NewFake(t0)}
	e.svc = helpdesk.New(e.store, func() *flows.Executor { return e.exec }, nil)
	reg := actions.NewRegistry()
	hdactions.Register(reg, hdactions.Deps{Blacklist: recordBlocks{}, Gate: noBlocks{}, Queue: e.svc})
	l, err := flows.NewLoader(reg)
	if err != nil {
		t.Fatal(err)
	}
	set, probs := l.Load(dir)
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	e.exec, err = flows.NewExecutor(set, flows.Options{Store: e.store, Registry: reg, Clock: e.clk.Now, Hooks: []flows.Hook{e.svc.Hook()}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// say sends a user message and returns the bot's replies.
func (e *env) say(t *testing.T, conv, text string) []string {
	t.Helper()
	res, err := e.exec.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: conv, Text: text})
	if err != nil {
		t.Fatalf("%s says %q: %v", conv, text, err)
	}
	return res.Replies
}

func (e *env) waiting(t *testing.T, queue string) []string {
	t.Helper()
	entries, err := e.svc.Waiting(t.Context(), queue)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, en := range entries {
		ids = append(ids, en.ConversationID)
	}
	return ids
}

func (e *env) conv(t *testing.T, id string) *contextstore.Conversation {
	t.Helper()
	c, err := e.store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lastMessage(c *contextstore.Conversation) contextstore.Message {
	if len(c.Transcript) == 0 {
		return contextstore.Message{}
	}
	return c.Transcript[len(c.Transcript)-1]
}

func TestTakeEmptyQueue(t *testing.T) {
	e := newEnv(t)
	c, err := e.svc.Take(t.Context(), "support", "ann@acme.test")
	if !errors.Is(err, helpdesk.ErrQueueEmpty) || c != nil {
		t.Fatalf("Take = %v, %v; want ErrQueueEmpty", c, err)
	}
	if want := `queue "support": no conversation is waiting`; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestTakeConnectsTheOldest(t *testing.T) {
	e := newEnv(t)
	if got := e.say(t, "c1", "agent please"); !slices.Equal(got, []string{"queued: true"}) {
		t.Fatalf("replies = %q", got)
	}
	e.clk.Advance(time.Minute)
	e.say(t, "c2", "agent")
	if got := e.waiting(t, "support"); !slices.Equal(got, []string{"c1", "c2"}) {
		t.Fatalf("waiting = %q, want [c1 c2]", got)
	}

	c, err := e.svc.Take(t.Context(), "support", "ann@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "c1" || !c.Helpdesk.AgentConnected || c.Helpdesk.InQueue || c.Helpdesk.AgentEmail != "ann@acme.test" {
		t.Errorf("took %s with %+v; want c1 connected to ann, out of the queue", c.ID, c.Helpdesk)
	}
	stored := e.conv(t, "c1")
	if stored.Helpdesk != c.Helpdesk {
		t.Errorf("stored %+v, returned %+v", stored.Helpdesk, c.Helpdesk)
	}
	if m := lastMessage(stored); m.From != "system" || m.Text != "agent joined" || !m.At.Equal(e.clk.Now()) {
		t.Errorf("last transcript message = %+v, want system: agent joined", m)
	}
	if got := e.waiting(t, "support"); !slices.Equal(got, []string{"c2"}) {
		t.Errorf("waiting after Take = %q, want [c2]", got)
	}
}

func TestTakeSkipsConversationsNoLongerWaiting(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// c1 waited, then ended.
	e.say(t, "c1", "agent")
	if _, err := e.exec.Handle(ctx, flows.Event{Type: flows.EventEnd, ConversationID: "c1"}); err != nil {
		t.Fatal(err)
	}
	// ghost has a queue entry but no conversation.
	if err := e.svc.Enqueue(ctx, contextstore.QueueEntry{ConversationID: "ghost", Queue: "support", EnqueuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// c2 exists but never asked for an agent.
	e.say(t, "c2", "hello")
	if err := e.svc.Enqueue(ctx, contextstore.QueueEntry{ConversationID: "c2", Queue: "support", EnqueuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	e.say(t, "c3", "agent")

	c, err := e.svc.Take(ctx, "support", "ann@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "c3" {
		t.Errorf("took %s, want c3 (c1 ended, ghost unknown, c2 not waiting)", c.ID)
	}
	if got := e.waiting(t, "support"); len(got) != 0 {
		t.Errorf("waiting = %q, want the skipped entries gone", got)
	}
	if e.conv(t, "c2").Helpdesk.AgentConnected {
		t.Errorf("an agent was connected to c2, which was not waiting")
	}
	if _, err := e.svc.Take(ctx, "support", "ann@acme.test"); !errors.Is(err, helpdesk.ErrQueueEmpty) {
		t.Errorf("second Take: %v, want ErrQueueEmpty", err)
	}
}

func TestTakeOnlySkipsToEmpty(t *testing.T) {
	e := newEnv(t)
	e.say(t, "c1", "agent")
	if _, err := e.exec.Handle(t.Context(), flows.Event{Type: flows.EventEnd, ConversationID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Take(t.Context(), "support", "ann@acme.test"); !errors.Is(err, helpdesk.ErrQueueEmpty) {
		t.Errorf("Take = %v, want ErrQueueEmpty", err)
	}
}

// A conversation that could not be connected for another reason goes
// back in the queue rather than being lost.
func TestTakeFailureRequeues(t *testing.T) {
	e := newEnv(t)
	e.say(t, "c1", "agent")
	e.store.fail.Store(true)
	_, err := e.svc.Take(t.Context(), "support", "ann@acme.test")
	if !errors.Is(err, errDisk) {
		t.Fatalf("Take = %v, want the store's error", err)
	}
	if want := "connecting agent to c1: saving conversation c1: disk on fire"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if got := e.waiting(t, "support"); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("waiting = %q, want c1 back in the queue", got)
	}
	e.store.fail.Store(false)
	if c, err := e.svc.Take(t.Context(), "support", "ann@acme.test"); err != nil || c.ID != "c1" {
		t.Errorf("Take after recovery = %v, %v", c, err)
	}
}

func TestEnqueueDefaultQueue(t *testing.T) {
	e := newEnv(t)
	e.say(t, "c1", "hello")
	if err := e.svc.Enqueue(t.Context(), contextstore.QueueEntry{ConversationID: "c1", EnqueuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if got := e.waiting(t, "default"); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("default queue = %q, want [c1]", got)
	}
}

func connected(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.say(t, "c1", "agent")
	if _, err := e.svc.Take(t.Context(), "support", "ann@acme.test"); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestUserTalksToTheAgentNotTheBot(t *testing.T) {
	e := connected(t)
	if got := e.say(t, "c1", "hello?"); len(got) != 0 {
		t.Errorf("bot replied %q while an agent is connected", got)
	}
	// Even a message that would ask for an agent is relayed, not run.
	if got := e.say(t, "c1", "agent!!"); len(got) != 0 {
		t.Errorf("bot replied %q while an agent is connected", got)
	}
	c := e.conv(t, "c1")
	n := len(c.Transcript)
	if n < 2 || c.Transcript[n-2] != (contextstore.Message{At: t0, From: "user", Text: "hello?"}) ||
		c.Transcript[n-1] != (contextstore.Message{At: t0, From: "user", Text: "agent!!"}) {
		t.Errorf("transcript = %+v, want the user's messages last", c.Transcript)
	}
	if got := e.waiting(t, "support"); len(got) != 0 {
		t.Errorf("the relayed message queued the conversation again: %q", got)
	}
}

func TestSay(t *testing.T) {
	e := connected(t)
	e.clk.Advance(time.Minute)
	if err := e.svc.Say(t.Context(), "c1", "ann@acme.test", "How can I help?"); err != nil {
		t.Fatal(err)
	}
	want := contextstore.Message{At: t0.Add(time.Minute), From: "agent", Text: "How can I help?"}
	if m := lastMessage(e.conv(t, "c1")); m != want {
		t.Errorf("last message = %+v, want %+v", m, want)
	}
}

func TestSayWithoutAgent(t *testing.T) {
	e := newEnv(t)
	e.say(t, "c1", "agent") // waiting, not connected
	err := e.svc.Say(t.Context(), "c1", "ann@acme.test", "hi")
	if err == nil || err.Error() != "conversation c1 has no agent connected" {
		t.Errorf("Say = %v, want conversation c1 has no agent connected", err)
	}
	for _, m := range e.conv(t, "c1").Transcript {
		if m.From == "agent" {
			t.Errorf("the refused message is in the transcript: %+v", m)
		}
	}
	if err := e.svc.Say(t.Context(), "nope", "ann@acme.test", "hi"); !errors.Is(err, flows.ErrNoConversation) {
		t.Errorf("Say to an unknown conversation = %v, want ErrNoConversation", err)
	}
}

func TestDisconnect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fb      contextstore.AgentFeedback
		replies []string
		email   string
	}{
		{"agent defaulted from the connected one", contextstore.AgentFeedback{Rating: 4}, []string{"ann@acme.test left; rating 4"}, "ann@acme.test"},
		{"agent given", contextstore.AgentFeedback{AgentEmail: "bob@acme.test", Rating: 5}, []string{"bob@acme.test left; rating 5"}, "bob@acme.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := connected(t)
			res, err := e.svc.Disconnect(t.Context(), "c1", tc.fb)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Replies, tc.replies) {
				t.Errorf("replies = %q, want %q", res.Replies, tc.replies)
			}
			c := e.conv(t, "c1")
			if c.Helpdesk.AgentConnected {
				t.Errorf("agent still connected after Disconnect")
			}
			if c.Feedback.AgentEmail != tc.email || c.Feedback.Rating != tc.fb.Rating {
				t.Errorf("stored feedback = %+v, want agent %s", c.Feedback, tc.email)
			}
			var left bool
			for _, m := range c.Transcript {
				left = left || (m.From == "system" && m.Text == "agent left")
			}
			if !left {
				t.Errorf("no 'agent left' in the transcript: %+v", c.Transcript)
			}
			// The bot answers again.
			if got := e.say(t, "c1", "hello"); !slices.Equal(got, []string{"bot: hello"}) {
				t.Errorf("after disconnect the bot said %q", got)
			}
		})
	}
}

func TestDisconnectWithBlock(t *testing.T) {
	e := connected(t)
	res, err := e.svc.Disconnect(t.Context(), "c1", contextstore.AgentFeedback{Block: true, ReasonCategory: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Replies) != 0 {
		t.Errorf("replies = %q, want none (no blocked message configured)", res.Replies)
	}
	c := e.conv(t, "c1")
	if want := t0.Add(time.Hour); c.Info.LiveChatBlockedUntil == nil || !c.Info.LiveChatBlockedUntil.Equal(want) {
		t.Errorf("LiveChatBlockedUntil = %v, want %v", c.Info.LiveChatBlockedUntil, want)
	}
	if c.Feedback.AgentEmail != "ann@acme.test" {
		t.Errorf("feedback agent = %q, want the connected agent", c.Feedback.AgentEmail)
	}
	// Blocked: asking again does not queue.
	if got := e.say(t, "c1", "agent"); !slices.Equal(got, []string{"queued: false"}) {
		t.Errorf("replies = %q, want queued: false", got)
	}
	if got := e.waiting(t, "support"); len(got) != 0 {
		t.Errorf("a blocked conversation was queued: %q", got)
	}
}

func TestDisconnectUnknownConversation(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.Disconnect(t.Context(), "nope", contextstore.AgentFeedback{}); !errors.Is(err, flows.ErrNoConversation) {
		t.Errorf("Disconnect = %v, want ErrNoConversation", err)
	}
}

// TestDisconnectClearsTheConnectedAgent: after the agent leaves, the
// HelpdeskClient state names no agent; the feedback keeps who it was.
func TestDisconnectClearsTheConnectedAgent(t *testing.T) {
	env := newEnv(t)
	env.say(t, "c1", "agent please")
	if _, err := env.svc.Take(t.Context(), "support", "ann@acme.test"); err != nil {
		t.Fatal(err)
	}
	if got := env.conv(t, "c1").Helpdesk.AgentEmail; got != "ann@acme.test" {
		t.Fatalf("connected agent = %q", got)
	}
	if _, err := env.svc.Disconnect(t.Context(), "c1", contextstore.AgentFeedback{}); err != nil {
		t.Fatal(err)
	}
	c := env.conv(t, "c1")
	if c.Helpdesk.AgentEmail != "" || c.Helpdesk.AgentConnected {
		t.Errorf("HelpdeskClient after disconnect = %+v", c.Helpdesk)
	}
	if c.Feedback.AgentEmail != "ann@acme.test" {
		t.Errorf("AgentFeedback.AgentEmail = %q, want ann@acme.test", c.Feedback.AgentEmail)
	}
}
