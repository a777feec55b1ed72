package blocking

import (
	"context"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// The spelled-out flow-path requests the tests were written with, built on
// Sanction: HelpdeskClient.IsBlockedForLiveChat sends a NewBlock with
// Source SourceFlow, which is what these make.

// LiveChatBlock is a flow's block of an authenticated user.
type LiveChatBlock struct {
	UserID, ConversationID, AgentEmail string
	Minutes                            int
	ReasonCategory, Reason, Notes      string
	SaveToChatActivityData             bool
}

// BlockUserForLiveChat is Sanction of a flow-made user block on live_chat.
func (s *Service) BlockUserForLiveChat(ctx context.Context, req LiveChatBlock) (*contextstore.Block, *contextstore.ChatActivityData, error) {
	o, err := s.Sanction(ctx, NewBlock{
		Kind: contextstore.KindUser, UserID: req.UserID, ConversationID: req.ConversationID,
		Channels: []string{ChannelLiveChat}, Period: Period{Minutes: req.Minutes},
		ReasonCategory: req.ReasonCategory, Reason: req.Reason, Notes: req.Notes, Actor: req.AgentEmail,
		Source: contextstore.SourceFlow, SaveToChatActivityData: req.SaveToChatActivityData,
	})
	return o.Block, o.Activity, err
}

// ConversationBlock is a flow's block of an anonymous user.
type ConversationBlock struct {
	ConversationID, AgentEmail    string
	Until                         time.Time
	ReasonCategory, Reason, Notes string
}

// RecordConversationBlock is Sanction of a flow-made conversation block on
// live_chat ending at req.Until.
func (s *Service) RecordConversationBlock(ctx context.Context, req ConversationBlock) (*contextstore.Block, error) {
	now := s.now()
	return s.Create(ctx, NewBlock{
		Kind: contextstore.KindConversation, ConversationID: req.ConversationID,
		Channels: []string{ChannelLiveChat}, Period: Period{Minutes: int(req.Until.Sub(now) / time.Minute)}, At: now,
		ReasonCategory: req.ReasonCategory, Reason: req.Reason, Notes: req.Notes, Actor: req.AgentEmail,
		Source: contextstore.SourceFlow,
	})
}
