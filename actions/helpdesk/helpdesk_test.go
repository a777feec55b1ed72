package helpdesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/actions/helpdesk"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/queue"
	"github.com/chatflow/chatflow/internal/sanctions"
)

var now = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// cause is the Cause the executor would give the block step of a turn.
const cause = "c1/key-1/bye/block"

// fakeSanctions records the requests (and the calls) it is given. With
// next set it hands them on (the real pipeline, see usePipeline);
// otherwise it returns activity and err.
type fakeSanctions struct {
	mu       sync.Mutex
	reqs     []contextstore.BlockRequest
	calls    []*actions.Call
	activity *contextstore.ChatActivityData
	err      error
	next     helpdesk.Sanctions
}

func (f *fakeSanctions) Sanction(ctx context.Context, req contextstore.BlockRequest, call *actions.Call) (*contextstore.ChatActivityData, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.calls = append(f.calls, call)
	next, act, err := f.next, f.activity, f.err
	f.mu.Unlock()
	if next != nil {
		return next.Sanction(ctx, req, call)
	}
	return act, err
}

// pipelineSanctions is what the app wires behind the action: the blocking
// service records the request once per cause, and sanctions.Effects
// applies its effects to the turn's conversation.
func pipelineSanctions(s *blocking.Service, effects *sanctions.Effects) sanctions.ForFlows {
	return sanctions.ForFlows{Blocking: s, Effects: effects}
}

func sealer(t *testing.T) *privacy.Sealer {
	t.Helper()
	s, err := privacy.New(bytes.Repeat([]byte{7}, privacy.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newBlocking returns a blocking service on a fresh memory store whose
// clock stands at now.
func newBlocking(t *testing.T) (*blocking.Service, *memory.Store) {
	t.Helper()
	store := memory.New()
	svc, err := blocking.New(store, blocking.Options{Clock: func() time.Time { return now }, Sealer: sealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	return svc, store
}

// usePipeline puts the real sanctions pipeline (blocking service and
// effects with blockedText as the neutral message) behind the fixture's
// Sanctions; requests are still recorded.
func (f *fixture) usePipeline(t *testing.T, blockedText string) *blocking.Service {
	t.Helper()
	svc, store := newBlocking(t)
	eff, err := sanctions.NewEffects(sanctions.EffectsOptions{Queue: queue.New(store), BlockedText: blockedText})
	if err != nil {
		t.Fatal(err)
	}
	f.sanc.next = pipelineSanctions(svc, eff)
	return svc
}

// fakeGate answers blocked/err (or asks next) and counts its calls.
type fakeGate struct {
	blocked bool
	err     error
	next    helpdesk.Gate
	calls   int
	seen    *contextstore.Conversation
}

func (g *fakeGate) Barred(ctx context.Context, c *contextstore.Conversation) (bool, error) {
	g.calls++
	g.seen = c
	if g.next != nil {
		return g.next.Barred(ctx, c)
	}
	return g.blocked, g.err
}

// blockingGate is the app's gate: the blocking service's one decision.
func blockingGate(s *blocking.Service) sanctions.Gate { return sanctions.Gate{Blocking: s} }

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

// fakeHours is open or closed, recording the queue it was asked about.
type fakeHours struct {
	open  bool
	asked *string
}

func (h fakeHours) IsOpen(queue string, _ time.Time) bool {
	if h.asked != nil {
		*h.asked = queue
	}
	return h.open
}

type fixture struct {
	sanc  *fakeSanctions
	gate  *fakeGate
	queue *fakeQueue
	reg   *actions.Registry
}

func newFixture(t *testing.T, mod ...func(*helpdesk.Deps)) *fixture {
	t.Helper()
	f := &fixture{sanc: &fakeSanctions{}, gate: &fakeGate{}, queue: &fakeQueue{}}
	d := helpdesk.Deps{Sanctions: f.sanc, Gate: f.gate, Queue: f.queue}
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
// validated and defaulted by the registry, with the step's cause.
func (f *fixture) invoke(t *testing.T, name string, c *contextstore.Conversation, params map[string]any) (*actions.Call, actions.Result, error) {
	t.Helper()
	call := &actions.Call{Action: name, Cause: cause, Params: params, Conversation: c, Activity: &contextstore.ChatActivityData{}, Now: now}
	res, err := f.reg.Invoke(t.Context(), call, false)
	return call, res, err
}

// only returns the one request Sanctions was given.
func (f *fixture) only(t *testing.T) contextstore.BlockRequest {
	t.Helper()
	if len(f.sanc.reqs) != 1 {
		t.Fatalf("Sanction calls = %d, want 1", len(f.sanc.reqs))
	}
	return f.sanc.reqs[0]
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
		name       string
		params     map[string]any
		wantPeriod contextstore.Period
		wantSave   bool
		wantRsn    string
	}{
		{"defaults", nil, contextstore.Period{Minutes: 1440}, false, ""},
		{"every param", map[string]any{"BlockIntervalMinutes": 60.0, "BlockReason": "fraud: chargeback", "SaveToChatActivityData": true},
			contextstore.Period{Minutes: 60}, true, "fraud: chargeback"},
		{"permanent", map[string]any{"BlockIntervalMinutes": 60.0, "Permanent": true},
			contextstore.Period{Permanent: true}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			until := now.Add(time.Hour)
			stored := &contextstore.ChatActivityData{UserID: "u-42", LiveChatBlockedUntil: &until, LiveChatBlockedReason: "fraud: chargeback", Version: 3}
			f.sanc.activity = stored
			c := authenticated()
			c.Feedback = contextstore.AgentFeedback{AgentEmail: "ann@acme.test", ReasonCategory: "fraud", Notes: "chargeback"}
			call, res, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if res.Value != true {
				t.Errorf("result = %v, want true", res.Value)
			}
			want := contextstore.BlockRequest{
				Kind: contextstore.KindUser, UserID: "u-42", ConversationID: "c1",
				Channels: []string{"live_chat"}, Period: tc.wantPeriod, At: now,
				ReasonCategory: "fraud", Reason: tc.wantRsn, Notes: "chargeback",
				Actor: "ann@acme.test", Source: contextstore.SourceFlow, Cause: cause,
				SaveToChatActivityData: tc.wantSave,
			}
			if got := f.only(t); !reflect.DeepEqual(got, want) {
				t.Errorf("Sanction(%+v), want %+v", got, want)
			}
			if f.sanc.calls[0] != call {
				t.Errorf("Sanction was not given the action's call (its effects apply to the turn)")
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
	f := newFixture(t) // Sanction returns nil: ChatActivityData was left alone
	c := authenticated()
	call := &actions.Call{Action: helpdesk.IsBlockedForLiveChat, Cause: cause, Conversation: c, Now: now,
		Activity: &contextstore.ChatActivityData{UserID: "u-42", LiveChatBlockedReason: "old", Version: 7}}
	if _, err := f.reg.Invoke(t.Context(), call, false); err != nil {
		t.Fatal(err)
	}
	if call.Activity.LiveChatBlockedReason != "old" || call.Activity.Version != 7 {
		t.Errorf("call.Activity changed to %+v though Sanction returned nil", *call.Activity)
	}
}

func TestBlockAnonymous(t *testing.T) {
	for _, tc := range []struct {
		name       string
		params     map[string]any
		wantPeriod contextstore.Period
		wantUntil  time.Time
	}{
		{"minutes", map[string]any{"BlockIntervalMinutes": 90.0, "BlockReason": "spam: links"},
			contextstore.Period{Minutes: 90}, now.Add(90 * time.Minute)},
		{"permanent", map[string]any{"BlockIntervalMinutes": 90.0, "BlockReason": "spam: links", "Permanent": true},
			contextstore.Period{Permanent: true}, blocking.PermanentUntil()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.usePipeline(t, "")
			c := anonymous()
			c.Helpdesk = contextstore.HelpdeskClient{AgentConnected: true, InQueue: true, AgentEmail: "bob@acme.test"}
			c.Feedback = contextstore.AgentFeedback{ReasonCategory: "spam", Notes: "links"} // no AgentEmail: the connected agent is named
			_, res, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if res.Value != true {
				t.Errorf("result = %v, want true", res.Value)
			}
			want := contextstore.BlockRequest{
				Kind: contextstore.KindConversation, ConversationID: "c1",
				Channels: []string{"live_chat"}, Period: tc.wantPeriod, At: now,
				ReasonCategory: "spam", Reason: "spam: links", Notes: "links",
				Actor: "bob@acme.test", Source: contextstore.SourceFlow, Cause: cause,
			}
			if got := f.only(t); !reflect.DeepEqual(got, want) {
				t.Errorf("Sanction(%+v), want %+v", got, want)
			}
			// Written by the sanctions pipeline from the block it stored.
			if c.Info.LiveChatBlockedUntil == nil || !c.Info.LiveChatBlockedUntil.Equal(tc.wantUntil) {
				t.Errorf("LiveChatBlockedUntil = %v, want %v", c.Info.LiveChatBlockedUntil, tc.wantUntil)
			}
		})
	}
}

// The action sends the request and applies nothing itself: the effects
// are the Sanctions' (one function applies them for every source, so
// nothing is applied twice).
func TestBlockLeavesEffectsToSanctions(t *testing.T) {
	f := newFixture(t)
	c := anonymous()
	c.Helpdesk = contextstore.HelpdeskClient{AgentConnected: true, InQueue: true, Queue: "support", AgentEmail: "bob@acme.test"}
	c.Feedback = contextstore.AgentFeedback{MarkSpam: true}
	call, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Info.Blocked || c.Info.MarkedSpam || c.Info.LiveChatBlockedUntil != nil || !c.Helpdesk.AgentConnected || !c.Helpdesk.InQueue ||
		len(call.Replies()) != 0 || call.Silenced() || len(f.queue.removed) != 0 {
		t.Errorf("the action applied effects itself: Info=%+v Helpdesk=%+v replies=%q silenced=%v removed=%q",
			c.Info, c.Helpdesk, call.Replies(), call.Silenced(), f.queue.removed)
	}
}

// The cause comes from the call, so a retried or duplicated turn asks for
// the same block again, and the blocking service finds the one it made.
func TestBlockCauseIsStable(t *testing.T) {
	f := newFixture(t)
	svc := f.usePipeline(t, "")
	for range 2 {
		if _, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, anonymous(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.sanc.reqs) != 2 || f.sanc.reqs[0].Cause != cause || f.sanc.reqs[1].Cause != cause {
		t.Fatalf("requests = %+v, want two with cause %q", f.sanc.reqs, cause)
	}
	views, err := svc.List(t.Context(), contextstore.BlockQuery{ConversationID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 1 {
		t.Errorf("blocks stored = %d, want 1 (one per cause)", len(views))
	}
}

// An authenticated flag without a user id cannot go on the blacklist: the
// block falls back to the conversation.
func TestBlockAuthenticatedWithoutUserID(t *testing.T) {
	f := newFixture(t)
	f.usePipeline(t, "")
	c := anonymous()
	c.User.IsAuthenticated = true
	if _, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, map[string]any{"SaveToChatActivityData": true}); err != nil {
		t.Fatal(err)
	}
	req := f.only(t)
	if req.Kind != contextstore.KindConversation || req.ConversationID != "c1" || req.UserID != "" || req.SaveToChatActivityData || c.Info.LiveChatBlockedUntil == nil {
		t.Errorf("request %+v, until=%v; want a conversation block", req, c.Info.LiveChatBlockedUntil)
	}
}

// The effects of a block, applied by the sanctions pipeline to the turn's
// conversation through the call.
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
			f := newFixture(t)
			f.usePipeline(t, tc.message)
			c := tc.conv()
			c.Helpdesk = contextstore.HelpdeskClient{AgentConnected: true, InQueue: true, AgentEmail: "ann@acme.test"}
			call, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, map[string]any{"BlockReason": "secret-reason-xyz"})
			if err != nil {
				t.Fatal(err)
			}
			if f.only(t).MarkSpam {
				t.Errorf("MarkSpam requested though the agent did not ask for it")
			}
			if !c.Info.Blocked || c.Helpdesk.AgentConnected || c.Helpdesk.InQueue {
				t.Errorf("Blocked=%v AgentConnected=%v InQueue=%v; want true, false, false", c.Info.Blocked, c.Helpdesk.AgentConnected, c.Helpdesk.InQueue)
			}
			if c.Info.MarkedSpam {
				t.Errorf("MarkedSpam set though the agent did not ask for it")
			}
			if c.User.IsAuthenticated && c.Info.LiveChatBlockedUntil != nil {
				t.Errorf("an authenticated block must not set ConversationInfo.LiveChatBlockedUntil, got %v", c.Info.LiveChatBlockedUntil)
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
	f.usePipeline(t, "")
	c := anonymous()
	c.Feedback = contextstore.AgentFeedback{Block: true, MarkSpam: true}
	if _, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, nil); err != nil {
		t.Fatal(err)
	}
	if !f.only(t).MarkSpam {
		t.Errorf("the request does not ask to mark spam")
	}
	if !c.Info.MarkedSpam || !c.Info.Blocked {
		t.Errorf("MarkedSpam=%v Blocked=%v, want both", c.Info.MarkedSpam, c.Info.Blocked)
	}
}

func TestBlockErrors(t *testing.T) {
	backend := errors.New("backend down")
	for _, tc := range []struct {
		name     string
		conv     func() *contextstore.Conversation
		params   map[string]any
		pipeline bool // the real sanctions pipeline, not the failing fake
		wantIs   error
		wantMsg  string
	}{
		{"interval zero", anonymous, map[string]any{"BlockIntervalMinutes": 0.0}, false, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /BlockIntervalMinutes: must be >= 1 but found 0"},
		{"interval not integer", anonymous, map[string]any{"BlockIntervalMinutes": 1.5}, false, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /BlockIntervalMinutes: expected integer, but got number"},
		{"reason not string", anonymous, map[string]any{"BlockReason": 3.0}, false, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /BlockReason: expected string, but got number"},
		{"save not bool", anonymous, map[string]any{"SaveToChatActivityData": "yes"}, false, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /SaveToChatActivityData: expected boolean, but got string"},
		{"permanent not bool", anonymous, map[string]any{"Permanent": "yes"}, false, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: /Permanent: expected boolean, but got string"},
		{"unknown param", anonymous, map[string]any{"BlockMinutes": 5.0}, false, actions.ErrInvalidParams,
			"invalid params for HelpdeskClient.IsBlockedForLiveChat: (params): additionalProperties 'BlockMinutes' not allowed"},
		{"sanctions fail (user)", authenticated, nil, false, backend, "blocking the chat user of c1: backend down"},
		{"sanctions fail (conversation)", anonymous, nil, false, backend, "blocking the chat user of c1: backend down"},
		{"blocking service refuses", anonymous, map[string]any{"BlockReason": strings.Repeat("x", 1500)}, true, blocking.ErrInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.sanc.err = backend
			f.sanc.activity = &contextstore.ChatActivityData{UserID: "u-42", LiveChatBlockedReason: "must not be copied"}
			if tc.pipeline {
				f.usePipeline(t, "This chat has ended.")
			}
			c := tc.conv()
			c.Helpdesk = contextstore.HelpdeskClient{AgentConnected: true, InQueue: true, AgentEmail: "ann@acme.test"}
			call, _, err := f.invoke(t, helpdesk.IsBlockedForLiveChat, c, tc.params)
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.wantIs)
			}
			if tc.wantMsg != "" && err.Error() != tc.wantMsg {
				t.Errorf("err = %q, want %q", err, tc.wantMsg)
			}
			if tc.wantMsg == "" && !strings.HasPrefix(err.Error(), "blocking the chat user of c1: ") {
				t.Errorf("err = %q, want it to name the conversation", err)
			}
			// A flow may go on after a failed action (on_error) and its
			// context is then saved: a failed block must leave no trace.
			if c.Info.Blocked || c.Info.LiveChatBlockedUntil != nil || !c.Helpdesk.AgentConnected || !c.Helpdesk.InQueue ||
				len(call.Replies()) != 0 || call.Silenced() || len(c.Transcript) != 0 {
				t.Errorf("a failed block changed the conversation: Blocked=%v LiveChatBlockedUntil=%v Helpdesk=%+v replies=%q transcript=%+v",
					c.Info.Blocked, c.Info.LiveChatBlockedUntil, c.Helpdesk, call.Replies(), c.Transcript)
			}
			if *call.Activity != (contextstore.ChatActivityData{}) {
				t.Errorf("call.Activity = %+v after a failed block, want it untouched", *call.Activity)
			}
			if errors.Is(err, actions.ErrInvalidParams) && len(f.sanc.reqs) != 0 {
				t.Errorf("invalid params reached Sanctions")
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
		blocking   bool // the gate asks the real blocking service (clock at now)
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
		{name: "active context block", until: &future, blocking: true, want: false, wantBlock: true, gateCalls: 1},
		{name: "block ending now has expired", until: ptr(now), blocking: true, want: true, wantQueue: []string{"default"}, gateCalls: 1},
		{name: "expired context block", until: &past, blocking: true, want: true, wantQueue: []string{"default"}, gateCalls: 1},
		{name: "the gate decides, not the context", until: &future, want: true, wantQueue: []string{"default"}, gateCalls: 1},
		{name: "gate says blocked", gate: fakeGate{blocked: true}, want: false, wantBlock: true, gateCalls: 1},
		{name: "blocked beats closed", gate: fakeGate{blocked: true}, hours: fakeHours{open: false}, want: false, wantBlock: true, gateCalls: 1},
		{name: "closed", hours: fakeHours{open: false}, want: false, wantClosed: true, gateCalls: 1},
		{name: "gate error", gate: fakeGate{err: gateErr}, wantErr: "checking blocks: ban table unavailable", gateCalls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(d *helpdesk.Deps) { d.Hours = tc.hours })
			*f.gate = tc.gate
			if tc.blocking {
				svc, _ := newBlocking(t)
				f.gate.next = blockingGate(svc)
			}
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
			if f.gate.seen != c {
				t.Errorf("the gate was not asked about the turn's conversation (with its context)")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// A visitor barred while already waiting leaves the queue.
func TestConnectBlockedLeavesQueue(t *testing.T) {
	f := newFixture(t)
	f.gate.blocked = true
	c := anonymous()
	c.Helpdesk.InQueue, c.Helpdesk.Queue = true, "support"
	if _, res, err := f.invoke(t, helpdesk.ConnectToHelpdeskAgent, c, nil); err != nil || res.Value != false {
		t.Fatalf("result %v, err %v", res.Value, err)
	}
	if c.Helpdesk.InQueue || strings.Join(f.queue.removed, ",") != "support/c1" || len(f.queue.entries) != 0 {
		t.Errorf("InQueue=%v removed=%q enqueued=%d; want out of support", c.Helpdesk.InQueue, f.queue.removed, len(f.queue.entries))
	}
}

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

func (h *switchHours) IsOpen(string, time.Time) bool { return !h.closed }

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
	t.Run("takes only a queue", func(t *testing.T) {
		reg := actions.NewRegistry()
		helpdesk.Register(reg, helpdesk.Deps{})
		_, err := reg.Invoke(t.Context(), &actions.Call{Action: helpdesk.IsOutsideWorkingHours, Conversation: anonymous(), Now: now, Params: map[string]any{"X": 1.0}}, false)
		if !errors.Is(err, actions.ErrInvalidParams) {
			t.Errorf("err = %v, want ErrInvalidParams", err)
		}
	})
	t.Run("asks about the queue named", func(t *testing.T) {
		for params, want := range map[string]string{`{}`: "default", `{"Queue": "urgent"}`: "urgent"} {
			var asked string
			reg := actions.NewRegistry()
			helpdesk.Register(reg, helpdesk.Deps{Hours: fakeHours{open: true, asked: &asked}})
			var p map[string]any
			if err := json.Unmarshal([]byte(params), &p); err != nil {
				t.Fatal(err)
			}
			if _, err := reg.Invoke(t.Context(), &actions.Call{Action: helpdesk.IsOutsideWorkingHours, Conversation: anonymous(), Now: now, Params: p}, false); err != nil {
				t.Fatal(err)
			}
			if asked != want {
				t.Errorf("params %s: the hours of %q were asked, want %q", params, asked, want)
			}
		}
	})
}

// TestConnectAsksTheTargetQueuesHours: ConnectToHelpdeskAgent judges the
// working hours of the queue it would place the visitor in.
func TestConnectAsksTheTargetQueuesHours(t *testing.T) {
	var asked string
	f := newFixture(t, func(d *helpdesk.Deps) { d.Hours = fakeHours{open: false, asked: &asked} })
	c := anonymous()
	if _, res, err := f.invoke(t, helpdesk.ConnectToHelpdeskAgent, c, map[string]any{"Queue": "urgent"}); err != nil || res.Value != false || !c.Helpdesk.IsOutsideWorkingHours {
		t.Fatalf("closed urgent queue: result %v, err %v, state %+v", res.Value, err, c.Helpdesk)
	}
	if asked != "urgent" {
		t.Errorf("the hours of %q were asked, want urgent", asked)
	}
}
