package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/schemas"
)

// Action names.
const (
	IsBlockedForLiveChat   = "HelpdeskClient.IsBlockedForLiveChat"
	ConnectToHelpdeskAgent = "ConnectToHelpdeskAgent"
	IsOutsideWorkingHours  = "HelpdeskClient.IsOutsideWorkingHours"
)

// UserBlock asks for an authenticated user to be put on the Live Chat
// Blacklist.
type UserBlock struct {
	UserID, ConversationID, AgentEmail string
	ReasonCategory, Reason, Notes      string
	At, Until                          time.Time
	SaveToChatActivityData             bool
}

// ConversationBlock records an anonymous user's block for admins and the
// history; the block itself lives in the conversation context.
type ConversationBlock struct {
	ConversationID, AgentEmail    string
	ReasonCategory, Reason, Notes string
	At, Until                     time.Time
}

// Blacklist stores blocks.
type Blacklist interface {
	// BlockUser adds the user to the Live Chat Blacklist and, when asked,
	// writes ChatActivityData; it returns the stored ChatActivityData, or
	// nil when it was left untouched.
	BlockUser(ctx context.Context, b UserBlock) (*contextstore.ChatActivityData, error)
	// RecordConversationBlock records an anonymous block.
	RecordConversationBlock(ctx context.Context, b ConversationBlock) error
}

// Gate tells whether the user of a conversation is barred from live chat by
// the blacklist or an IP / IP-range ban. (The anonymous block in the
// conversation context is checked by the action itself.)
type Gate interface {
	IsBlocked(ctx context.Context, c *contextstore.Conversation, now time.Time) (bool, error)
}

// Queue places conversations in waiting queues.
type Queue interface {
	Enqueue(ctx context.Context, e contextstore.QueueEntry) error
	// Remove takes a conversation out of a queue (no error if absent).
	Remove(ctx context.Context, queue, conversationID string) error
}

// Hours is the working-hours calendar.
type Hours interface {
	IsOpen(t time.Time) bool
}

// Deps are the services the actions use. Blacklist, Gate and Queue are
// required to run the actions (not to register them: `chatflow validate`
// registers with zero Deps); Hours nil means always open.
type Deps struct {
	Blacklist Blacklist
	Gate      Gate
	Queue     Queue
	Hours     Hours
	// BlockedMessage, when not empty, is sent to the customer when they
	// are blocked. It must not reveal the reason; it is configuration, and
	// the action never adds the reason to it.
	BlockedMessage string
}

// errNoDeps is returned when an action is run without its services.
var errNoDeps = errors.New("helpdesk services are not configured")

// Register registers the helpdesk actions with their parameter schemas.
func Register(reg *actions.Registry, d Deps) {
	reg.Register(actions.Spec{
		Name:   IsBlockedForLiveChat,
		Doc:    "Blocks the chat user from being placed in the live-chat waiting queue for BlockIntervalMinutes. Authenticated users are added to the Live Chat Blacklist (and, with SaveToChatActivityData, to ChatActivityData); anonymous users get [[ConversationInfo]].LiveChatBlockedUntil in the conversation context. Returns true.",
		Params: schemas.MustRead("actions/" + IsBlockedForLiveChat + ".json"),
		New:    func() actions.Action { return &blockAction{d: d} },
	})
	reg.Register(actions.Spec{
		Name:   ConnectToHelpdeskAgent,
		Doc:    "Places the conversation in the waiting queue and returns true. Returns false without queueing when the user is blocked (sets [[HelpdeskClient]].IsBlockedForLiveChat) or outside working hours (sets [[HelpdeskClient]].IsOutsideWorkingHours).",
		Params: schemas.MustRead("actions/" + ConnectToHelpdeskAgent + ".json"),
		New:    func() actions.Action { return &connectAction{d: d} },
	})
	reg.Register(actions.Spec{
		Name:   IsOutsideWorkingHours,
		Doc:    "Returns true outside working hours and sets [[HelpdeskClient]].IsOutsideWorkingHours accordingly.",
		Params: nil,
		New:    func() actions.Action { return &hoursAction{d: d} },
	})
}

type blockAction struct{ d Deps }

var _ actions.Action = (*blockAction)(nil)

type blockParams struct {
	BlockIntervalMinutes   int
	BlockReason            string
	SaveToChatActivityData bool
}

func (a *blockAction) Run(ctx context.Context, call *actions.Call) (actions.Result, error) {
	if a.d.Blacklist == nil {
		return actions.Result{}, errNoDeps
	}
	var p blockParams
	if err := call.Decode(&p); err != nil {
		return actions.Result{}, err
	}
	c := call.Conversation
	until := call.Now.Add(time.Duration(p.BlockIntervalMinutes) * time.Minute)
	agent := c.Feedback.AgentEmail
	if agent == "" {
		agent = c.Helpdesk.AgentEmail
	}
	if c.User.IsAuthenticated && c.User.UserID != "" {
		act, err := a.d.Blacklist.BlockUser(ctx, UserBlock{
			UserID: c.User.UserID, ConversationID: c.ID, AgentEmail: agent,
			ReasonCategory: c.Feedback.ReasonCategory, Reason: p.BlockReason, Notes: c.Feedback.Notes,
			At: call.Now, Until: until, SaveToChatActivityData: p.SaveToChatActivityData,
		})
		if err != nil {
			return actions.Result{}, fmt.Errorf("blocking user %s: %w", c.User.UserID, err)
		}
		if act != nil && call.Activity != nil {
			*call.Activity = *act
		}
	} else {
		err := a.d.Blacklist.RecordConversationBlock(ctx, ConversationBlock{
			ConversationID: c.ID, AgentEmail: agent,
			ReasonCategory: c.Feedback.ReasonCategory, Reason: p.BlockReason, Notes: c.Feedback.Notes,
			At: call.Now, Until: until,
		})
		if err != nil {
			return actions.Result{}, fmt.Errorf("recording block of conversation %s: %w", c.ID, err)
		}
		// Set only once recorded: a flow may go on after a failed action
		// (on_error) and save the context, which must not then hold a block
		// the action reported as failed.
		c.Info.LiveChatBlockedUntil = &until
	}
	// Effects of a block: the live chat ends and the conversation is
	// marked; the customer may get a neutral message, never the reason.
	c.Info.Blocked = true
	if c.Feedback.MarkSpam {
		c.Info.MarkedSpam = true
	}
	c.Helpdesk.AgentConnected = false
	if err := a.leaveQueue(ctx, c); err != nil {
		return actions.Result{}, err
	}
	if a.d.BlockedMessage != "" {
		call.Reply(a.d.BlockedMessage)
	}
	call.Silence()
	call.Log().Info("chat user blocked for live chat",
		zap.Bool("authenticated", c.User.IsAuthenticated), zap.Time("until", until), zap.String("agent", agent))
	return actions.Result{Value: true}, nil
}

// leaveQueue takes a conversation that is waiting out of its queue, so a
// user blocked while waiting is never handed to an agent.
func leaveQueue(ctx context.Context, q Queue, c *contextstore.Conversation) error {
	if c.Helpdesk.InQueue && q != nil {
		if err := q.Remove(ctx, c.Helpdesk.Queue, c.ID); err != nil {
			return fmt.Errorf("removing conversation %s from queue %q: %w", c.ID, c.Helpdesk.Queue, err)
		}
	}
	c.Helpdesk.InQueue = false
	return nil
}

func (a *blockAction) leaveQueue(ctx context.Context, c *contextstore.Conversation) error {
	return leaveQueue(ctx, a.d.Queue, c)
}

type connectAction struct{ d Deps }

var _ actions.Action = (*connectAction)(nil)

func (a *connectAction) Run(ctx context.Context, call *actions.Call) (actions.Result, error) {
	if a.d.Gate == nil || a.d.Queue == nil {
		return actions.Result{}, errNoDeps
	}
	var p struct{ Queue string }
	if err := call.Decode(&p); err != nil {
		return actions.Result{}, err
	}
	c := call.Conversation
	c.Helpdesk.IsBlockedForLiveChat = false
	c.Helpdesk.IsOutsideWorkingHours = false
	blocked := contextstore.IsActiveAt(c.Info.LiveChatBlockedUntil, call.Now)
	if !blocked {
		var err error
		if blocked, err = a.d.Gate.IsBlocked(ctx, c, call.Now); err != nil {
			return actions.Result{}, fmt.Errorf("checking blocks: %w", err)
		}
	}
	if blocked {
		c.Helpdesk.IsBlockedForLiveChat = true
		if err := leaveQueue(ctx, a.d.Queue, c); err != nil {
			return actions.Result{}, err
		}
		call.Log().Info("blocked user not queued")
		return actions.Result{Value: false}, nil
	}
	if a.d.Hours != nil && !a.d.Hours.IsOpen(call.Now) {
		c.Helpdesk.IsOutsideWorkingHours = true
		return actions.Result{Value: false}, nil
	}
	if err := a.d.Queue.Enqueue(ctx, contextstore.QueueEntry{ConversationID: c.ID, Queue: p.Queue, EnqueuedAt: call.Now}); err != nil {
		return actions.Result{}, fmt.Errorf("queueing conversation %s: %w", c.ID, err)
	}
	c.Helpdesk.InQueue, c.Helpdesk.Queue = true, p.Queue
	return actions.Result{Value: true}, nil
}

type hoursAction struct{ d Deps }

var _ actions.Action = (*hoursAction)(nil)

func (a *hoursAction) Run(_ context.Context, call *actions.Call) (actions.Result, error) {
	outside := a.d.Hours != nil && !a.d.Hours.IsOpen(call.Now)
	call.Conversation.Helpdesk.IsOutsideWorkingHours = outside
	return actions.Result{Value: outside}, nil
}
