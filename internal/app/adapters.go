package app

import (
	"context"
	"fmt"

	"github.com/chatflow/chatflow/actions/helpdesk"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/sanctions"
)

var (
	_ helpdesk.Sanctions = sanctions.ForFlows{}
	_ helpdesk.Gate      = sanctions.Gate{}
)

// visitorIPHook is the executor's flows.VisitorIPSealer: conversation
// contexts keep the visitor address sealed by the blocking service's
// sealer and its keyed hash, never in clear.
type visitorIPHook struct{ s *blocking.Service }

var _ flows.VisitorIPSealer = visitorIPHook{}

func (h visitorIPHook) SealVisitorIP(ip string) ([]byte, string, error) {
	return h.s.SealVisitorIP(ip)
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
