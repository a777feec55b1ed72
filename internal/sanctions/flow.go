package sanctions

import (
	"context"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
)

// ForFlows is the pipeline's first steps for a flow action
// (actions/helpdesk.Sanctions): the request is recorded by the blocking
// service once per cause, its effects are applied to the turn's own
// conversation in the turn, and a new block is queued (Effects.Later) for
// Pipeline.Run to apply to the other conversations it covers.
type ForFlows struct {
	Blocking *blocking.Service
	Effects  *Effects
}

// Sanction records req and applies it to call's conversation; it returns
// the user's ChatActivityData as stored when the request wrote it. A
// follow-up failure of a stored block (audit, ChatActivityData) does not
// undo it: the effects are applied and the failure is returned with them.
func (f ForFlows) Sanction(ctx context.Context, req contextstore.BlockRequest, call *actions.Call) (*contextstore.ChatActivityData, error) {
	o, err := f.InTurn(ctx, req, Target{Conversation: call.Conversation, Now: call.Now, Reply: call.Reply, Silence: call.Silence})
	return o.Activity, err
}

// InTurn records req and applies its effects to the conversation of the
// turn t (whose Quiet it sets: a retried turn's cause announced it
// already); a new block is queued for the other conversations it covers.
// The flow action and automatic moderation both sanction this way.
func (f ForFlows) InTurn(ctx context.Context, req contextstore.BlockRequest, t Target) (blocking.Outcome, error) {
	o, err := f.Blocking.Sanction(ctx, req)
	if o.Block == nil {
		return o, err
	}
	t.Quiet = !o.Created
	if _, aerr := f.Effects.Apply(ctx, t, o.Block); aerr != nil {
		return blocking.Outcome{}, aerr
	}
	if o.Created {
		f.Effects.Later(o.Block.ID)
	}
	return o, err
}

// Gate is the blocking service's one decision as the action's Gate
// (ConnectToHelpdeskAgent) and as a flows.ConnectGate hook (the queue: an
// agent is never connected to a visitor blocked while waiting).
type Gate struct{ Blocking *blocking.Service }

var _ flows.ConnectGate = Gate{}

// Barred reports whether c's visitor is barred from live chat now.
func (g Gate) Barred(ctx context.Context, c *contextstore.Conversation) (bool, error) {
	d, err := g.Blocking.DecideConversation(ctx, c, blocking.ChannelLiveChat)
	return d.Blocked, err
}

// AllowConnect implements flows.ConnectGate.
func (g Gate) AllowConnect(ctx context.Context, t *flows.Turn) (bool, error) {
	barred, err := g.Barred(ctx, t.Conversation)
	return !barred, err
}
