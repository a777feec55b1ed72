package server

import (
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
)

// conversationsCSVHeader is the header row of GET /v1/admin/conversations.csv.
func conversationsCSVHeader() []string {
	return []string{
		"id", "channel", "started_at", "updated_at", "authenticated", "user_id", "blocked", "marked_spam",
		"live_chat_blocked_until", "block_status", "block_reason_category", "block_reason",
	}
}

// utcText is t as UTC RFC 3339, "" for the zero time.
func utcText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// conversationBlock derives a conversation's block status (active, ended
// or none) and reason. "active" is the blocking service's one decision
// (the conversation's own block, the user's blacklist entry or an IP ban
// bars its visitor from live chat now), with the reason of the deciding
// block; otherwise the latest ended block record of the conversation makes
// it "ended", as does an anonymous block that expired or a flow cleared.
func (s *Server) conversationBlock(r *http.Request, c *contextstore.Conversation) (status, category, reason string, err error) {
	d, err := s.app.Blocking.DecideConversation(r.Context(), c, blocking.ChannelLiveChat)
	if err != nil {
		return "", "", "", err
	}
	list, err := s.app.Blocking.List(r.Context(), contextstore.BlockQuery{ConversationID: c.ID})
	if err != nil {
		return "", "", "", err
	}
	if d.Blocked {
		for _, v := range list {
			if v.Block.ID == d.BlockID || d.BlockID == "" && v.Status == blocking.StatusActive && v.Block.Kind == contextstore.KindConversation {
				return "active", v.Block.ReasonCategory, v.Block.Reason, nil
			}
		}
		if d.BlockID != "" {
			v, err := s.app.Blocking.Get(r.Context(), d.BlockID)
			if err != nil {
				return "", "", "", err
			}
			return "active", v.Block.ReasonCategory, v.Block.Reason, nil
		}
		return "active", "", "", nil
	}
	if n := len(list); n > 0 {
		// Ordered by creation: the last is the latest.
		return "ended", list[n-1].Block.ReasonCategory, list[n-1].Block.Reason, nil
	}
	if !c.User.IsAuthenticated && c.Info.LiveChatBlockedUntil != nil {
		return "ended", "", "", nil
	}
	return "none", "", "", nil
}

// adminConversationsCSV streams every conversation (optionally only the
// blocked or unblocked ones) as CSV with its block status and reason, a
// page of maxLimit at a time, flushing after each page.
func (s *Server) adminConversationsCSV(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := newQueryParams(r, "blocked")
	f := conversationFilter(q)
	if q.answered(w) {
		return
	}
	f.Limit = maxLimit
	page, err := s.app.Store.ListConversations(r.Context(), f)
	if err != nil {
		s.serviceError(w, r, "conversation", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="conversations.csv"`)
	cw := newCSVWriter(w)
	_ = cw.Write(conversationsCSVHeader())
	cut := func(err error) {
		// The status is sent: end the stream short; the log says why.
		s.log.Error("csv export cut short", zap.String("request_id", RequestID(r.Context())), zap.Error(err))
	}
	for {
		for _, c := range page {
			row, err := s.conversationRow(r, c)
			if err != nil {
				cw.Flush()
				cut(err)
				return
			}
			until := ""
			if row.LiveChatBlockedUntil != nil {
				until = *row.LiveChatBlockedUntil
			}
			_ = cw.Write([]string{
				row.ID, row.Channel, row.StartedAt, row.UpdatedAt,
				strconv.FormatBool(row.Authenticated), row.UserID,
				strconv.FormatBool(row.Blocked), strconv.FormatBool(row.MarkedSpam),
				until, row.BlockStatus, row.BlockReasonCategory, row.blockReason,
			})
		}
		cw.Flush()
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		if len(page) < maxLimit || cw.Error() != nil {
			return
		}
		f.After = page[len(page)-1].ID
		if page, err = s.app.Store.ListConversations(r.Context(), f); err != nil {
			cut(err)
			return
		}
	}
}
