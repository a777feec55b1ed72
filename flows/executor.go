package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows/expression"
)

// EventType is the kind of inbound event a turn handles.
type EventType string

// The inbound events.
const (
	// EventStart begins a conversation and runs the start flow, if any.
	EventStart EventType = "start"
	// EventMessage is a message from the user.
	EventMessage EventType = "message"
	// EventAgentDisconnected runs the agent_disconnected flow with the
	// agent's feedback.
	EventAgentDisconnected EventType = "agent_disconnected"
	// EventEnd ends the conversation: its flow pins are released and no
	// further events are accepted.
	EventEnd EventType = "end"
	// EventAgentConnected connects the agent named by Text to a waiting
	// conversation (the queue's take); the ConnectGate hooks may refuse it
	// (ErrNotWaiting), e.g. for a visitor blocked while waiting.
	EventAgentConnected EventType = "agent_connected"
	// EventAgentMessage is a message (Text) from the connected agent to
	// the user.
	EventAgentMessage EventType = "agent_message"
)

// Event is one inbound event for one conversation.
type Event struct {
	Type           EventType
	ConversationID string
	// Key is the idempotency key: an event whose key was already
	// processed is answered from the saved record, not executed again.
	Key  string
	Text string
	// User, Channel and VisitorIP describe the user when a conversation is
	// created (start, or the first message). User must only say
	// IsAuthenticated when the channel verified the identity. VisitorIP is
	// the address in clear, in memory only: the executor stores it only
	// through a VisitorIPSealer hook, sealed, and drops it without one.
	User      *contextstore.ChatUser
	Channel   string
	VisitorIP string
	// Language is the visitor's language (a BCP 47 tag such as "de") when
	// a conversation is created: ConversationInfo.Language, which picks the
	// text of a say or ask step written per language.
	Language string
	// Feedback is the agent's feedback of an agent_disconnected event.
	Feedback *contextstore.AgentFeedback
	// MustExist refuses to create the conversation: a message to an
	// unknown id fails with ErrNoConversation (the HTTP channel, whose
	// conversations start with POST /v1/conversations), in the turn's own
	// read, with no read before it.
	MustExist bool
}

// TurnResult is the outcome of one turn.
type TurnResult struct {
	Replies []string
	// Duplicate is set when the event's key was already processed; Replies
	// are then the replies of the first execution.
	Duplicate bool
	// Waiting is set when a flow waits for the user's input.
	Waiting bool
	// Conversation is the context as saved by this turn. Do not modify it.
	Conversation *contextstore.Conversation
}

// Sentinel errors of the executor.
var (
	// ErrConversationEnded is returned for events to an ended conversation.
	ErrConversationEnded = errors.New("conversation ended")
	// ErrNoConversation is returned for an agent event to an unknown conversation.
	ErrNoConversation = errors.New("no such conversation")
	// ErrStepBudget is returned when a turn runs more steps than allowed.
	ErrStepBudget = errors.New("step budget exceeded")
	// ErrPinnedVersionGone is returned when a conversation's pinned flow
	// version is no longer loaded.
	ErrPinnedVersionGone = errors.New("pinned flow version not loaded")
	// ErrTooManyConflicts is returned when a turn lost the compare-and-swap
	// race MaxRetries times in a row.
	ErrTooManyConflicts = errors.New("too many concurrent updates")
	// ErrNotWaiting is returned for agent_connected to a conversation that
	// is not waiting for an agent (or whose visitor may not be connected).
	ErrNotWaiting = errors.New("conversation is not waiting for an agent")
	// ErrNoAgent is returned for agent_message to a conversation without
	// a connected agent.
	ErrNoAgent = errors.New("no agent connected")
	// ErrUnchanged may be returned by an UpdateFunc to leave the
	// conversation as it is: Update then saves nothing and returns the
	// stored context without error.
	ErrUnchanged = errors.New("unchanged")
)

// StepError is a run-time error of one step, with its location.
type StepError struct {
	FlowID  string
	Version int
	StepID  string
	Pos     Pos
	Err     error
}

// Error says which flow and step failed, and why.
func (e *StepError) Error() string {
	return fmt.Sprintf("flow %s v%d step %s (%s): %v", e.FlowID, e.Version, e.StepID, e.Pos, e.Err)
}

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// Store is what the executor needs of a contextstore backend.
type Store interface {
	contextstore.ConversationStore
	contextstore.ActivityStore
}

// Hook is an executor hook: a value implementing one or more of
// BeforeFlowsHook, AfterFlowsHook, ConnectGate, ActionObserver and
// StepObserver, each
// detected by interface. NewExecutor refuses a hook that implements none.
type Hook any

// BeforeFlowsHook lets a service take over an event before any flow runs.
// Hooks run in order; the first that returns handled=true ends the turn
// (the context is still saved). They see every visitor message
// (EventMessage), also while an agent is connected, and may change
// t.Event.Text (what the flows see); of the agent events they see only
// agent_disconnected.
type BeforeFlowsHook interface {
	BeforeFlows(ctx context.Context, t *Turn) (handled bool, err error)
}

// AfterFlowsHook is implemented by hooks that react to what the flows of a
// turn did, before the context is saved (e.g. recording that a flow lifted
// a block). An error fails the turn; nothing is saved.
type AfterFlowsHook interface {
	AfterFlows(ctx context.Context, t *Turn) error
}

// VisitorIPSealer is implemented by the hook that keeps the visitor's IP
// address out of the store in clear (internal/app installs one backed by
// privacy.Sealer). SealVisitorIP returns the sealed address and its keyed
// hash, or nil and "" for a value that is not an address. The executor
// calls it when it creates a conversation (Event.VisitorIP) and when it
// loads a context written before addresses were sealed
// (ConversationInfo.LegacyVisitorIP, then cleared, so the next save drops
// the clear address). The first hook implementing it is used; without one
// no visitor address is stored at all.
type VisitorIPSealer interface {
	SealVisitorIP(ip string) (sealed []byte, hash string, err error)
}

// ConnectGate is implemented by hooks that may refuse to connect an agent
// to a waiting conversation (agent_connected), e.g. because its visitor
// was blocked while waiting. A refused connection fails with ErrNotWaiting
// and changes nothing.
type ConnectGate interface {
	AllowConnect(ctx context.Context, t *Turn) (bool, error)
}

// ActionObserver is implemented by hooks that want to know about every
// action call, e.g. to record its latency.
type ActionObserver interface {
	ActionDone(ctx context.Context, action string, took time.Duration, err error)
}

// Turn is the state of a turn, given to hooks.
type Turn struct {
	Event        Event
	Conversation *contextstore.Conversation
	// InfoAtStart is ConversationInfo as loaded, before this turn.
	InfoAtStart contextstore.ConversationInfo
	Now         time.Time
	replies     []string
	// silenced is set when an action silenced the bot for the rest of the turn.
	silenced bool
	// cause identifies this turn's inbound event for the actions it calls
	// (conversation id / idempotency key, or the turn's own id).
	cause string

	// Held here, not allocated apart: one allocation per turn for all.
	env      expression.Env
	activity contextstore.ChatActivityData
	result   TurnResult
}

// Reply queues a message to the user.
func (t *Turn) Reply(text string) { t.replies = append(t.replies, text) }

// Silence skips the say and ask steps that follow in this turn (a blocked
// user gets no survey), unless the flow sets prompts_after_block.
func (t *Turn) Silence() { t.silenced = true }

// Cause identifies the turn's inbound event (conversation id and
// idempotency key, or the turn's own id): the same on every retry of the
// turn, so what a hook records under it is recorded once. Empty in an
// Update.
func (t *Turn) Cause() string { return t.cause }

// Note appends a staff-only line to the transcript (contextstore.FromStaff):
// no visitor view shows it.
func (t *Turn) Note(text string) {
	t.Conversation.Transcript = append(t.Conversation.Transcript, contextstore.Message{At: t.Now, From: contextstore.FromStaff, Text: text})
}

// Options configure an Executor. Store and Registry are required.
type Options struct {
	Store    Store
	Registry *actions.Registry
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
	// Clock defaults to time.Now; tests inject a fake clock.
	Clock func() time.Time
	// StepBudget is the most steps one turn may run (default 100).
	StepBudget int
	// MaxRetries is how often a turn is retried after a version conflict
	// (default 8).
	MaxRetries int
	// TranscriptLimit is how many messages a context keeps (default 200).
	TranscriptLimit int
	// IdempotencyWindow is how long a context remembers a processed
	// event's key, so that a retry within it is answered from the record
	// instead of running again (default DefaultIdempotencyWindow, 24
	// hours), however many messages come in between.
	IdempotencyWindow time.Duration
	// Hooks are called in order; see Hook.
	Hooks []Hook
}

// DefaultIdempotencyWindow is the default Options.IdempotencyWindow.
const DefaultIdempotencyWindow = 24 * time.Hour

// Executor runs turns. It is safe for concurrent use.
type Executor struct {
	opts    Options
	log     *zap.Logger
	flows   atomic.Pointer[Set]
	runners sync.Pool
	seed    maphash.Seed
	stripes [64]sync.Mutex

	before    []BeforeFlowsHook
	sealer    VisitorIPSealer
	after     []AfterFlowsHook
	gates     []ConnectGate
	observers []ActionObserver
}

// NewExecutor returns an executor of the flows in set.
func NewExecutor(set *Set, opts Options) (*Executor, error) {
	if opts.Store == nil || opts.Registry == nil {
		return nil, errors.New("flows: executor needs a store and a registry")
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.StepBudget <= 0 {
		opts.StepBudget = 100
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 8
	}
	if opts.TranscriptLimit <= 0 {
		opts.TranscriptLimit = 200
	}
	if opts.IdempotencyWindow <= 0 {
		opts.IdempotencyWindow = DefaultIdempotencyWindow
	}
	e := &Executor{opts: opts, log: opts.Logger.Named("executor"), seed: maphash.MakeSeed()}
	for i, h := range opts.Hooks {
		switch h.(type) {
		case BeforeFlowsHook, AfterFlowsHook, ConnectGate, ActionObserver, StepObserver, VisitorIPSealer:
			if sh, ok := h.(VisitorIPSealer); ok && e.sealer == nil {
				e.sealer = sh
			}
			if bh, ok := h.(BeforeFlowsHook); ok {
				e.before = append(e.before, bh)
			}
			if ah, ok := h.(AfterFlowsHook); ok {
				e.after = append(e.after, ah)
			}
			if g, ok := h.(ConnectGate); ok {
				e.gates = append(e.gates, g)
			}
			if o, ok := h.(ActionObserver); ok {
				e.observers = append(e.observers, o)
			}
		default:
			return nil, fmt.Errorf("flows: hook %d (%T) implements none of BeforeFlowsHook, AfterFlowsHook, ConnectGate, ActionObserver, StepObserver, VisitorIPSealer", i, h)
		}
	}
	e.runners.New = func() any { return &expression.Runner{} }
	e.flows.Store(set)
	return e, nil
}

// Flows returns the loaded flows.
func (e *Executor) Flows() *Set { return e.flows.Load() }

// Reload replaces the loaded flows with next while keeping older versions
// that running conversations are pinned to.
func (e *Executor) Reload(next *Set) Problems {
	merged, probs := e.flows.Load().Merge(next)
	if probs.HasErrors() {
		return probs
	}
	e.flows.Store(merged)
	return probs
}

// Handle runs one turn for ev and saves the conversation context.
func (e *Executor) Handle(ctx context.Context, ev Event) (*TurnResult, error) {
	if ev.ConversationID == "" {
		return nil, errors.New("event has no conversation id")
	}
	mu := e.stripe(ev.ConversationID)
	mu.Lock()
	defer mu.Unlock()
	cause := ev.Key
	if cause == "" {
		// No client key: the turn's own id, the same on every retry of it.
		cause = "turn:" + rand.Text()
	}
	for attempt := 0; ; attempt++ {
		res, err := e.turn(ctx, ev, cause)
		if !errors.Is(err, contextstore.ErrVersionConflict) {
			return res, err
		}
		if attempt >= e.opts.MaxRetries {
			return nil, fmt.Errorf("conversation %s: %w", ev.ConversationID, ErrTooManyConflicts)
		}
		if ce := e.log.Check(zap.DebugLevel, "version conflict, retrying turn"); ce != nil {
			ce.Write(zap.String("conversation", ev.ConversationID), zap.Int("attempt", attempt+1))
		}
	}
}

func (e *Executor) stripe(id string) *sync.Mutex {
	return &e.stripes[maphash.String(e.seed, id)%uint64(len(e.stripes))]
}

// ForgetVisitorIP removes the sealed visitor address (and its hash) of
// conversation id when the conversation was last saved before cut: the
// purge after the retention period. It is the one change an ended
// conversation accepts, under the same serialization and compare-and-swap
// as a turn; UpdatedAt is kept. It reports whether it removed an address;
// a missing conversation is not an error.
func (e *Executor) ForgetVisitorIP(ctx context.Context, id string, cut time.Time) (bool, error) {
	mu := e.stripe(id)
	mu.Lock()
	defer mu.Unlock()
	for attempt := 0; ; attempt++ {
		c, err := e.opts.Store.GetConversation(ctx, id)
		if errors.Is(err, contextstore.ErrNotFound) {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("loading conversation %s: %w", id, err)
		}
		if !c.Info.HasVisitorIP() || !c.UpdatedAt.Before(cut) {
			return false, nil
		}
		c.Info.VisitorIPCipher, c.Info.VisitorIPHash, c.Info.LegacyVisitorIP = nil, "", ""
		err = e.opts.Store.PutConversation(ctx, c)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, contextstore.ErrVersionConflict) {
			return false, fmt.Errorf("saving conversation %s: %w", id, err)
		}
		if attempt >= e.opts.MaxRetries {
			return false, fmt.Errorf("conversation %s: %w", id, ErrTooManyConflicts)
		}
	}
}

// UpdateFunc changes a conversation outside of an inbound event (a
// sanction's effects, a lift, an expiry): it may change t.Conversation,
// Reply, Silence and Note like a turn's hooks. It is called again on a
// fresh copy after a version conflict, so it must derive everything from
// what it is given. Return ErrUnchanged to save nothing.
type UpdateFunc func(ctx context.Context, t *Turn) error

// Update applies fn to the stored conversation id and saves it, under the
// same per-conversation serialization and compare-and-swap as a turn
// (retried on conflict): it is how anything but an inbound event changes a
// conversation, so the executor stays its only writer. Replies fn queues
// are recorded in the transcript as the bot's. An ended conversation gives
// ErrConversationEnded, a missing one ErrNoConversation.
func (e *Executor) Update(ctx context.Context, id string, fn UpdateFunc) (*TurnResult, error) {
	if id == "" {
		return nil, errors.New("update has no conversation id")
	}
	mu := e.stripe(id)
	mu.Lock()
	defer mu.Unlock()
	for attempt := 0; ; attempt++ {
		res, err := e.update(ctx, id, fn)
		if !errors.Is(err, contextstore.ErrVersionConflict) {
			return res, err
		}
		if attempt >= e.opts.MaxRetries {
			return nil, fmt.Errorf("conversation %s: %w", id, ErrTooManyConflicts)
		}
	}
}

func (e *Executor) update(ctx context.Context, id string, fn UpdateFunc) (*TurnResult, error) {
	st := e.opts.Store
	now := e.opts.Clock().UTC()
	conv, err := st.GetConversation(ctx, id)
	switch {
	case errors.Is(err, contextstore.ErrNotFound):
		return nil, fmt.Errorf("%w %q", ErrNoConversation, id)
	case err != nil:
		return nil, fmt.Errorf("loading conversation %s: %w", id, err)
	}
	if conv.Ended {
		return nil, fmt.Errorf("conversation %s: %w", id, ErrConversationEnded)
	}
	if err := e.sealLegacyIP(conv); err != nil {
		return nil, err
	}
	t := &Turn{Conversation: conv, Now: now, InfoAtStart: conv.Info}
	if err := fn(ctx, t); errors.Is(err, ErrUnchanged) {
		return &TurnResult{Waiting: conv.Cursor != nil, Conversation: conv}, nil
	} else if err != nil {
		return nil, err
	}
	for _, r := range t.replies {
		e.record(conv, now, contextstore.FromBot, r)
	}
	conv.UpdatedAt = now
	if err := st.PutConversation(ctx, conv); err != nil {
		return nil, fmt.Errorf("saving conversation %s: %w", conv.ID, err)
	}
	return &TurnResult{Replies: t.replies, Waiting: conv.Cursor != nil, Conversation: conv}, nil
}

func (e *Executor) turn(ctx context.Context, ev Event, cause string) (*TurnResult, error) {
	st := e.opts.Store
	now := e.opts.Clock().UTC()
	conv, err := st.GetConversation(ctx, ev.ConversationID)
	switch {
	case errors.Is(err, contextstore.ErrNotFound):
		if ev.MustExist || ev.Type != EventStart && ev.Type != EventMessage {
			return nil, fmt.Errorf("%w %q", ErrNoConversation, ev.ConversationID)
		}
		conv = newConversation(ev, now)
		if err := e.sealVisitorIP(&conv.Info, ev.VisitorIP); err != nil {
			return nil, fmt.Errorf("conversation %s: %w", conv.ID, err)
		}
	case err != nil:
		return nil, fmt.Errorf("loading conversation %s: %w", ev.ConversationID, err)
	default:
		if err := e.sealLegacyIP(conv); err != nil {
			return nil, err
		}
	}
	if conv.Ended {
		return nil, fmt.Errorf("conversation %s: %w", conv.ID, ErrConversationEnded)
	}
	if ev.Key != "" {
		cut := now.Add(-e.opts.IdempotencyWindow)
		for i := range conv.Processed {
			if p := &conv.Processed[i]; p.Key == ev.Key && (p.At.IsZero() || !p.At.Before(cut)) {
				return &TurnResult{Replies: conv.Processed[i].Replies, Duplicate: true, Waiting: conv.Cursor != nil, Conversation: conv}, nil
			}
		}
	}
	t := &Turn{Event: ev, Conversation: conv, Now: now, InfoAtStart: conv.Info, cause: conv.ID + "/" + cause}
	activity := &t.activity
	if conv.User.IsAuthenticated && conv.User.UserID != "" {
		a, err := st.GetActivity(ctx, conv.User.UserID)
		switch {
		case err == nil:
			activity = a
		case errors.Is(err, contextstore.ErrNotFound):
			activity.UserID = conv.User.UserID
		default:
			return nil, fmt.Errorf("loading activity of user %s: %w", conv.User.UserID, err)
		}
	}
	if ev.Type == EventMessage {
		e.record(conv, now, contextstore.FromUser, ev.Text)
	}
	// A visitor message meets the before-flows hooks (moderation) even
	// while an agent is connected: what the agent sees is moderated too.
	var handled bool
	if ev.Type == EventMessage {
		if handled, err = e.runHooks(ctx, t); err != nil {
			return nil, err
		}
	}
	if !handled {
		if handled, err = e.agentEvent(ctx, t); err != nil {
			return nil, err
		}
	}
	if !handled && ev.Type != EventMessage {
		if handled, err = e.runHooks(ctx, t); err != nil {
			return nil, err
		}
	}
	if !handled {
		if err := e.run(ctx, t, activity); err != nil {
			return nil, err
		}
	}
	for _, h := range e.after {
		if err := h.AfterFlows(ctx, t); err != nil {
			return nil, err
		}
	}
	for _, r := range t.replies {
		e.record(conv, now, contextstore.FromBot, r)
	}
	conv.Processed = e.remember(conv.Processed, ev.Key, t.replies, now)
	conv.UpdatedAt = now
	if err := st.PutConversation(ctx, conv); err != nil {
		return nil, fmt.Errorf("saving conversation %s: %w", conv.ID, err)
	}
	t.result = TurnResult{Replies: t.replies, Waiting: conv.Cursor != nil, Conversation: conv}
	return &t.result, nil
}

// remember adds the processed key (if any) to the records and forgets
// those that fell out of the idempotency window.
func (e *Executor) remember(list []contextstore.ProcessedEvent, key string, replies []string, now time.Time) []contextstore.ProcessedEvent {
	if key != "" {
		list = append(list, contextstore.ProcessedEvent{Key: key, Replies: replies, At: now})
	}
	cut := now.Add(-e.opts.IdempotencyWindow)
	keep := 0
	for i, p := range list {
		if !p.At.IsZero() && p.At.Before(cut) {
			continue
		}
		list[keep] = list[i]
		keep++
	}
	clear(list[keep:])
	return list[:keep]
}

// agentEvent applies the helpdesk's agent events and keeps the bot quiet
// while an agent is connected (the user's messages reach the agent through
// the transcript). It reports whether the event needs no flow.
func (e *Executor) agentEvent(ctx context.Context, t *Turn) (bool, error) {
	c := t.Conversation
	switch t.Event.Type {
	case EventAgentConnected:
		if !c.Helpdesk.InQueue {
			return false, ErrNotWaiting
		}
		for _, g := range e.gates {
			ok, err := g.AllowConnect(ctx, t)
			if err != nil {
				return false, fmt.Errorf("checking whether an agent may connect: %w", err)
			}
			if !ok {
				return false, ErrNotWaiting
			}
		}
		c.Helpdesk.InQueue, c.Helpdesk.AgentConnected, c.Helpdesk.AgentEmail = false, true, t.Event.Text
		c.Transcript = append(c.Transcript, contextstore.Message{At: t.Now, From: contextstore.FromSystem, Text: "agent joined"})
		return true, nil
	case EventAgentMessage:
		if !c.Helpdesk.AgentConnected {
			return false, fmt.Errorf("conversation %s: %w", c.ID, ErrNoAgent)
		}
		c.Transcript = append(c.Transcript, contextstore.Message{At: t.Now, From: contextstore.FromAgent, Text: t.Event.Text})
		return true, nil
	case EventMessage:
		return c.Helpdesk.AgentConnected, nil
	case EventAgentDisconnected:
		if t.Event.Feedback != nil && t.Event.Feedback.AgentEmail == "" {
			t.Event.Feedback.AgentEmail = c.Helpdesk.AgentEmail
		}
		// The agent is gone; [[AgentFeedback]].AgentEmail keeps who it was.
		c.Helpdesk.AgentEmail = ""
		c.Transcript = append(c.Transcript, contextstore.Message{At: t.Now, From: contextstore.FromSystem, Text: "agent left"})
	}
	return false, nil
}

func (e *Executor) runHooks(ctx context.Context, t *Turn) (bool, error) {
	for _, h := range e.before {
		handled, err := h.BeforeFlows(ctx, t)
		if err != nil || handled {
			return handled, err
		}
	}
	return false, nil
}

// sealVisitorIP sets the sealed visitor address of info from ip (clear,
// possibly empty) through the VisitorIPSealer hook; without one, or for an
// empty ip, nothing is stored.
func (e *Executor) sealVisitorIP(info *contextstore.ConversationInfo, ip string) error {
	if ip == "" || e.sealer == nil {
		return nil
	}
	sealed, hash, err := e.sealer.SealVisitorIP(ip)
	if err != nil {
		return fmt.Errorf("sealing the visitor ip: %w", err)
	}
	info.VisitorIPCipher, info.VisitorIPHash = sealed, hash
	return nil
}

// sealLegacyIP migrates a context written before visitor addresses were
// sealed: its clear ConversationInfo.LegacyVisitorIP is sealed (unless a
// sealed address is already there) and cleared, so that the save at the end
// of this turn or update no longer holds it in clear.
func (e *Executor) sealLegacyIP(c *contextstore.Conversation) error {
	if c.Info.LegacyVisitorIP == "" {
		return nil
	}
	ip := c.Info.LegacyVisitorIP
	c.Info.LegacyVisitorIP = ""
	if len(c.Info.VisitorIPCipher) > 0 {
		return nil
	}
	if err := e.sealVisitorIP(&c.Info, ip); err != nil {
		return fmt.Errorf("conversation %s: %w", c.ID, err)
	}
	return nil
}

func newConversation(ev Event, now time.Time) *contextstore.Conversation {
	c := &contextstore.Conversation{
		ID:        ev.ConversationID,
		Vars:      map[string]any{},
		CreatedAt: now,
		UpdatedAt: now,
	}
	c.Info = contextstore.ConversationInfo{ConversationID: ev.ConversationID, Channel: ev.Channel, StartedAt: now, Language: ev.Language}
	if c.Info.Channel == "" {
		c.Info.Channel = "live_chat"
	}
	if ev.User != nil {
		c.User = *ev.User
		if !c.User.IsAuthenticated {
			c.User.UserID = ""
		}
	}
	return c
}

func (e *Executor) record(c *contextstore.Conversation, now time.Time, from, text string) {
	c.Transcript = append(c.Transcript, contextstore.Message{At: now, From: from, Text: text})
	if over := len(c.Transcript) - e.opts.TranscriptLimit; over > 0 {
		c.Transcript = append(c.Transcript[:0], c.Transcript[over:]...)
	}
}

// run decides where the event enters the flows and runs steps.
func (e *Executor) run(ctx context.Context, t *Turn, activity *contextstore.ChatActivityData) error {
	conv, ev := t.Conversation, t.Event
	if conv.Vars == nil {
		conv.Vars = map[string]any{}
	}
	r := e.runners.Get().(*expression.Runner)
	defer e.runners.Put(r)
	t.env = expression.Env{
		ConversationInfo: &conv.Info,
		ChatUser:         &conv.User,
		ChatActivityData: activity,
		AgentFeedback:    &conv.Feedback,
		HelpdeskClient:   &conv.Helpdesk,
		Vars:             conv.Vars,
		Now:              t.Now,
	}
	env := &t.env
	var (
		flow  *Flow
		start int
		err   error
	)
	switch ev.Type {
	case EventEnd:
		conv.Ended, conv.Cursor, conv.Pins = true, nil, nil
		return nil
	case EventAgentDisconnected:
		if ev.Feedback != nil {
			conv.Feedback = *ev.Feedback
		}
		conv.Helpdesk.AgentConnected = false
		conv.Cursor = nil
		flow, err = e.route(conv, TriggerAgentDisconnected, r, env)
	case EventStart:
		flow, err = e.route(conv, TriggerStart, r, env)
	case EventMessage:
		conv.Vars["LastUserMessage"] = ev.Text
		if c := conv.Cursor; c != nil {
			f, ok := e.flows.Load().Version(c.FlowID, c.Version)
			if !ok {
				return fmt.Errorf("conversation %s waits in flow %s v%d: %w", conv.ID, c.FlowID, c.Version, ErrPinnedVersionGone)
			}
			i, ok := f.Step(c.StepID)
			if !ok || f.Steps[i].Kind != StepAsk {
				return fmt.Errorf("conversation %s waits at step %q, not an ask step of flow %s v%d", conv.ID, c.StepID, f.ID, f.Version)
			}
			conv.Vars[f.Steps[i].Into] = ev.Text
			conv.Cursor = nil
			flow, start = f, i+1
		} else {
			flow, err = e.route(conv, TriggerMessage, r, env)
		}
	default:
		return fmt.Errorf("unhandled event type %q", ev.Type)
	}
	if flow == nil || err != nil {
		return err
	}
	return e.steps(ctx, t, flow, start, r, env, activity)
}

// route returns the flow that handles a trigger for this conversation: the
// first flow (in routing order) whose when condition holds, else the
// fallback; each at the conversation's pinned version (pinning the latest
// on first use). It returns nil when no flow handles the trigger.
func (e *Executor) route(conv *contextstore.Conversation, tr Trigger, r *expression.Runner, env *expression.Env) (*Flow, error) {
	set := e.flows.Load()
	for _, id := range set.ForTrigger(tr) {
		f, _ := set.Latest(id)
		if v, pinned := conv.Pins[id]; pinned {
			pf, ok := set.Version(id, v)
			if !ok {
				return nil, fmt.Errorf("conversation %s is pinned to flow %s v%d: %w", conv.ID, id, v, ErrPinnedVersionGone)
			}
			f = pf
		}
		if f.When != nil {
			ok, err := r.Run(f.When, env)
			if err != nil {
				return nil, fmt.Errorf("flow %s v%d: evaluating when: %w", f.ID, f.Version, err)
			}
			if b, _ := ok.(bool); !b {
				continue
			}
		}
		if conv.Pins == nil {
			conv.Pins = map[string]int{}
		}
		if _, pinned := conv.Pins[id]; !pinned {
			conv.Pins[id] = f.Version
			for name, v := range f.Vars {
				if _, ok := conv.Vars[name]; !ok && v != nil {
					conv.Vars[name] = contextstore.CloneValue(v)
				}
			}
		}
		return f, nil
	}
	return nil, nil
}

func (e *Executor) steps(ctx context.Context, t *Turn, f *Flow, i int, r *expression.Runner, env *expression.Env, activity *contextstore.ChatActivityData) error {
	conv := t.Conversation
	for budget := e.opts.StepBudget; i >= 0 && i < len(f.Steps); budget-- {
		if budget == 0 {
			return e.stepErr(f, f.Steps[i], fmt.Errorf("%w (%d steps in one turn)", ErrStepBudget, e.opts.StepBudget))
		}
		st := f.Steps[i]
		e.observeStep(ctx, f, i)
		next := i + 1
		switch st.Kind {
		case StepSay, StepAsk:
			if t.silenced && !f.PromptsAfterBlock {
				break
			}
			text, err := st.TextFor(conv.Info.Language).Render(r, env)
			if err != nil {
				return e.stepErr(f, st, err)
			}
			t.Reply(text)
			if st.Kind == StepAsk {
				conv.Cursor = &contextstore.Cursor{FlowID: f.ID, Version: f.Version, StepID: st.ID}
				return nil
			}
		case StepSet:
			for _, a := range st.Assign {
				v, err := a.Value.Eval(r, env)
				if err != nil {
					return e.stepErr(f, st, fmt.Errorf("evaluating value of %s: %w", a.Target, err))
				}
				if err := a.Target.Set(env, v); err != nil {
					return e.stepErr(f, st, err)
				}
			}
		case StepAction:
			res, err := e.callAction(ctx, t, f, st, r, env, activity)
			if err != nil {
				if st.OnError < 0 {
					return e.stepErr(f, st, err)
				}
				e.log.Warn("action failed, taking on_error", zap.String("conversation", conv.ID), zap.String("flow", f.ID), zap.String("step", st.ID), zap.Error(err))
				conv.Vars["InternalActionError"] = err.Error()
				next = st.OnError
				break
			}
			conv.Vars["InternalActionResult"] = res.Value
		case StepBranch:
			next = st.Else
			if next < 0 {
				next = i + 1
			}
			arm := len(st.Cases)
			for k, c := range st.Cases {
				v, err := r.Run(c.Cond, env)
				if err != nil {
					return e.stepErr(f, st, err)
				}
				if b, _ := v.(bool); b {
					next, arm = c.Goto, k
					break
				}
			}
			e.observeArm(ctx, f, i, arm)
		case StepGoto:
			next = st.Goto
		case StepEnd:
			if st.EndConversation {
				conv.Ended, conv.Pins = true, nil
			}
			return nil
		}
		i = next
	}
	return nil
}

func (e *Executor) callAction(ctx context.Context, t *Turn, f *Flow, st *Step, r *expression.Runner, env *expression.Env, activity *contextstore.ChatActivityData) (actions.Result, error) {
	call := &actions.Call{
		Action:       st.Action,
		FlowID:       f.ID,
		StepID:       st.ID,
		Cause:        t.cause + "/" + f.ID + "/" + st.ID,
		Conversation: t.Conversation,
		Activity:     activity,
		Now:          t.Now,
		Logger:       e.log.Named("action").With(zap.String("action", st.Action), zap.String("conversation", t.Conversation.ID)),
	}
	validated := st.Params.Prepared != nil
	if validated {
		call.Params = st.Params.Prepared
	} else {
		p, err := evalTree(st.Params.Tree, r, env)
		if err != nil {
			return actions.Result{}, err
		}
		call.Params = p.(map[string]any)
	}
	start := time.Now()
	res, err := e.opts.Registry.Invoke(ctx, call, validated)
	for _, rep := range call.Replies() {
		t.Reply(rep)
	}
	if call.Silenced() {
		t.silenced = true
	}
	took := time.Since(start)
	for _, o := range e.observers {
		o.ActionDone(ctx, st.Action, took, err)
	}
	if ce := e.log.Check(zap.DebugLevel, "action"); ce != nil {
		ce.Write(zap.String("action", st.Action), zap.Duration("took", took), zap.Error(err))
	}
	return res, err
}

func evalTree(v any, r *expression.Runner, env *expression.Env) (any, error) {
	switch t := v.(type) {
	case *Value:
		x, err := t.Eval(r, env)
		if err != nil {
			return nil, err
		}
		return jsonValue(x), nil
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			y, err := evalTree(x, r, env)
			if err != nil {
				return nil, fmt.Errorf("param %s: %w", k, err)
			}
			m[k] = y
		}
		return m, nil
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			y, err := evalTree(x, r, env)
			if err != nil {
				return nil, fmt.Errorf("param [%d]: %w", i, err)
			}
			s[i] = y
		}
		return s, nil
	}
	return v, nil
}

// jsonValue converts an expression result to the JSON data model the
// parameter schemas validate.
func jsonValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

func (e *Executor) stepErr(f *Flow, st *Step, err error) error {
	return &StepError{FlowID: f.ID, Version: f.Version, StepID: st.ID, Pos: st.Pos, Err: err}
}
