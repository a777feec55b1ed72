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
// or none) and reason from its block records: an active record wins, else
// the latest ended one. Without records, an anonymous visitor's
// LiveChatBlockedUntil decides (a flow may have set it, or a self-unblock
// cleared it), with no reason to show.
func (s *Server) conversationBlock(r *http.Request, c *contextstore.Conversation) (status, category, reason string, err error) {
	list, err := s.app.Blocking.List(r.Context(), contextstore.BlockQuery{ConversationID: c.ID})
	if err != nil {
		return "", "", "", err
	}
	var pick *blocking.View
	for _, v := range list {
		if v.Status == blocking.StatusActive {
			pick = v
			break
		}
		pick = v // ordered by creation: the last is the latest
	}
	if pick != nil {
		status = "ended"
		if pick.Status == blocking.StatusActive {
			status = "active"
		}
		return status, pick.Block.ReasonCategory, pick.Block.Reason, nil
	}
	if !c.User.IsAuthenticated && c.Info.LiveChatBlockedUntil != nil {
		if contextstore.IsActiveAt(c.Info.LiveChatBlockedUntil, s.app.Clock()) {
			return "active", "", "", nil
		}
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
