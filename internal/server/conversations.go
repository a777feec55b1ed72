package server

import (
	"fmt"
	"net/http"

	"github.com/chatflow/chatflow/contextstore"
)

// queueCount is one queue of the agent's queue overview.
type queueCount struct {
	Name    string `json:"name"`
	Waiting int    `json:"waiting"`
}

// agentQueues answers how many conversations wait in each known queue.
func (s *Server) agentQueues(w http.ResponseWriter, r *http.Request, _ Principal) {
	names := s.queueNames()
	out := make([]queueCount, len(names))
	for i, q := range names {
		list, err := s.app.Queue.Waiting(r.Context(), q)
		if err != nil {
			s.serviceError(w, r, "queue", fmt.Errorf("listing queue %q: %w", q, err))
			return
		}
		out[i] = queueCount{Name: q, Waiting: len(list)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"queues": out})
}

// chatUserJSON is the customer as the agent console shows it.
type chatUserJSON struct {
	Authenticated bool   `json:"authenticated"`
	UserID        string `json:"user_id"`
	Name          string `json:"name"`
}

// agentViewConversation answers what the agent console polls while
// chatting: the state the visitor sees, who is connected, the customer
// and the transcript (system lines included) — never the visitor's IP.
// The agent connected to the conversation may read it (and, once a
// sanction ended the chat, the agent who held it), and any supervisor or
// admin.
func (s *Server) agentViewConversation(w http.ResponseWriter, r *http.Request, p Principal) {
	c, ok := s.pathConversation(w, r)
	if !ok {
		return
	}
	if !p.Role.AtLeast(RoleSupervisor) && (c.Helpdesk.AgentEmail == "" || c.Helpdesk.AgentEmail != staffActor(p)) {
		if !c.Helpdesk.AgentConnected {
			problem(w, http.StatusConflict, "no agent connected", fmt.Sprintf("conversation %q has no agent connected; take it from its queue first", c.ID))
			return
		}
		s.deny(w, r, p, "conversation.view", RoleSupervisor)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":          c.ID,
		"channel":     c.Info.Channel,
		"state":       s.currentState(r.Context(), c),
		"agent_email": c.Helpdesk.AgentEmail,
		"user":        chatUserJSON{Authenticated: c.User.IsAuthenticated, UserID: c.User.UserID, Name: c.User.Name},
		"messages":    transcript(c),
	})
}

// conversationRow is a conversation as the admin list, its detail and the
// CSV export show it.
type conversationRow struct {
	ID                   string  `json:"id"`
	Channel              string  `json:"channel"`
	StartedAt            string  `json:"started_at"`
	UpdatedAt            string  `json:"updated_at"`
	Authenticated        bool    `json:"authenticated"`
	UserID               string  `json:"user_id"`
	UserName             string  `json:"user_name"`
	Blocked              bool    `json:"blocked"`
	MarkedSpam           bool    `json:"marked_spam"`
	LiveChatBlockedUntil *string `json:"live_chat_blocked_until"`
	// BlockStatus is active, ended or none (see conversationBlock).
	BlockStatus         string `json:"block_status"`
	BlockReasonCategory string `json:"block_reason_category"`
	MessagesCount       int    `json:"messages_count"`
	// blockReason is only exported to the CSV.
	blockReason string
}

// conversationRow derives c's row, block status included.
func (s *Server) conversationRow(r *http.Request, c *contextstore.Conversation) (conversationRow, error) {
	status, cat, reason, err := s.conversationBlock(r, c)
	if err != nil {
		return conversationRow{}, err
	}
	started := c.Info.StartedAt
	if started.IsZero() {
		started = c.CreatedAt
	}
	return conversationRow{
		ID: c.ID, Channel: c.Info.Channel, StartedAt: utcText(started), UpdatedAt: utcText(c.UpdatedAt),
		Authenticated: c.User.IsAuthenticated, UserID: c.User.UserID, UserName: c.User.Name,
		Blocked: c.Info.Blocked, MarkedSpam: c.Info.MarkedSpam, LiveChatBlockedUntil: timeText(c.Info.LiveChatBlockedUntil),
		BlockStatus: status, BlockReasonCategory: cat, MessagesCount: len(c.Transcript), blockReason: reason,
	}, nil
}

// conversationFilter reads the blocked filter shared by the list and the
// CSV export.
func conversationFilter(q *queryParams) contextstore.ConversationFilter {
	var f contextstore.ConversationFilter
	if b := q.oneOf("blocked", "true", "false"); b != "" {
		v := b == "true"
		f.Blocked = &v
	}
	return f
}

// adminListConversations answers a page of conversations in store order
// (by id), optionally only those of a block status or of Info.Blocked.
// The block status is derived per conversation, so with block_status the
// store is read a page of maxLimit at a time until the page is full or
// the store is exhausted; next is then given when more may follow (the
// following page may turn out empty).
func (s *Server) adminListConversations(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := newQueryParams(r, "block_status", "blocked", "limit", "after")
	status := q.oneOf("block_status", "active", "ended", "none")
	f := conversationFilter(q)
	limit := q.limit()
	if q.answered(w) {
		return
	}
	f.After = q.str("after")
	f.Limit = limit + 1
	if status != "" {
		f.Limit = maxLimit
	}
	rows := make([]conversationRow, 0, limit)
	more := false
scan:
	for {
		page, err := s.app.Store.ListConversations(r.Context(), f)
		if err != nil {
			s.serviceError(w, r, "conversation", err)
			return
		}
		for _, c := range page {
			row, err := s.conversationRow(r, c)
			if err != nil {
				s.serviceError(w, r, "conversation", err)
				return
			}
			if status != "" && row.BlockStatus != status {
				continue
			}
			if len(rows) == limit {
				more = true
				break scan
			}
			rows = append(rows, row)
		}
		if len(page) < f.Limit {
			break // the store is exhausted
		}
		if len(rows) == limit {
			more = true // the rest of the store was not looked at
			break
		}
		f.After = page[len(page)-1].ID
	}
	out := map[string]any{"conversations": rows}
	if more && len(rows) > 0 {
		out["next"] = rows[len(rows)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

// adminGetConversation answers one conversation's row with its whole
// stored transcript (system lines included) and its block records.
func (s *Server) adminGetConversation(w http.ResponseWriter, r *http.Request, _ Principal) {
	c, ok := s.pathConversation(w, r)
	if !ok {
		return
	}
	row, err := s.conversationRow(r, c)
	if err != nil {
		s.serviceError(w, r, "conversation", err)
		return
	}
	list, err := s.app.Blocking.List(r.Context(), contextstore.BlockQuery{ConversationID: c.ID})
	if err != nil {
		s.serviceError(w, r, "conversation", err)
		return
	}
	writeJSON(w, http.StatusOK, conversationDetail{conversationRow: row, Messages: staffTranscript(c), Blocks: blocksOut(list)})
}

// conversationDetail is a conversation's row with its transcript and
// blocks.
type conversationDetail struct {
	conversationRow
	Messages []message   `json:"messages"`
	Blocks   []blockJSON `json:"blocks"`
}

// staffActor is how a change made by p is attributed: its email, else its
// id (the bootstrap admin has no email).
func staffActor(p Principal) string {
	if p.Email != "" {
		return p.Email
	}
	return p.ID
}
