package flows_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/clock"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// countAction counts its calls; it fails when its Fail param is true.
type countAction struct{ n *atomic.Int64 }

func (a countAction) Run(_ context.Context, c *actions.Call) (actions.Result, error) {
	a.n.Add(1)
	if f, _ := c.Params["Fail"].(bool); f {
		return actions.Result{}, errors.New("backend said no")
	}
	return actions.Result{Value: c.Params["Echo"]}, nil
}

type fixture struct {
	t     *testing.T
	dir   string
	reg   *actions.Registry
	calls *atomic.Int64
	clk   *clock.Fake
	store *memory.Store
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir(), reg: testRegistry(t), calls: &atomic.Int64{}, clk: clock.NewFake(t0), store: memory.New()}
	f.reg.Register(actions.Spec{Name: "Test.Count",
		Params: []byte(`{"type":"object","additionalProperties":false,"properties":{"Echo":{"type":"string"},"Fail":{"type":"boolean","default":false}}}`),
		New:    func() actions.Action { return countAction{f.calls} }})
	return f
}

func (f *fixture) write(name, body string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(body), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) load() *flows.Set {
	f.t.Helper()
	l, err := flows.NewLoader(f.reg)
	if err != nil {
		f.t.Fatal(err)
	}
	set, probs := l.Load(f.dir)
	if probs.HasErrors() {
		f.t.Fatalf("load: %v", probs.Err())
	}
	return set
}

func (f *fixture) executor(set *flows.Set, mod ...func(*flows.Options)) *flows.Executor {
	f.t.Helper()
	o := flows.Options{Store: f.store, Registry: f.reg, Clock: f.clk.Now}
	for _, m := range mod {
		m(&o)
	}
	e, err := flows.NewExecutor(set, o)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

func send(t *testing.T, e *flows.Executor, conv, text string) *flows.TurnResult {
	t.Helper()
	res, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: conv, Text: text})
	if err != nil {
		t.Fatalf("message %q: %v", text, err)
	}
	return res
}

func wantReplies(t *testing.T, res *flows.TurnResult, want ...string) {
	t.Helper()
	if !slices.Equal(res.Replies, want) {
		t.Errorf("replies = %q, want %q", res.Replies, want)
	}
}

const greetFlow = `id: greet
version: 1
trigger: message
variables: {Visits: 0}
steps:
  - say: "Hello! It is ${GetDate()}."
  - id: ask
    ask: What is your name?
    into: Name
  - set:
      "@Visits": "=@Visits + 1"
  - branch:
      - if: "=Lower(@Name) == 'bob'"
        goto: bob
    else: other
  - id: bob
    say: "Welcome back, Bob (visit ${@Visits})."
  - end: true
  - id: other
    say: "Nice to meet you, ${@Name}."
`

func TestTurnsAskAndBranch(t *testing.T) {
	f := newFixture(t)
	f.write("greet.flow.yaml", greetFlow)
	e := f.executor(f.load())

	res := send(t, e, "c1", "hi")
	wantReplies(t, res, "Hello! It is 2026-03-02T09:00:00Z.", "What is your name?")
	if !res.Waiting {
		t.Errorf("Waiting = false after an ask")
	}
	f.clk.Advance(time.Minute)
	res = send(t, e, "c1", "Bob")
	wantReplies(t, res, "Welcome back, Bob (visit 1).")
	if res.Waiting {
		t.Errorf("Waiting = true after the flow ended")
	}
	res = send(t, e, "c1", "again")
	wantReplies(t, res, "Hello! It is 2026-03-02T09:01:00Z.", "What is your name?")
	res = send(t, e, "c1", "Alice")
	wantReplies(t, res, "Nice to meet you, Alice.")

	c, err := f.store.GetConversation(t.Context(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Vars["Visits"] != 2.0 && c.Vars["Visits"] != 2 {
		t.Errorf("Visits = %#v, want 2", c.Vars["Visits"])
	}
	if got := len(c.Transcript); got != 10 {
		t.Errorf("transcript has %d messages, want 10", got)
	}
	if c.Pins["greet"] != 1 {
		t.Errorf("pins = %v", c.Pins)
	}
}

func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	f.write("a.flow.yaml", "id: a\nversion: 1\ntrigger: message\nsteps:\n  - action: Test.Count\n    params: {Echo: x}\n  - say: \"=@InternalActionResult\"\n")
	e := f.executor(f.load())
	ev := flows.Event{Type: flows.EventMessage, ConversationID: "c1", Text: "hi", Key: "msg-1"}
	first, err := e.Handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.Handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if f.calls.Load() != 1 {
		t.Errorf("action ran %d times, want 1", f.calls.Load())
	}
	if first.Duplicate || !again.Duplicate {
		t.Errorf("Duplicate = %v, %v; want false, true", first.Duplicate, again.Duplicate)
	}
	wantReplies(t, again, "x")
	ev.Key = "msg-2"
	if _, err := e.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if f.calls.Load() != 2 {
		t.Errorf("a new key did not run the action: %d calls", f.calls.Load())
	}
}

// TestConcurrentTurnsLoseNoUpdate runs many turns of one conversation at
// once through two executors sharing a store (two instances), so the
// version compare-and-swap and retry are what keep every increment.
func TestConcurrentTurnsLoseNoUpdate(t *testing.T) {
	f := newFixture(t)
	f.write("count.flow.yaml", "id: count\nversion: 1\ntrigger: message\nvariables: {N: 0}\nsteps:\n  - set:\n      \"@N\": \"=@N + 1\"\n")
	set := f.load()
	retries := func(o *flows.Options) { o.MaxRetries = 1000 }
	ex := []*flows.Executor{f.executor(set, retries), f.executor(set, retries)}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := ex[w%2].Handle(context.Background(), flows.Event{Type: flows.EventMessage, ConversationID: "hot", Text: "+1", Key: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c, err := f.store.GetConversation(t.Context(), "hot")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Vars["N"]; got != float64(workers*each) && got != workers*each {
		t.Errorf("N = %v, want %d", got, workers*each)
	}
}

func TestConversationStaysOnItsFlowVersion(t *testing.T) {
	f := newFixture(t)
	f.write("v1.flow.yaml", "id: f\nversion: 1\ntrigger: message\nsteps:\n  - ask: v1 asks\n    into: A\n  - say: v1 answers\n")
	e := f.executor(f.load())
	wantReplies(t, send(t, e, "old", "hi"), "v1 asks")

	f.write("v2.flow.yaml", "id: f\nversion: 2\ntrigger: message\nsteps:\n  - ask: v2 asks\n    into: A\n  - say: v2 answers\n")
	if probs := e.Reload(f.load()); probs.HasErrors() {
		t.Fatal(probs.Err())
	}
	wantReplies(t, send(t, e, "old", "x"), "v1 answers")
	wantReplies(t, send(t, e, "old", "y"), "v1 asks")
	wantReplies(t, send(t, e, "new", "hi"), "v2 asks")

	// Ending the conversation releases the pin; events after it are refused.
	if _, err := e.Handle(t.Context(), flows.Event{Type: flows.EventEnd, ConversationID: "old"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "old", Text: "hi"})
	if !errors.Is(err, flows.ErrConversationEnded) {
		t.Errorf("err = %v, want ErrConversationEnded", err)
	}
}

func TestStepBudgetStopsLoops(t *testing.T) {
	f := newFixture(t)
	f.write("loop.flow.yaml", "id: loop\nversion: 1\ntrigger: message\nsteps:\n  - id: top\n    set: {\"@N\": \"=1\"}\n  - goto: top\n")
	e := f.executor(f.load(), func(o *flows.Options) { o.StepBudget = 10 })
	_, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c", Text: "x"})
	if !errors.Is(err, flows.ErrStepBudget) {
		t.Fatalf("err = %v, want ErrStepBudget", err)
	}
	var se *flows.StepError
	if !errors.As(err, &se) || se.FlowID != "loop" {
		t.Errorf("err = %#v, want a StepError in flow loop", err)
	}
	if _, err := f.store.GetConversation(t.Context(), "c"); !errors.Is(err, contextstore.ErrNotFound) {
		t.Errorf("a failed turn saved the context: err = %v", err)
	}
}

func TestActionErrors(t *testing.T) {
	f := newFixture(t)
	f.write("a.flow.yaml", `id: a
version: 1
trigger: message
steps:
  - branch:
      - if: "=@LastUserMessage == 'unguarded'"
        goto: unguarded
      - if: "=@LastUserMessage == 'dynamic'"
        goto: dynamic
  - action: Test.Count
    params: {Fail: true}
    on_error: sorry
  - say: not reached
  - id: sorry
    say: "Sorry: ${@InternalActionError}"
  - end: true
  - id: unguarded
    action: Test.Count
    params: {Fail: true}
  - end: true
  - id: dynamic
    action: Test.Count
    params: {Echo: "=1 + 1"}
`)
	e := f.executor(f.load())
	wantReplies(t, send(t, e, "c1", "guarded"), "Sorry: backend said no")
	_, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c2", Text: "unguarded"})
	var se *flows.StepError
	if !errors.As(err, &se) || se.StepID != "unguarded" || se.Err.Error() != "backend said no" {
		t.Errorf("err = %v, want StepError at step unguarded", err)
	}
	_, err = e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c3", Text: "dynamic"})
	if !errors.Is(err, actions.ErrInvalidParams) {
		t.Errorf("err = %v, want ErrInvalidParams for a number passed as Echo", err)
	}
}

func TestSelfUnblockAssignments(t *testing.T) {
	f := newFixture(t)
	f.write("u.flow.yaml", `id: u
version: 1
trigger: message
steps:
  - branch:
      - if: "=@LastUserMessage == 'block'"
        goto: block
      - if: "=@LastUserMessage == 'null'"
        goto: unblock-null
      - if: "=@LastUserMessage == 'now'"
        goto: unblock-now
  - end: true
  - id: block
    set: {"[[ConversationInfo]].LiveChatBlockedUntil": "=AddMinutes(GetDate(), 60)"}
  - end: true
  - id: unblock-null
    set: {"[[ConversationInfo]].LiveChatBlockedUntil": "=null"}
  - end: true
  - id: unblock-now
    set: {"[[ConversationInfo]].LiveChatBlockedUntil": "=GetDate"}
`)
	e := f.executor(f.load())
	until := func() *time.Time {
		c, err := f.store.GetConversation(t.Context(), "c")
		if err != nil {
			t.Fatal(err)
		}
		return c.Info.LiveChatBlockedUntil
	}
	send(t, e, "c", "block")
	if u := until(); u == nil || !u.Equal(t0.Add(time.Hour)) || !contextstore.IsActiveAt(u, f.clk.Now()) {
		t.Fatalf("after block: until = %v", u)
	}
	send(t, e, "c", "null")
	if u := until(); u != nil {
		t.Errorf("after = null: until = %v", u)
	}
	send(t, e, "c", "block")
	send(t, e, "c", "now")
	if u := until(); u == nil || !u.Equal(t0) || contextstore.IsActiveAt(u, f.clk.Now()) {
		t.Errorf("after = GetDate: until = %v, want %v and not active", u, t0)
	}
}

func TestRoutingByWhenAndPriority(t *testing.T) {
	f := newFixture(t)
	f.write("fallback.flow.yaml", "id: fallback\nversion: 1\ntrigger: message\nsteps:\n  - say: fallback\n")
	f.write("help.flow.yaml", "id: help\nversion: 1\ntrigger: message\nwhen: \"=Contains(Lower(@LastUserMessage), 'help')\"\nsteps:\n  - say: help\n")
	f.write("urgent.flow.yaml", "id: urgent\nversion: 1\ntrigger: message\npriority: 10\nwhen: \"=Contains(Lower(@LastUserMessage), 'urgent')\"\nsteps:\n  - say: urgent\n")
	e := f.executor(f.load())
	wantReplies(t, send(t, e, "c", "hello"), "fallback")
	wantReplies(t, send(t, e, "c", "HELP please"), "help")
	wantReplies(t, send(t, e, "c", "urgent help"), "urgent")
}

// silencer blocks like IsBlockedForLiveChat does: it replies a neutral
// message and silences the bot for the rest of the turn.
type silencer struct{}

func (silencer) Run(_ context.Context, c *actions.Call) (actions.Result, error) {
	c.Reply("chat ended")
	c.Silence()
	return actions.Result{Value: true}, nil
}

func TestSilencedTurnSkipsPrompts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		allow string
		want  []string
		wait  bool
	}{
		{"default: no survey after a block", "", []string{"chat ended"}, false},
		{"prompts_after_block: true", "prompts_after_block: true\n", []string{"chat ended", "rate us?"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.reg.Register(actions.Spec{Name: "Test.Block", New: func() actions.Action { return silencer{} }})
			f.write("d.flow.yaml", "id: d\nversion: 1\ntrigger: message\n"+tc.allow+"steps:\n  - action: Test.Block\n  - ask: rate us?\n    into: R\n  - say: thanks\n")
			e := f.executor(f.load())
			res := send(t, e, "c", "hi")
			wantReplies(t, res, tc.want...)
			if res.Waiting != tc.wait {
				t.Errorf("Waiting = %v, want %v", res.Waiting, tc.wait)
			}
			// The next turn is not silenced.
			if !tc.wait {
				wantReplies(t, send(t, e, "c", "again"), "chat ended")
			}
		})
	}
}
