package helpdesk_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/actions/helpdesk"
	"github.com/chatflow/chatflow/contextstore"
)

var now = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// fakeBlacklist records the blocks it is asked to store.
type fakeBlacklist struct {
	mu       sync.Mutex
	users    []helpdesk.UserBlock
	convs    []helpdesk.ConversationBlock
	activity *contextstore.ChatActivityData // returned by BlockUser
	err      error
}

func (f *fakeBlacklist) BlockUser(_ context.Context, b helpdesk.UserBlock) (*contextstore.ChatActivityData, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users = append(f.users, b)
	return f.activity, f.err
}

func (f *fakeBlacklist) RecordConversationBlock(_ context.Context, b helpdesk.ConversationBlock) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.convs = append(f.convs, b)
	return f.err
}

// fakeGate answers blocked/err and counts its calls.
type fakeGate struct {
	blocked bool
	err     error
	calls   int
}

func (g *fakeGate) IsBlocked(context.Context, *contextstore.Conversation, time.Time) (bool, error) {
	g.calls++
	return g.blocked, g.err
}

// fakeQueue records enqueued entries.
type fakeQueue struct {
	entries []contextstore.QueueEntry
	removed []string
	err     error
}

func (q *fakeQueue) Enqueue(_ context.Context, e contextstore.QueueEntry) error {
	if q.err != nil {
		return q.err
	}
	q.entries = append(q.entries, e)
	return nil
}

func (q *fakeQueue) Remove(_ context.Context, queue, id string) error {
	q.removed = append(q.removed, queue+"/"+id)
	return q.err
}

type fakeHours struct{ open bool }

func (h fakeHours) IsOpen(time.Time) bool { return h.open }

type fixture struct {
	bl    *fakeBlacklist
	gate  *fakeGate
	queue *fakeQueue
	reg   *actions.Registry
}

func newFixture(t *testing.T, mod ...func(*helpdesk.Deps)) *fixture {
	t.Helper()
	f := &fixture{bl: &fakeBlacklist{}, gate: &fakeGate{}, queue: &fakeQueue{}}
	d := helpdesk.Deps{Blacklist: f.bl, Gate: f.gate, Queue: f.queue}
	for _, m := range mod {
		m(&d)
	}
	f.reg = actions.NewRegistry()
	helpdesk.Register(f.reg, d)
	return f
}

func anonymous() *contextstore.Conversation {
	return &contextstore.Conversation{ID: "c1", Info: contextstore.ConversationInfo{ConversationID: "c1", Channel: "live_chat"}}
}

func authenticated() *contextstore.Conversation {
	c := anonymous()
	c.User = contextstore.ChatUser{UserID: "u-42", Name: "Dana", IsAuthenticated: true}
	return c
}

// invoke calls an action the way the executor does for expression params:
// validated and defaulted by the registry.
func (f *fixture) invoke(t *testing.T, name string, c *contextstore.Conversation, params map[string]any) (*actions.Call, actions.Result, error) {
	t.Helper()
	call := &actions.Call{Action: name, Params: params, Conversation: c, Activity: &contextstore.ChatActivityData{}, Now: now}
	res, err := f.reg.Invoke(t.Context(), call, false)
	return call, res, err
}

func TestRegisteredSpecs(t *testing.T) {
	f := newFixture(t)
	var names []string
	for _, s := range f.reg.Specs() {
		names = append(names, s.Name)
		if s.Doc == "" {
			t.Errorf("%s has no doc", s.Name)
		}
	}
	want := []string{helpdesk.ConnectToHelpdeskAgent, helpdesk.IsBlockedForLiveChat, helpdesk.IsOutsideWorkingHours}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("specs = %v, want %v", names, want)
	}
}

func TestBlockAuthenticated(t *testing.T) {
	for _, tc := range []struct {
		name      string
		params    map[string]any
		wantUntil time.Time
		wantSave  bool
		wantRsn   string
	}{
		{"defaults", nil, now.Add(1440 * time.Minute), false, ""},
		{"every param", map[string]any{"BlockIntervalMinutes": 60.0, "BlockReason": "fraud: chargeback", "SaveToChatActivityData": true},
			now.Add(time.Hour), true, "fraud: chargeback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			until := tc.wantUntil
			stored := &contextstore.ChatActivityData{UserID: "u-42", LiveChatBlockedUntil: &until, LiveChatBlockedReason: "fraud: chargeback", Version: 3}
			f.bl.activity = stored
			c := authenticated()
			c.Feedback = contextstore.AgentFeedback{AgentEmail: "ann@acme.test", ReasonCategory: "fraud", Notes: "chargeback"}
			call, res, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if res.Value != true {
				t.Errorf("result = %v, want true", res.Value)
			}
			if len(f.bl.users) != 1 || len(f.bl.convs) != 0 {
				t.Fatalf("BlockUser calls = %d, RecordConversationBlock calls = %d; want 1, 0", len(f.bl.users), len(f.bl.convs))
			}
			want := helpdesk.UserBlock{
				UserID: "u-42", ConversationID: "c1", AgentEmail: "ann@acme.test",
				ReasonCategory: "fraud", Reason: tc.wantRsn, Notes: "chargeback",
				At: now, Until: tc.wantUntil, SaveToChatActivityData: tc.wantSave,
			}
			if got := f.bl.users[0]; got != want {
				t.Errorf("BlockUser(%+v), want %+v", got, want)
			}
			if *call.Activity != *stored {
				t.Errorf("call.Activity = %+v, want the stored %+v", *call.Activity, *stored)
			}
			if c.Info.LiveChatBlockedUntil != nil {
				t.Errorf("an authenticated block must not set ConversationInfo.LiveChatBlockedUntil, got %v", c.Info.LiveChatBlockedUntil)
			}
		})
	}
}

func TestBlockAuthenticatedActivityUntouched(t *testing.T) {
	f := newFixture(t) // BlockUser returns nil: ChatActivityData was left alone
	c := authenticated()
	call := &actions.Call{Action: helpdesk.IsBlockedForLiveChat, Conversation: c, Now: now,
		Activity: &contextstore.ChatActivityData{UserID: "u-42", LiveChatBlockedReason: "old", Version: 7}}
	if _, err := f.reg.Invoke(t.Context(), call, false); err != nil {
		t.Fatal(err)
	}
	if call.Activity.LiveChatBlockedReason != "old" || call.Activity.Version != 7 {
		t.Errorf("call.Activity changed to %+v though BlockUser returned nil", *call.Activity)
	}
}

func TestBlockAnonymous(t *testing.T) {
	f := newFixture(t)
	c := anonymous()
	c.Helpdesk = contextstore.HelpdeskClient{AgentConnected: true, InQueue: true, AgentEmail: "bob@acme.test"}
	c.Feedback = contextstore.AgentFeedback{ReasonCategory: "spam", Notes: "links"} // no AgentEmail: the connected agent is named
	_, res, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, map[string]any{"BlockIntervalMinutes": 90.0, "BlockReason": "spam: links"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Value != true {
		t.Errorf("result = %v, want true", res.Value)
	}
	until := now.Add(90 * time.Minute)
	if c.Info.LiveChatBlockedUntil == nil || !c.Info.LiveChatBlockedUntil.Equal(until) {
		t.Errorf("LiveChatBlockedUntil = %v, want %v", c.Info.LiveChatBlockedUntil, until)
	}
	if len(f.bl.users) != 0 || len(f.bl.convs) != 1 {
		t.Fatalf("BlockUser calls = %d, RecordConversationBlock calls = %d; want 0, 1", len(f.bl.users), len(f.bl.convs))
	}
	want := helpdesk.ConversationBlock{ConversationID: "c1", AgentEmail: "bob@acme.test", ReasonCategory: "spam", Reason: "spam: links", Notes: "links", At: now, Until: until}
	if got := f.bl.convs[0]; got != want {
		t.Errorf("RecordConversationBlock(%+v), want %+v", got, want)
	}
}

// An authenticated flag without a user id cannot go on the blacklist: the
// block falls back to the conversation.
func TestBlockAuthenticatedWithoutUserID(t *testing.T) {
	f := newFixture(t)
	c := anonymous()
	c.User.IsAuthenticated = true
	if _, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, nil); err != nil {
		t.Fatal(err)
	}
	if len(f.bl.users) != 0 || len(f.bl.convs) != 1 || c.Info.LiveChatBlockedUntil == nil {
		t.Errorf("users=%d convs=%d until=%v; want a conversation block", len(f.bl.users), len(f.bl.convs), c.Info.LiveChatBlockedUntil)
	}
}

func TestBlockEffects(t *testing.T) {
	const neutral = "This chat has ended. Thank you for contacting Acme."
	for _, tc := range []struct {
		name    string
		conv    func() *contextstore.Conversation
		message string
		replies []string
	}{
		{"anonymous with message", anonymous, neutral, []string{neutral}},
		{"authenticated with message", authenticated, neutral, []string{neutral}},
		{"no message configured", anonymous, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(d *helpdesk.Deps) { d.BlockedMessage = tc.message })
			c := tc.conv()
			c.Helpdesk = contextstore.HelpdeskClient{AgentConnected: true, InQueue: true, AgentEmail: "ann@acme.test"}
			call, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, map[string]any{"BlockReason": "secret-reason-xyz"})
			if err != nil {
				t.Fatal(err)
			}
			if !c.Info.Blocked || c.Helpdesk.AgentConnected || c.Helpdesk.InQueue {
				t.Errorf("Blocked=%v AgentConnected=%v InQueue=%v; want true, false, false", c.Info.Blocked, c.Helpdesk.AgentConnected, c.Helpdesk.InQueue)
			}
			if c.Info.MarkedSpam {
				t.Errorf("MarkedSpam set though the agent did not ask for it")
			}
			if !call.Silenced() {
				t.Errorf("a block must silence the rest of the turn (no survey for a blocked user)")
			}
			if got := call.Replies(); strings.Join(got, "|") != strings.Join(tc.replies, "|") {
				t.Errorf("replies = %q, want %q", got, tc.replies)
			}
			for _, r := range call.Replies() {
				if strings.Contains(r, "secret-reason-xyz") {
					t.Errorf("reply %q reveals the block reason", r)
				}
			}
		})
	}
}

func TestBlockMarksSpamOnRequest(t *testing.T) {
	f := newFixture(t)
	c := anonymous()
	c.Feedback = contextstore.AgentFeedback{Block: true, MarkSpam: true}
	if _, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, nil); err != nil {
		t.Fatal(err)
	}
	if !c.Info.MarkedSpam || !c.Info.Blocked {
		t.Errorf("MarkedSpam=%v Blocked=%v, want both", c.Info.MarkedSpam, c.Info.Blocked)
	}
}

func TestBlockErrors(t *testing.T) {
	backend := errors.New("backend down")
	for _, tc := range []struct {
		name    string
		conv    func() *contextstore.Conversation
		params  map[string]any
		wantIs  error
		wantMsg string
	}{
		{"interval zero", anonymous, map[string]any{"BlockIntervalMinutes": 0.0}, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /BlockIntervalMinutes: must be >= 1 but found 0"},
		{"interval not integer", anonymous, map[string]any{"BlockIntervalMinutes": 1.5}, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /BlockIntervalMinutes: expected integer, but got number"},
		{"reason not string", anonymous, map[string]any{"BlockReason": 3.0}, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /BlockReason: expected string, but got number"},
		{"save not bool", anonymous, map[string]any{"SaveToChatActivityData": "yes"}, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /SaveToChatActivityData: expected boolean, but got string"},
		{"unknown param", anonymous, map[string]any{"BlockMinutes": 5.0}, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: (params): additionalProperties 'BlockMinutes' not allowed"},
		{"blacklist fails (user)", authenticated, nil, backend, "blocking user u-42: backend down"},
		{"blacklist fails (conversation)", anonymous, nil, backend, "recording block of conversation c1: backend down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.bl.err = backend
			c := tc.conv()
			call, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, tc.params)
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.wantIs)
			}
			if err.Error() != tc.wantMsg {
				t.Errorf("err = %q, want %q", err, tc.wantMsg)
			}
			// A flow may go on after a failed action (on_error) and its
			// context is then saved: a failed block must leave no trace.
			if c.Info.Blocked || c.Info.LiveChatBlockedUntil != nil || len(call.Replies()) != 0 || call.Silenced() {
				t.Errorf("a failed block changed the conversation: Blocked=%v LiveChatBlockedUntil=%v replies=%q", c.Info.Blocked, c.Info.LiveChatBlockedUntil, call.Replies())
			}
			if errors.Is(err, actions.ErrInvalidParams) && len(f.bl.users)+len(f.bl.convs) != 0 {
				t.Errorf("invalid params reached the blacklist")
			}
		})
	}
}

func TestConnect(t *testing.T) {
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	gateErr := errors.New("ban table unavailable")
	for _, tc := range []struct {
		name       string
		until      *time.Time
		gate       fakeGate
		hours      helpdesk.Hours
		params     map[string]any
		want       any
		wantErr    string
		wantQueue  []string // queues enqueued into
		wantBlock  bool
		wantClosed bool
		gateCalls  int
	}{
		{name: "open, default queue", want: true, wantQueue: []string{"default"}, gateCalls: 1},
		{name: "open, named queue", params: map[string]any{"Queue": "support"}, want: true, wantQueue: []string{"support"}, gateCalls: 1},
		{name: "hours nil means always open", hours: nil, want: true, wantQueue: []string{"default"}, gateCalls: 1},
		{name: "hours open", hours: fakeHours{open: true}, want: true, wantQueue: []string{"default"}, gateCalls: 1},
		{name: "active context block", until: &future, want: false, wantBlock: true, gateCalls: 0},
		{name: "block ending now has expired", until: ptr(now), want: true, wantQueue: []string{"default"}, gateCalls: 1},
		{name: "expired context block", until: &past, want: true, wantQueue: []string{"default"}, gateCalls: 1},
		{name: "gate says blocked", gate: fakeGate{blocked: true}, want: false, wantBlock: true, gateCalls: 1},
		{name: "blocked beats closed", gate: fakeGate{blocked: true}, hours: fakeHours{open: false}, want: false, wantBlock: true, gateCalls: 1},
		{name: "closed", hours: fakeHours{open: false}, want: false, wantClosed: true, gateCalls: 1},
		{name: "gate error", gate: fakeGate{err: gateErr}, wantErr: "checking blocks: ban table unavailable", gateCalls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(d *helpdesk.Deps) { d.Hours = tc.hours })
			*f.gate = tc.gate
			c := anonymous()
			c.Info.LiveChatBlockedUntil = tc.until
			_, res, err := f.invoke(t, helpdesk.ConnectToHelpdeskAgent, c, tc.params)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if !errors.Is(err, gateErr) {
					t.Errorf("err does not wrap the gate's error")
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if res.Value != tc.want {
				t.Errorf("result = %v, want %v", res.Value, tc.want)
			}
			var queues []string
			for _, e := range f.queue.entries {
				queues = append(queues, e.Queue)
				if e.ConversationID != "c1" || !e.EnqueuedAt.Equal(now) {
					t.Errorf("enqueued %+v, want conversation c1 at %v", e, now)
				}
			}
			if strings.Join(queues, ",") != strings.Join(tc.wantQueue, ",") {
				t.Errorf("enqueued into %v, want %v", queues, tc.wantQueue)
			}
			h := c.Helpdesk
			if h.IsBlockedForLiveChat != tc.wantBlock || h.IsOutsideWorkingHours != tc.wantClosed {
				t.Errorf("IsBlockedForLiveChat=%v IsOutsideWorkingHours=%v, want %v, %v", h.IsBlockedForLiveChat, h.IsOutsideWorkingHours, tc.wantBlock, tc.wantClosed)
			}
			if queued := len(tc.wantQueue) > 0; h.InQueue != queued {
				t.Errorf("InQueue = %v, want %v", h.InQueue, queued)
			}
			if len(tc.wantQueue) > 0 && h.Queue != tc.wantQueue[0] {
				t.Errorf("HelpdeskClient.Queue = %q, want %q", h.Queue, tc.wantQueue[0])
			}
			if f.gate.calls != tc.gateCalls {
				t.Errorf("gate called %d times, want %d", f.gate.calls, tc.gateCalls)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// The states describe the last call only: a refused call followed by a
// successful one leaves neither state set.
func TestConnectResetsStates(t *testing.T) {
	hours := &switchHours{}
	f := newFixture(t, func(d *helpdesk.Deps) { d.Hours = hours })
	c := anonymous()

	f.gate.blocked = true
	if _, res, err := f.invoke(t, helpdesk.ConnectToHelpdeskAgent, c, nil); err != nil || res.Value != false || !c.Helpdesk.IsBlockedForLiveChat {
		t.Fatalf("blocked: result %v, err %v, state %+v", res.Value, err, c.Helpdesk)
	}
	f.gate.blocked, hours.closed = false, true
	if _, res, err := f.invoke(t, helpdesk.ConnectToHelpdeskAgent, c, nil); err != nil || res.Value != false {
		t.Fatalf("closed: result %v, err %v", res.Value, err)
	}
	if c.Helpdesk.IsBlockedForLiveChat || !c.Helpdesk.IsOutsideWorkingHours {
		t.Errorf("after a closed call: %+v, want only IsOutsideWorkingHours", c.Helpdesk)
	}
	hours.closed = false
	if _, res, err := f.invoke(t, helpdesk.ConnectToHelpdeskAgent, c, nil); err != nil || res.Value != true {
		t.Fatalf("open: result %v, err %v", res.Value, err)
	}
	if c.Helpdesk.IsBlockedForLiveChat || c.Helpdesk.IsOutsideWorkingHours || !c.Helpdesk.InQueue {
		t.Errorf("after a successful call: %+v, want InQueue only", c.Helpdesk)
	}
}

type switchHours struct{ closed bool }

func (h *switchHours) IsOpen(time.Time) bool { return !h.closed }

func TestConnectErrors(t *testing.T) {
	qerr := errors.New("queue full")
	for _, tc := range []struct {
		name    string
		params  map[string]any
		qerr    error
		wantIs  error
		wantMsg string
	}{
		{"bad queue name", map[string]any{"Queue": "no spaces"}, nil, actions.ErrInvalidParams,
			"invalid params for ConnectToHelpdeskAgent: /Queue: does not match pattern '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'"},
		{"unknown param", map[string]any{"Skill": "x"}, nil, actions.ErrInvalidParams,
			"invalid params for ConnectToHelpdeskAgent: (params): additionalProperties 'Skill' not allowed"},
		{"enqueue fails", nil, qerr, qerr, "queueing conversation c1: queue full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.queue.err = tc.qerr
			c := anonymous()
			_, _, err := f.invoke(t, helpdesk.ConnectToHelpdeskAgent, c, tc.params)
			if !errors.Is(err, tc.wantIs) || err.Error() != tc.wantMsg {
				t.Fatalf("err = %v, want %q (errors.Is %v)", err, tc.wantMsg, tc.wantIs)
			}
			if c.Helpdesk.InQueue {
				t.Errorf("InQueue set although the call failed")
			}
		})
	}
}

func TestMissingDeps(t *testing.T) {
	reg := actions.NewRegistry()
	helpdesk.Register(reg, helpdesk.Deps{}) // as `chatflow validate` does
	for _, name := range []string{helpdesk.IsBlockedForLiveChat, helpdesk.ConnectToHelpdeskAgent} {
		t.Run(name, func(t *testing.T) {
			c := anonymous()
			_, err := reg.Invoke(t.Context(), &actions.Call{Action: name, Conversation: c, Now: now}, false)
			if err == nil || err.Error() != "helpdesk services are not configured" {
				t.Errorf("err = %v, want helpdesk services are not configured", err)
			}
			if c.Info.LiveChatBlockedUntil != nil || c.Info.Blocked || c.Helpdesk.InQueue {
				t.Errorf("conversation changed without services: %+v %+v", c.Info, c.Helpdesk)
			}
		})
	}
	t.Run("connect without queue", func(t *testing.T) {
		reg := actions.NewRegistry()
		helpdesk.Register(reg, helpdesk.Deps{Gate: &fakeGate{}})
		_, err := reg.Invoke(t.Context(), &actions.Call{Action: helpdesk.ConnectToHelpdeskAgent, Conversation: anonymous(), Now: now}, false)
		if err == nil || err.Error() != "helpdesk services are not configured" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestIsOutsideWorkingHours(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hours helpdesk.Hours
		want  bool
	}{
		{"no calendar: always open", nil, false},
		{"open", fakeHours{open: true}, false},
		{"closed", fakeHours{open: false}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := actions.NewRegistry()
			helpdesk.Register(reg, helpdesk.Deps{Hours: tc.hours}) // needs no other service
			c := anonymous()
			c.Helpdesk.IsOutsideWorkingHours = !tc.want // stale state is overwritten
			res, err := reg.Invoke(t.Context(), &actions.Call{Action: helpdesk.IsOutsideWorkingHours, Conversation: c, Now: now}, false)
			if err != nil {
				t.Fatal(err)
			}
			if res.Value != tc.want || c.Helpdesk.IsOutsideWorkingHours != tc.want {
				t.Errorf("result %v, state %v; want %v", res.Value, c.Helpdesk.IsOutsideWorkingHours, tc.want)
			}
		})
	}
	t.Run("takes no params", func(t *testing.T) {
		reg := actions.NewRegistry()
		helpdesk.Register(reg, helpdesk.Deps{})
		_, err := reg.Invoke(t.Context(), &actions.Call{Action: helpdesk.IsOutsideWorkingHours, Conversation: anonymous(), Now: now, Params: map[string]any{"X": 1.0}}, false)
		if !errors.Is(err, actions.ErrInvalidParams) {
			t.Errorf("err = %v, want ErrInvalidParams", err)
		}
	})
}
