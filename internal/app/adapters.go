package app

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/chatflow/chatflow/actions/helpdesk"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
)

// blacklist adapts the blocking service to helpdesk.Blacklist.
type blacklist struct{ s *blocking.Service }

var _ helpdesk.Blacklist = blacklist{}

func (b blacklist) BlockUser(ctx context.Context, u helpdesk.UserBlock) (*contextstore.ChatActivityData, error) {
	_, act, err := b.s.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{
		UserID: u.UserID, ConversationID: u.ConversationID, AgentEmail: u.AgentEmail,
		Minutes: int(u.Until.Sub(u.At) / time.Minute), Reason: u.Reason, ReasonCategory: u.ReasonCategory, Notes: u.Notes,
		SaveToChatActivityData: u.SaveToChatActivityData,
	})
	return act, err
}

func (b blacklist) RecordConversationBlock(ctx context.Context, c helpdesk.ConversationBlock) error {
	_, err := b.s.RecordConversationBlock(ctx, blocking.ConversationBlock{
		ConversationID: c.ConversationID, AgentEmail: c.AgentEmail, Until: c.Until,
		Reason: c.Reason, ReasonCategory: c.ReasonCategory, Notes: c.Notes,
	})
	return err
}

// gate adapts the blocking service to helpdesk.Gate: the user blacklist
// and IP / range bans. Conversation block records are not consulted: for
// anonymous users the conversation context is the source of truth, so a
// flow that lifts the block there really unblocks.
type gate struct{ s *blocking.Service }

var _ helpdesk.Gate = gate{}

func (g gate) IsBlocked(ctx context.Context, c *contextstore.Conversation, _ time.Time) (bool, error) {
	sub := blocking.Subject{Channel: "live_chat"}
	if c.User.IsAuthenticated {
		sub.UserID = c.User.UserID
	}
	if ip, err := netip.ParseAddr(c.Info.VisitorIP); err == nil {
		sub.IP = ip
	}
	d, err := g.s.Check(ctx, sub)
	if err != nil {
		return false, err
	}
	return d.Blocked, nil
}

// LiveChatBlocked reports whether c's visitor is blocked from live chat
// now: the conversation's own block (ConversationInfo.LiveChatBlockedUntil)
// or, through the blocking service, the user's blacklist entry or an IP /
// range ban. HelpdeskClient.IsBlockedForLiveChat only records the answer of
// the last ConnectToHelpdeskAgent or block; this is the current one, so a
// block lifted by an admin or ended by its period shows as lifted.
func (a *App) LiveChatBlocked(ctx context.Context, c *contextstore.Conversation) (bool, error) {
	if contextstore.IsActiveAt(c.Info.LiveChatBlockedUntil, a.Clock()) {
		return true, nil
	}
	return gate{a.Blocking}.IsBlocked(ctx, c, a.Clock())
}

// liftHook ends the history record of an anonymous block when a flow
// lifted the block itself (LiveChatBlockedUntil set to null or GetDate()).
type liftHook struct{ s *blocking.Service }

func (liftHook) BeforeFlows(context.Context, *flows.Turn) (bool, error) { return false, nil }

func (h liftHook) AfterFlows(ctx context.Context, t *flows.Turn) error {
	was := contextstore.IsActiveAt(t.InfoAtStart.LiveChatBlockedUntil, t.Now)
	is := contextstore.IsActiveAt(t.Conversation.Info.LiveChatBlockedUntil, t.Now)
	if !was || is {
		return nil
	}
	if _, err := h.s.RecordConversationUnblock(ctx, t.Conversation.ID, "flow", "lifted by the conversation's flow"); err != nil {
		return fmt.Errorf("recording the flow's unblock of %s: %w", t.Conversation.ID, err)
	}
	return nil
}
