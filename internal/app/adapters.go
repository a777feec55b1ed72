package app

import (
	"context"
	"fmt"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/actions/helpdesk"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/sanctions"
)

// flowSanctions adapts the sanctions pipeline's first steps to
// helpdesk.Sanctions: the flow action's request is recorded by the
// blocking service (once per cause) and its effects are applied to the
// turn's own conversation in the turn; a new block is queued for the
// pipeline to apply to the other conversations it covers.
type flowSanctions struct {
	s       *blocking.Service
	effects *sanctions.Effects
}

var _ helpdesk.Sanctions = flowSanctions{}

func (f flowSanctions) Sanction(ctx context.Context, req contextstore.BlockRequest, call *actions.Call) (*contextstore.ChatActivityData, error) {
	o, err := f.s.Sanction(ctx, req)
	if o.Block == nil {
		return nil, err
	}
	// A follow-up failure (audit, ChatActivityData) does not undo the
	// block: apply it, and report the failure with it.
	if _, aerr := f.effects.Apply(ctx, sanctions.Target{Conversation: call.Conversation, Now: call.Now, Reply: call.Reply, Silence: call.Silence, Quiet: !o.Created}, o.Block); aerr != nil {
		return nil, aerr
	}
	if o.Created {
		f.effects.Later(o.Block.ID)
	}
	return o.Activity, err
}

// gate adapts the blocking service's one decision to helpdesk.Gate (for
// ConnectToHelpdeskAgent) and to flows.ConnectGate (the queue: an agent is
// never connected to a visitor blocked while waiting).
type gate struct{ s *blocking.Service }

var (
	_ helpdesk.Gate     = gate{}
	_ flows.ConnectGate = gate{}
)

func (g gate) Barred(ctx context.Context, c *contextstore.Conversation) (bool, error) {
	d, err := g.s.DecideConversation(ctx, c, blocking.ChannelLiveChat)
	return d.Blocked, err
}

func (g gate) AllowConnect(ctx context.Context, t *flows.Turn) (bool, error) {
	barred, err := g.Barred(ctx, t.Conversation)
	return !barred, err
}

// liftHook ends the history record of an anonymous block when a flow
// lifted the block itself (LiveChatBlockedUntil set to null or GetDate()).
type liftHook struct{ s *blocking.Service }

var _ flows.AfterFlowsHook = liftHook{}

func (h liftHook) AfterFlows(ctx context.Context, t *flows.Turn) error {
	was := contextstore.IsActiveAt(t.InfoAtStart.LiveChatBlockedUntil, t.Now)
	is := contextstore.IsActiveAt(t.Conversation.Info.LiveChatBlockedUntil, t.Now)
	if !was || is {
		return nil
	}
	if _, err := h.s.RecordConversationUnblock(ctx, t.Conversation.ID, "flow", "lifted by the conversation's flow"); err != nil {
		return fmt.Errorf("recording the flow's unblock of %s: %w", t.Conversation.ID, err)
	}
	t.Conversation.Helpdesk.IsBlockedForLiveChat = false
	t.Note("the conversation's flow lifted the block")
	return nil
}
