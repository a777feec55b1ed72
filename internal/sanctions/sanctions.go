package sanctions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/queue"
)

// maxApplied is how many applied sanction ids a conversation remembers.
const maxApplied = 32

// listPage is the page size of the scan for the conversations a ban covers.
const listPage = 200

// Conversations lists stored conversations (the scan of the chats a
// sanction covers).
type Conversations interface {
	ListConversations(ctx context.Context, f contextstore.ConversationFilter) ([]*contextstore.Conversation, error)
}

// EffectsOptions configure NewEffects. Queue is required.
type EffectsOptions struct {
	Queue *queue.Service
	// BlockedText is the neutral message a visitor gets when a sanction
	// ends their chat; empty sends none. It must never say why.
	BlockedText string
	// BlockedTextFor, when set, gives the neutral message in a
	// conversation's language (ConversationInfo.Language) instead of
	// BlockedText; "" sends none.
	BlockedTextFor func(lang string) string
	// Events receives conversation.blocked; default events.Discard.
	Events events.Publisher
	// Logger defaults to zap.NewNop(); it is named "sanctions".
	Logger *zap.Logger
}

// Effects applies a sanction's effects to one conversation (Apply) and
// queues the sanctions a flow made for the pipeline to apply to the other
// conversations they cover (Later). It needs no executor, so the flow
// action can use it inside its turn; it is safe for concurrent use.
type Effects struct {
	queue  *queue.Service
	text   string
	textOf func(lang string) string
	events events.Publisher
	log    *zap.Logger
	work   chan string // block ids for Pipeline.Run
}

// NewEffects returns the effects of sanctions.
func NewEffects(o EffectsOptions) (*Effects, error) {
	if o.Queue == nil {
		return nil, errors.New("sanctions: the queue service is required")
	}
	if o.Events == nil {
		o.Events = events.Discard
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Effects{queue: o.Queue, text: o.BlockedText, textOf: o.BlockedTextFor, events: o.Events, log: o.Logger.Named("sanctions"), work: make(chan string, 1024)}, nil
}

// Later queues block id to be applied by Pipeline.Run to the conversations
// it covers besides the one whose turn made it.
func (f *Effects) Later(id string) {
	select {
	case f.work <- id:
	default:
		f.log.Warn("sanction queue full; the block holds, but other chats it covers keep running until they next act",
			zap.String("block", id))
	}
}

// Options configure New. Blocking, Effects and Conversations are
// required.
type Options struct {
	Blocking      *blocking.Service
	Effects       *Effects
	Conversations Conversations
	// Logger defaults to zap.NewNop(); the pipeline names it "sanctions".
	Logger *zap.Logger
	// Clock defaults to time.Now; tests pass a fake clock's Now.
	Clock func() time.Time
}

// Pipeline records sanctions and applies them to every conversation they
// cover. It is safe for concurrent use.
type Pipeline struct {
	blocking *blocking.Service
	effects  *Effects
	convs    Conversations
	exec     *flows.Executor
	log      *zap.Logger
	clock    func() time.Time
}

// New returns a pipeline that changes conversations through exec.
func New(exec *flows.Executor, o Options) (*Pipeline, error) {
	if exec == nil || o.Blocking == nil || o.Effects == nil || o.Conversations == nil {
		return nil, errors.New("sanctions: an executor, the blocking service, the effects and a conversation store are required")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Pipeline{blocking: o.Blocking, effects: o.Effects, convs: o.Conversations, exec: exec,
		log: o.Logger.Named("sanctions"), clock: o.Clock}, nil
}

// Target is the conversation a sanction is applied to, with the turn's
// ways to answer: a flows.Turn (Update) or an actions.Call (the flow
// action) both provide them.
type Target struct {
	Conversation *contextstore.Conversation
	Now          time.Time
	Reply        func(text string)
	Silence      func()
	// Quiet skips the conversation.blocked event: a retried or
	// duplicated turn applies its sanction again to its fresh copy of the
	// conversation, but the first run announced it.
	Quiet bool
}

// Apply applies the effects of sanction b to the target conversation,
// unless they were applied already (then it returns false): the live
// agent chat ends and the conversation leaves its queue; it is marked
// blocked (and spam when b asks); a conversation block is written into
// ConversationInfo.LiveChatBlockedUntil; the neutral message is sent and
// the bot stays silent for the rest of the turn; a staff-only transcript
// line says who blocked and for how long; conversation.blocked is
// published. It is the one function every sanction source uses.
func (p *Effects) Apply(ctx context.Context, t Target, b *contextstore.Block) (bool, error) {
	c := t.Conversation
	if slices.Contains(c.Sanctions, b.ID) {
		return false, nil
	}
	if c.Helpdesk.InQueue {
		if err := p.queue.Remove(ctx, c.Helpdesk.Queue, c.ID); err != nil {
			return false, fmt.Errorf("removing conversation %s from queue %q: %w", c.ID, c.Helpdesk.Queue, err)
		}
		c.Helpdesk.InQueue = false
	}
	ended := c.Helpdesk.AgentConnected
	if ended {
		// AgentEmail stays: the agent who held the chat may still read
		// how it ended; nobody may write to it.
		c.Helpdesk.AgentConnected = false
		c.Transcript = append(c.Transcript, contextstore.Message{At: t.Now, From: contextstore.FromSystem, Text: "agent left"})
	}
	c.Helpdesk.IsBlockedForLiveChat = true
	c.Info.Blocked = true
	if b.MarkSpam {
		c.Info.MarkedSpam = true
	}
	if b.Kind == contextstore.KindConversation && b.AppliesTo(blocking.ChannelLiveChat) {
		u := blocking.PermanentUntil()
		if b.Until != nil {
			u = b.Until.UTC()
		}
		c.Info.LiveChatBlockedUntil = &u
	}
	text := p.text
	if p.textOf != nil {
		text = p.textOf(c.Info.Language)
	}
	if text != "" && t.Reply != nil {
		t.Reply(text)
	}
	if t.Silence != nil {
		t.Silence()
	}
	c.Transcript = append(c.Transcript, contextstore.Message{At: t.Now, From: contextstore.FromStaff, Text: StaffLine(b)})
	c.Sanctions = append(c.Sanctions, b.ID)
	if over := len(c.Sanctions) - maxApplied; over > 0 {
		c.Sanctions = append(c.Sanctions[:0], c.Sanctions[over:]...)
	}
	if t.Quiet {
		return true, nil
	}
	if err := p.events.Publish(ctx, events.Event{Type: events.ConversationBlocked, At: t.Now, Actor: b.CreatedBy,
		BlockID: b.ID, Kind: string(b.Kind), ConversationID: c.ID,
		Details: map[string]string{"live_chat_ended": fmt.Sprint(ended)}}); err != nil {
		p.log.Error("domain event lost", zap.String("type", events.ConversationBlocked), zap.String("block", b.ID), zap.Error(err))
	}
	return true, nil
}

// StaffLine is the staff-only transcript line of a sanction: who blocked,
// what and for how long, and the block id (never shown to the visitor).
func StaffLine(b *contextstore.Block) string {
	length := "permanently"
	if b.Until != nil {
		d := b.Until.Sub(b.CreatedAt).Round(time.Minute)
		length = "for " + contextstore.Period{Minutes: int(d / time.Minute)}.String()
	}
	what := map[contextstore.BlockKind]string{
		contextstore.KindUser: "user", contextstore.KindConversation: "conversation",
		contextstore.KindIP: "ip", contextstore.KindRange: "ip range",
	}[b.Kind]
	return fmt.Sprintf("%s blocked by %s %s (block %s)", what, b.CreatedBy, length, b.ID)
}

// Block records a staff request (an agent's direct block, an admin's
// block or ban, automatic moderation) and applies it to every
// conversation it covers. A request whose Cause already made a block
// reuses it (and applying again changes nothing).
func (p *Pipeline) Block(ctx context.Context, req contextstore.BlockRequest) (blocking.Outcome, error) {
	o, err := p.blocking.Sanction(ctx, req)
	if o.Block == nil {
		return o, err
	}
	if aerr := p.Apply(ctx, o.Block); aerr != nil {
		err = errors.Join(err, fmt.Errorf("applying block %s: %w: %w", o.Block.ID, blocking.ErrIncomplete, aerr))
	}
	return o, err
}

// Apply applies the effects of block b to every live conversation it
// covers: the user's conversations for a user block, the conversation of
// a conversation block, and every conversation whose visitor the ban
// table now bars for an IP or range ban (the decision, not a second
// computation, says which). Ended conversations, blocks that are no longer
// active or do not cover live chat, and allow entries are skipped.
// Failures are collected so one conversation does not stop the rest.
func (p *Pipeline) Apply(ctx context.Context, b *contextstore.Block) error {
	if b.Allow || !b.ActiveAt(p.clock()) || !b.AppliesTo(blocking.ChannelLiveChat) {
		return nil
	}
	var errs []error
	apply := func(id string) {
		_, err := p.exec.Update(ctx, id, func(ctx context.Context, t *flows.Turn) error {
			if !b.ActiveAt(t.Now) {
				return flows.ErrUnchanged
			}
			if b.Kind == contextstore.KindIP || b.Kind == contextstore.KindRange || b.Kind == contextstore.KindUser {
				d, err := p.blocking.DecideConversation(ctx, t.Conversation, blocking.ChannelLiveChat)
				if err != nil {
					return err
				}
				if !d.Blocked {
					return flows.ErrUnchanged
				}
			}
			applied, err := p.effects.Apply(ctx, Target{Conversation: t.Conversation, Now: t.Now, Reply: t.Reply, Silence: t.Silence}, b)
			if err == nil && !applied {
				return flows.ErrUnchanged
			}
			return err
		})
		switch {
		case err == nil, errors.Is(err, flows.ErrConversationEnded), errors.Is(err, flows.ErrNoConversation):
		default:
			errs = append(errs, fmt.Errorf("conversation %s: %w", id, err))
		}
	}
	switch b.Kind {
	case contextstore.KindConversation:
		if b.ConversationID != "" {
			apply(b.ConversationID)
		}
	case contextstore.KindUser:
		errs = append(errs, p.scan(ctx, contextstore.ConversationFilter{UserID: b.UserID}, b, apply))
	case contextstore.KindIP, contextstore.KindRange:
		errs = append(errs, p.scan(ctx, contextstore.ConversationFilter{}, b, apply))
	}
	if err := errors.Join(errs...); err != nil {
		p.log.Warn("applying a sanction failed for some conversations", zap.String("block", b.ID), zap.Error(err))
		return err
	}
	return nil
}

// scan calls apply for every stored conversation f selects that is not
// ended and has not had b applied.
func (p *Pipeline) scan(ctx context.Context, f contextstore.ConversationFilter, b *contextstore.Block, apply func(string)) error {
	f.Limit = listPage
	for {
		page, err := p.convs.ListConversations(ctx, f)
		if err != nil {
			return fmt.Errorf("listing the conversations block %s covers: %w", b.ID, err)
		}
		for _, c := range page {
			if c.Ended || slices.Contains(c.Sanctions, b.ID) {
				continue
			}
			if b.Kind == contextstore.KindUser && !c.User.IsAuthenticated {
				continue
			}
			if (b.Kind == contextstore.KindIP || b.Kind == contextstore.KindRange) && !c.Info.HasVisitorIP() {
				continue
			}
			apply(c.ID)
		}
		if len(page) < listPage {
			return nil
		}
		f.After = page[len(page)-1].ID
	}
}

// Sync writes what the block records of a conversation block now say into
// its context (ConversationInfo.LiveChatBlockedUntil), through the
// executor, after a lift, renewal or edit; for other kinds it does nothing
// (their decision is read from the records and the ban table). A lifted
// block leaves the conversation's HelpdeskClient.IsBlockedForLiveChat
// false when nothing bars it any more.
func (p *Pipeline) Sync(ctx context.Context, b *contextstore.Block) error {
	if b.Kind != contextstore.KindConversation || b.ConversationID == "" {
		return nil
	}
	_, err := p.exec.Update(ctx, b.ConversationID, func(ctx context.Context, t *flows.Turn) error {
		want, err := p.blocking.ConversationUntil(ctx, b.ConversationID)
		if err != nil {
			return err
		}
		c := t.Conversation
		if timeEq(c.Info.LiveChatBlockedUntil, want) {
			return flows.ErrUnchanged
		}
		c.Info.LiveChatBlockedUntil = want
		if want == nil {
			c.Helpdesk.IsBlockedForLiveChat = false
			t.Note(fmt.Sprintf("block %s no longer holds", b.ID))
		}
		return nil
	})
	if errors.Is(err, flows.ErrConversationEnded) || errors.Is(err, flows.ErrNoConversation) {
		return nil
	}
	return err
}

// Changed is what a staff change of block b returned: it syncs the
// conversation context of a conversation block and, for a renewal that
// made an expired block active again, applies it.
func (p *Pipeline) Changed(ctx context.Context, b *contextstore.Block) error {
	if b == nil {
		return nil
	}
	errs := []error{p.Sync(ctx, b)}
	if b.ActiveAt(p.clock()) {
		errs = append(errs, p.Apply(ctx, b))
	}
	return errors.Join(errs...)
}

// Run applies the sanctions queued with Effects.Later until ctx is done.
func (p *Pipeline) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-p.effects.work:
			b, err := p.blocking.Get(ctx, id)
			if err != nil {
				p.log.Warn("loading a sanction to apply", zap.String("block", id), zap.Error(err))
				continue
			}
			_ = p.Apply(ctx, b.Block) // logs its failures
		}
	}
}

func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// Lift ends a block now (blocking.Service.Lift) and writes what that
// means into the context of a conversation block.
func (p *Pipeline) Lift(ctx context.Context, id, actor, notes string) (*contextstore.Block, error) {
	b, err := p.blocking.Lift(ctx, id, actor, notes)
	return b, p.followUp(b, err, p.Changed(ctx, b))
}

// Renew gives a block a new end (blocking.Service.Renew) and applies it
// again where it holds.
func (p *Pipeline) Renew(ctx context.Context, id string, per contextstore.Period, actor, notes string) (*contextstore.Block, error) {
	b, err := p.blocking.Renew(ctx, id, per, actor, notes)
	return b, p.followUp(b, err, p.Changed(ctx, b))
}

// Edit changes a block (blocking.Service.Edit) and applies the change.
func (p *Pipeline) Edit(ctx context.Context, id string, e blocking.Edit, actor string) (*contextstore.Block, error) {
	b, err := p.blocking.Edit(ctx, id, e, actor)
	return b, p.followUp(b, err, p.Changed(ctx, b))
}

// UnblockUser lifts every active block of a user (blocking.Service.UnblockUser).
// User blocks live in the records only, so no context needs writing.
func (p *Pipeline) UnblockUser(ctx context.Context, userID, actor, notes string) (int, error) {
	return p.blocking.UnblockUser(ctx, userID, actor, notes)
}

// followUp joins the error of applying a stored change to the change's own
// error, marked ErrIncomplete (the change itself was stored).
func (p *Pipeline) followUp(b *contextstore.Block, err, applyErr error) error {
	if b == nil || applyErr == nil {
		return err
	}
	return errors.Join(err, fmt.Errorf("applying block %s: %w: %w", b.ID, blocking.ErrIncomplete, applyErr))
}
