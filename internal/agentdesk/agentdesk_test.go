package agentdesk_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatflow/chatflow/actions"
	hdactions "github.com/chatflow/chatflow/actions/helpdesk"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/agentdesk"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/queue"
	"github.com/chatflow/chatflow/internal/sanctions"
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

// failingStore fails PutConversation while fail is set, and reports a
// version conflict for the next conflicts saves.
type failingStore struct {
	*memory.Store
	fail      atomic.Bool
	conflicts atomic.Int32
}

var errDisk = errors.New("disk on fire")

func (s *failingStore) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if s.fail.Load() {
		return errDisk
	}
	if s.conflicts.Add(-1) >= 0 {
		return contextstore.ErrVersionConflict
	}
	s.conflicts.Store(0)
	return s.Store.PutConversation(ctx, c)
}

// flowSanctions is the app's wiring of the flow action (see
// internal/app/adapters.go): the blocking service records the request once
// per cause, sanctions.Effects applies it to the turn's conversation. It
// also records the requests.
type flowSanctions struct {
	sanctions.ForFlows
	mu   sync.Mutex
	reqs []contextstore.BlockRequest
}

func (f *flowSanctions) Sanction(ctx context.Context, req contextstore.BlockRequest, call *actions.Call) (*contextstore.ChatActivityData, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	return f.ForFlows.Sanction(ctx, req, call)
}

// gate is the app's gate: the blocking service's one decision, for
// ConnectToHelpdeskAgent and for the queue (flows.ConnectGate).
func gate(s *blocking.Service) sanctions.Gate { return sanctions.Gate{Blocking: s} }

var (
	_ hdactions.Sanctions = (*flowSanctions)(nil)
	_ hdactions.Gate      = sanctions.Gate{}
)

type env struct {
	store  *failingStore
	queue  *queue.Service
	blocks *blocking.Service
	sanc   *flowSanctions
	exec   *flows.Executor
	desk   *agentdesk.Desk
	clk    *clock.Fake
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
	sealer, err := privacy.New(bytes.Repeat([]byte{7}, privacy.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	if e.blocks, err = blocking.New(e.store, blocking.Options{Clock: e.clk.Now, Sealer: sealer}); err != nil {
		t.Fatal(err)
	}
	e.queue = queue.New(e.store)
	effects, err := sanctions.NewEffects(sanctions.EffectsOptions{Queue: e.queue}) // no blocked message configured
	if err != nil {
		t.Fatal(err)
	}
	e.sanc = &flowSanctions{ForFlows: sanctions.ForFlows{Blocking: e.blocks, Effects: effects}}
	reg := actions.NewRegistry()
	hdactions.Register(reg, hdactions.Deps{Sanctions: e.sanc, Gate: gate(e.blocks), Queue: e.queue})
	l, err := flows.NewLoader(reg)
	if err != nil {
		t.Fatal(err)
	}
	set, probs := l.Load(dir)
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	e.exec, err = flows.NewExecutor(set, flows.Options{Store: e.store, Registry: reg, Clock: e.clk.Now, Hooks: []flows.Hook{gate(e.blocks)}})
	if err != nil {
		t.Fatal(err)
	}
	pipeline, err := sanctions.New(e.exec, sanctions.Options{Blocking: e.blocks, Effects: effects, Conversations: e.store, Clock: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.desk = agentdesk.New(e.exec, e.queue, pipeline, nil)
	return e
}

// say sends a user message and returns the bot's replies.
func (e *env) say(t *testing.T, conv, text string) []string {
	t.Helper()
	return e.sayAs(t, conv, nil, text)
}

// sayAs is say from a given user (on the conversation's first message).
func (e *env) sayAs(t *testing.T, conv string, u *contextstore.ChatUser, text string) []string {
	t.Helper()
	res, err := e.exec.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: conv, Text: text, User: u})
	if err != nil {
		t.Fatalf("%s says %q: %v", conv, text, err)
	}
	return res.Replies
}

func (e *env) waiting(t *testing.T, q string) []string {
	t.Helper()
	entries, err := e.queue.Waiting(t.Context(), q)
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

// blocksOf lists the blocks stored for a conversation.
func (e *env) blocksOf(t *testing.T, convID string) []*blocking.View {
	t.Helper()
	v, err := e.blocks.List(t.Context(), contextstore.BlockQuery{ConversationID: convID})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func lastMessage(c *contextstore.Conversation) contextstore.Message {
	if len(c.Transcript) == 0 {
		return contextstore.Message{}
	}
	return c.Transcript[len(c.Transcript)-1]
}

func TestTakeEmptyQueue(t *testing.T) {
	e := newEnv(t)
	c, err := e.desk.Take(t.Context(), "support", "ann@acme.test")
	if !errors.Is(err, queue.ErrEmpty) || c != nil {
		t.Fatalf("Take = %v, %v; want ErrEmpty", c, err)
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

	c, err := e.desk.Take(t.Context(), "support", "ann@acme.test")
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
	if err := e.queue.Enqueue(ctx, contextstore.QueueEntry{ConversationID: "ghost", Queue: "support", EnqueuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// c2 exists but never asked for an agent.
	e.say(t, "c2", "hello")
	if err := e.queue.Enqueue(ctx, contextstore.QueueEntry{ConversationID: "c2", Queue: "support", EnqueuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	e.say(t, "c3", "agent")

	c, err := e.desk.Take(ctx, "support", "ann@acme.test")
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
	if _, err := e.desk.Take(ctx, "support", "ann@acme.test"); !errors.Is(err, queue.ErrEmpty) {
		t.Errorf("second Take: %v, want ErrEmpty", err)
	}
}

// A visitor blocked while waiting (here by a user block recorded on
// another path, whose effects have not reached the chat) is refused by the
// queue's ConnectGate: Take drops the entry and moves on.
func TestTakeSkipsVisitorsBlockedWhileWaiting(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.sayAs(t, "c1", &contextstore.ChatUser{UserID: "u-7", IsAuthenticated: true}, "agent")
	e.say(t, "c2", "agent")
	if _, err := e.blocks.Create(ctx, contextstore.BlockRequest{Kind: contextstore.KindUser, UserID: "u-7",
		Period: contextstore.Period{Minutes: 60}, ReasonCategory: blocking.CategorySpam, Actor: "admin@acme.test"}); err != nil {
		t.Fatal(err)
	}
	c, err := e.desk.Take(ctx, "support", "ann@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "c2" {
		t.Errorf("took %s, want c2 (c1's visitor is blocked)", c.ID)
	}
	if e.conv(t, "c1").Helpdesk.AgentConnected {
		t.Errorf("an agent was connected to a blocked visitor")
	}
	if got := e.waiting(t, "support"); len(got) != 0 {
		t.Errorf("waiting = %q, want c1's entry dropped", got)
	}
}

func TestTakeOnlySkipsToEmpty(t *testing.T) {
	e := newEnv(t)
	e.say(t, "c1", "agent")
	if _, err := e.exec.Handle(t.Context(), flows.Event{Type: flows.EventEnd, ConversationID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.desk.Take(t.Context(), "support", "ann@acme.test"); !errors.Is(err, queue.ErrEmpty) {
		t.Errorf("Take = %v, want ErrEmpty", err)
	}
}

// A conversation that could not be connected for another reason goes
// back in the queue rather than being lost.
func TestTakeFailureRequeues(t *testing.T) {
	e := newEnv(t)
	e.say(t, "c1", "agent")
	e.store.fail.Store(true)
	_, err := e.desk.Take(t.Context(), "support", "ann@acme.test")
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
	if c, err := e.desk.Take(t.Context(), "support", "ann@acme.test"); err != nil || c.ID != "c1" {
		t.Errorf("Take after recovery = %v, %v", c, err)
	}
}

func TestEnqueueDefaultQueue(t *testing.T) {
	e := newEnv(t)
	e.say(t, "c1", "hello")
	if err := e.queue.Enqueue(t.Context(), contextstore.QueueEntry{ConversationID: "c1", EnqueuedAt: t0}); err != nil {
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
	if _, err := e.desk.Take(t.Context(), "support", "ann@acme.test"); err != nil {
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
	if err := e.desk.Say(t.Context(), "c1", "How can I help?"); err != nil {
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
	err := e.desk.Say(t.Context(), "c1", "hi")
	if !errors.Is(err, flows.ErrNoAgent) || err.Error() != "conversation c1: no agent connected" {
		t.Errorf("Say = %v, want conversation c1: no agent connected (ErrNoAgent)", err)
	}
	for _, m := range e.conv(t, "c1").Transcript {
		if m.From == "agent" {
			t.Errorf("the refused message is in the transcript: %+v", m)
		}
	}
	if err := e.desk.Say(t.Context(), "nope", "hi"); !errors.Is(err, flows.ErrNoConversation) {
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
			res, err := e.desk.Disconnect(t.Context(), "c1", "", tc.fb)
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
	res, err := e.desk.Disconnect(t.Context(), "c1", "k1", contextstore.AgentFeedback{Block: true, ReasonCategory: "spam"})
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
	if !c.Info.Blocked || !c.Helpdesk.IsBlockedForLiveChat {
		t.Errorf("Blocked=%v IsBlockedForLiveChat=%v, want both", c.Info.Blocked, c.Helpdesk.IsBlockedForLiveChat)
	}
	if c.Feedback.AgentEmail != "ann@acme.test" {
		t.Errorf("feedback agent = %q, want the connected agent", c.Feedback.AgentEmail)
	}
	// The request the flow's block sent: by the agent, caused by this
	// disconnect's key and step.
	if len(e.sanc.reqs) != 1 {
		t.Fatalf("Sanction calls = %d, want 1", len(e.sanc.reqs))
	}
	req := e.sanc.reqs[0]
	if req.Kind != contextstore.KindConversation || req.ConversationID != "c1" || req.Actor != "ann@acme.test" ||
		req.Period != (contextstore.Period{Minutes: 60}) || !req.At.Equal(t0) || req.Cause != "c1/k1/bye/block" ||
		req.ReasonCategory != "spam" || req.Reason != "secret reason" || req.Source != contextstore.SourceFlow {
		t.Errorf("request = %+v", req)
	}
	// Staff see who blocked; the visitor is never told why.
	var staff bool
	for _, m := range c.Transcript {
		staff = staff || (m.From == contextstore.FromStaff && strings.HasPrefix(m.Text, "conversation blocked by ann@acme.test for 1h"))
		if m.From != contextstore.FromStaff && strings.Contains(m.Text, "secret reason") {
			t.Errorf("transcript message %+v reveals the reason", m)
		}
	}
	if !staff {
		t.Errorf("no staff line for the block in the transcript: %+v", c.Transcript)
	}
	// Blocked: asking again does not queue.
	if got := e.say(t, "c1", "agent"); !slices.Equal(got, []string{"queued: false"}) {
		t.Errorf("replies = %q, want queued: false", got)
	}
	if got := e.waiting(t, "support"); len(got) != 0 {
		t.Errorf("a blocked conversation was queued: %q", got)
	}
}

// A disconnect whose turn is retried (a concurrent update won the
// compare-and-swap) runs its flow again with the same cause: one block.
func TestDisconnectWithBlockRetriedBlocksOnce(t *testing.T) {
	e := connected(t)
	e.store.conflicts.Store(1)
	if _, err := e.desk.Disconnect(t.Context(), "c1", "k1", contextstore.AgentFeedback{Block: true}); err != nil {
		t.Fatal(err)
	}
	if len(e.sanc.reqs) != 2 || e.sanc.reqs[0].Cause != e.sanc.reqs[1].Cause || e.sanc.reqs[0].Cause == "" {
		t.Fatalf("requests = %+v, want two (the retry) with one non-empty cause", e.sanc.reqs)
	}
	if n := len(e.blocksOf(t, "c1")); n != 1 {
		t.Errorf("blocks stored = %d, want 1", n)
	}
	c := e.conv(t, "c1")
	if c.Info.LiveChatBlockedUntil == nil || !c.Info.Blocked {
		t.Errorf("the retried turn saved no block: %+v", c.Info)
	}
	var lines int
	for _, m := range c.Transcript {
		if m.From == contextstore.FromStaff {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("staff lines = %d, want 1: %+v", lines, c.Transcript)
	}
}

// An agent's direct block ends the live chat at once through the
// sanctions pipeline, without running the agent_disconnected flow.
func TestBlock(t *testing.T) {
	e := connected(t)
	o, err := e.desk.Block(t.Context(), contextstore.BlockRequest{Kind: contextstore.KindConversation, ConversationID: "c1",
		Period: contextstore.Period{Minutes: 60}, ReasonCategory: blocking.CategorySpam, Reason: "secret reason",
		Actor: "ann@acme.test", Cause: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Block == nil || !o.Created || o.Block.CreatedBy != "ann@acme.test" {
		t.Fatalf("Block = %+v", o)
	}
	c := e.conv(t, "c1")
	if c.Helpdesk.AgentConnected || !c.Info.Blocked || c.Info.LiveChatBlockedUntil == nil || !c.Info.LiveChatBlockedUntil.Equal(t0.Add(time.Hour)) {
		t.Errorf("after the block: Helpdesk=%+v Info=%+v", c.Helpdesk, c.Info)
	}
	for _, m := range c.Transcript {
		if m.From != contextstore.FromStaff && strings.Contains(m.Text, "secret reason") {
			t.Errorf("transcript message %+v reveals the reason", m)
		}
	}
	// The same request again (a retried call) finds the block it made.
	again, err := e.desk.Block(t.Context(), contextstore.BlockRequest{Kind: contextstore.KindConversation, ConversationID: "c1",
		Period: contextstore.Period{Minutes: 60}, ReasonCategory: blocking.CategorySpam, Actor: "ann@acme.test", Cause: "req-1"})
	if err != nil || again.Created || again.Block.ID != o.Block.ID {
		t.Errorf("retried Block = %+v, %v; want the first block", again, err)
	}
	if got := e.say(t, "c1", "agent"); !slices.Equal(got, []string{"queued: false"}) {
		t.Errorf("replies = %q, want queued: false", got)
	}
}

func TestDisconnectUnknownConversation(t *testing.T) {
	e := newEnv(t)
	if _, err := e.desk.Disconnect(t.Context(), "nope", "", contextstore.AgentFeedback{}); !errors.Is(err, flows.ErrNoConversation) {
		t.Errorf("Disconnect = %v, want ErrNoConversation", err)
	}
}

// TestDisconnectClearsTheConnectedAgent: after the agent leaves, the
// HelpdeskClient state names no agent; the feedback keeps who it was.
func TestDisconnectClearsTheConnectedAgent(t *testing.T) {
	env := newEnv(t)
	env.say(t, "c1", "agent please")
	if _, err := env.desk.Take(t.Context(), "support", "ann@acme.test"); err != nil {
		t.Fatal(err)
	}
	if got := env.conv(t, "c1").Helpdesk.AgentEmail; got != "ann@acme.test" {
		t.Fatalf("connected agent = %q", got)
	}
	if _, err := env.desk.Disconnect(t.Context(), "c1", "", contextstore.AgentFeedback{}); err != nil {
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
