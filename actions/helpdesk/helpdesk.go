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

// Sanctions records the block a flow asks for and applies its effects to
// the calling turn's conversation — the same effects as every other
// sanction source: the live chat ends, the conversation leaves its queue,
// it is marked blocked (and spam when asked), the neutral message is
// sent, the bot stays silent for the rest of the turn, and a staff-only
// line goes into the transcript.
type Sanctions interface {
	// Sanction records req once per req.Cause and applies its effects to
	// call.Conversation through call. It returns the user's
	// ChatActivityData as stored when req.SaveToChatActivityData wrote
	// it, else nil.
	Sanction(ctx context.Context, req contextstore.BlockRequest, call *actions.Call) (*contextstore.ChatActivityData, error)
}

// Gate tells whether the visitor of a conversation is barred from live
// chat now: by the anonymous block in its context, the blacklist or an IP
// / IP-range ban (one decision, owned by the blocking service).
type Gate interface {
	Barred(ctx context.Context, c *contextstore.Conversation) (bool, error)
}

// Queue places conversations in waiting queues.
type Queue interface {
	Enqueue(ctx context.Context, e contextstore.QueueEntry) error
	// Remove takes a conversation out of a queue (no error if absent).
	Remove(ctx context.Context, queue, conversationID string) error
}

// Hours are the working hours of the queues: a queue's own calendar,
// else the helpdesk's.
type Hours interface {
	IsOpen(queue string, t time.Time) bool
}

// Deps are the services the actions use. Sanctions, Gate and Queue are
// required to run the actions (not to register them: `chatflow validate`
// registers with zero Deps); Hours nil means always open.
type Deps struct {
	Sanctions Sanctions
	Gate      Gate
	Queue     Queue
	Hours     Hours
}

// errNoDeps is returned when an action is run without its services.
var errNoDeps = errors.New("helpdesk services are not configured")

// Register registers the helpdesk actions with their parameter schemas.
func Register(reg *actions.Registry, d Deps) {
	reg.Register(actions.Spec{
		Name:   IsBlockedForLiveChat,
		Doc:    "Blocks the chat user from being placed in the live-chat waiting queue for BlockIntervalMinutes (or, with Permanent, until lifted). Authenticated users are added to the Live Chat Blacklist (and, with SaveToChatActivityData, to ChatActivityData); anonymous users get [[ConversationInfo]].LiveChatBlockedUntil in the conversation context. The live chat ends, the customer gets the neutral blocked message and no further prompts in this turn. Returns true.",
		Params: schemas.MustRead("actions/" + IsBlockedForLiveChat + ".json"),
		New:    func() actions.Action { return &blockAction{d: d} },
	})
	reg.Register(actions.Spec{
		Name:   ConnectToHelpdeskAgent,
		Doc:    "Places the conversation in the waiting queue and returns true. Returns false without queueing when the user is blocked (sets [[HelpdeskClient]].IsBlockedForLiveChat) or outside the working hours of that queue (its own calendar, else the helpdesk's; sets [[HelpdeskClient]].IsOutsideWorkingHours).",
		Params: schemas.MustRead("actions/" + ConnectToHelpdeskAgent + ".json"),
		New:    func() actions.Action { return &connectAction{d: d} },
	})
	reg.Register(actions.Spec{
		Name:   IsOutsideWorkingHours,
		Doc:    "Returns true outside the working hours of Queue (its own calendar, else the helpdesk's; default queue \"default\") and sets [[HelpdeskClient]].IsOutsideWorkingHours accordingly.",
		Params: schemas.MustRead("actions/" + IsOutsideWorkingHours + ".json"),
		New:    func() actions.Action { return &hoursAction{d: d} },
	})
}

type blockAction struct{ d Deps }

var _ actions.Action = (*blockAction)(nil)

type blockParams struct {
	BlockIntervalMinutes   int
	BlockReason            string
	SaveToChatActivityData bool
	Permanent              bool
}

func (a *blockAction) Run(ctx context.Context, call *actions.Call) (actions.Result, error) {
	if a.d.Sanctions == nil {
		return actions.Result{}, errNoDeps
	}
	var p blockParams
	if err := call.Decode(&p); err != nil {
		return actions.Result{}, err
	}
	c := call.Conversation
	agent := c.Feedback.AgentEmail
	if agent == "" {
		agent = c.Helpdesk.AgentEmail
	}
	period := contextstore.Period{Minutes: p.BlockIntervalMinutes}
	if p.Permanent {
		period = contextstore.Period{Permanent: true}
	}
	// One request, decided by the turn: it starts at the turn's clock,
	// and the call's cause makes a retried or duplicated turn find the
	// block its first run made.
	req := contextstore.BlockRequest{
		Kind: contextstore.KindConversation, ConversationID: c.ID,
		Channels: []string{"live_chat"}, Period: period, At: call.Now,
		ReasonCategory: c.Feedback.ReasonCategory, Reason: p.BlockReason, Notes: c.Feedback.Notes,
		Actor: agent, Source: contextstore.SourceFlow, Cause: call.Cause, MarkSpam: c.Feedback.MarkSpam,
	}
	authenticated := c.User.IsAuthenticated && c.User.UserID != ""
	if authenticated {
		req.Kind, req.UserID, req.SaveToChatActivityData = contextstore.KindUser, c.User.UserID, p.SaveToChatActivityData
	}
	act, err := a.d.Sanctions.Sanction(ctx, req, call)
	if err != nil {
		return actions.Result{}, fmt.Errorf("blocking the chat user of %s: %w", c.ID, err)
	}
	if act != nil && call.Activity != nil {
		*call.Activity = *act
	}
	call.Log().Info("chat user blocked for live chat",
		zap.Bool("authenticated", authenticated), zap.String("period", period.String()), zap.String("agent", agent))
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
	blocked, err := a.d.Gate.Barred(ctx, c)
	if err != nil {
		return actions.Result{}, fmt.Errorf("checking blocks: %w", err)
	}
	if blocked {
		c.Helpdesk.IsBlockedForLiveChat = true
		if err := leaveQueue(ctx, a.d.Queue, c); err != nil {
			return actions.Result{}, err
		}
		call.Log().Info("blocked user not queued")
		return actions.Result{Value: false}, nil
	}
	if a.d.Hours != nil && !a.d.Hours.IsOpen(p.Queue, call.Now) {
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
	var p struct{ Queue string }
	if err := call.Decode(&p); err != nil {
		return actions.Result{}, err
	}
	outside := a.d.Hours != nil && !a.d.Hours.IsOpen(p.Queue, call.Now)
	call.Conversation.Helpdesk.IsOutsideWorkingHours = outside
	return actions.Result{Value: outside}, nil
}
