package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
)

// Defaults of the visitor event stream.
const (
	// defaultEventPoll is how often the stream reads the conversation.
	defaultEventPoll = time.Second
	// eventKeepAlive is the longest the stream stays silent: a comment
	// line then keeps proxies from closing it and finds gone clients.
	eventKeepAlive = 15 * time.Second
	// defaultBlockedText is the neutral text of the "blocked" state when
	// no WithBlockedText is given.
	defaultBlockedText = "Live chat isn't available right now."
	// reconnectRetry is the SSE retry hint of the "reconnect" event sent
	// when the server shuts down: how long the browser waits before it
	// connects again.
	reconnectRetry = time.Second
)

// WithEventPoll sets how often GET /v1/conversations/{id}/events reads the
// stored conversation (default 1s; d <= 0 keeps it).
func WithEventPoll(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.eventPoll = d
		}
	}
}

// WithBlockedText sets the neutral text sent with the "blocked" state of
// the event stream (the config's blocked_message); empty keeps the
// default. It must never say why the visitor was blocked.
func WithBlockedText(text string) Option {
	return func(s *Server) {
		if text != "" {
			s.blockedText = text
		}
	}
}

// Visitor states of the event stream.
const (
	stateBot         = "bot"          // the bot is answering
	stateQueued      = "queued"       // waiting for an agent
	stateAgentJoined = "agent_joined" // an agent is connected
	stateAgentLeft   = "agent_left"   // the agent disconnected
	stateBlocked     = "blocked"      // live chat is refused (no reason given)
	stateEnded       = "ended"        // the conversation ended or expired
)

// currentState is what the visitor may know of c's state now. A
// conversation that live chat was refused or ended for — a sanction ended
// it (Info.Blocked), ConnectToHelpdeskAgent refused it
// (HelpdeskClient.IsBlockedForLiveChat), or its context holds an
// anonymous block — is "blocked" while the blocking service's one decision
// says its visitor is barred from live chat: a block lifted by an admin
// or ended by its period gives the visitor the composer back without
// having to try again, and a visitor who never asked for live chat keeps
// talking to the bot. A failed check keeps showing "blocked".
func (s *Server) currentState(ctx context.Context, c *contextstore.Conversation) string {
	if c.Ended {
		return stateEnded
	}
	if c.Info.Blocked || c.Helpdesk.IsBlockedForLiveChat || c.Info.LiveChatBlockedUntil != nil {
		d, err := s.app.Blocking.DecideConversation(ctx, c, blocking.ChannelLiveChat)
		if err != nil {
			s.log.Warn("deciding the visitor's state", zap.String("request_id", RequestID(ctx)), zap.Error(err))
		}
		if err != nil || d.Blocked {
			return stateBlocked
		}
	}
	switch {
	case c.Helpdesk.AgentConnected:
		return stateAgentJoined
	case c.Helpdesk.InQueue:
		return stateQueued
	}
	return stateBot
}

// stateEvent is the data of a "state" event. Text is only set for
// "blocked", and is the neutral text.
type stateEvent struct {
	State string `json:"state"`
	Text  string `json:"text,omitempty"`
}

// conversationEvents streams server-sent events to the visitor: "state"
// (the current state first, then every change) and "message" (each agent
// message written after the stream opened). It reads the stored
// conversation every eventPoll and ends when the client goes away or the
// conversation ends. When the server shuts down (CloseStreams) it sends a
// last "reconnect" event and ends. Block reasons are never sent.
func (s *Server) conversationEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := s.pathConversation(w, r)
	if !ok {
		return
	}
	id := c.ID
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream outlives the server's WriteTimeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	send := func(event string, v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	sendState := func(st string) bool {
		ev := stateEvent{State: st}
		if st == stateBlocked {
			ev.Text = s.blockedTextIn(c.Info.Language)
		}
		return send("state", ev)
	}
	state := s.currentState(ctx, c)
	seen := len(c.Transcript)
	var last *contextstore.Message
	if seen > 0 {
		last = &c.Transcript[seen-1]
	}
	if !sendState(state) || state == stateEnded {
		return
	}
	tick := time.NewTicker(s.eventPoll)
	defer tick.Stop()
	quiet := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			s.sendReconnect(w, rc)
			return
		case <-tick.C:
		}
		c, err := s.app.Store.GetConversation(ctx, id)
		if errors.Is(err, contextstore.ErrNotFound) {
			sendState(stateEnded)
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("event stream: reading the conversation", zap.String("request_id", RequestID(ctx)), zap.Error(err))
			}
			continue
		}
		wrote := false
		fromVisitor, unsolicited := false, false
		for _, m := range newMessages(c.Transcript, last) {
			// A bot line after no visitor line of this batch is not the
			// answer of the visitor's own send (an agent's warning): the
			// page is told to read the transcript (below).
			fromVisitor = fromVisitor || m.From == contextstore.FromUser
			unsolicited = unsolicited || (m.From == contextstore.FromBot && !fromVisitor)
			if m.From != "agent" {
				continue
			}
			if !send("message", message{At: m.At.UTC().Format(time.RFC3339Nano), From: m.From, Text: m.Text}) {
				return
			}
			wrote = true
		}
		if n := len(c.Transcript); n > 0 {
			last = &c.Transcript[n-1]
		}
		st := s.currentState(ctx, c)
		// A state change makes the page read the transcript anyway.
		if unsolicited && st == state {
			if !send("transcript", struct{}{}) {
				return
			}
			wrote = true
		}
		if st != state {
			if state == stateAgentJoined && st != stateEnded && !sendState(stateAgentLeft) {
				return
			}
			if !sendState(st) || st == stateEnded {
				return
			}
			state, wrote = st, true
		}
		if wrote {
			quiet = time.Now()
		} else if time.Since(quiet) >= eventKeepAlive {
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			quiet = time.Now()
		}
	}
}

// sendReconnect writes the stream's last event when the server shuts
// down: "reconnect", with a retry hint for EventSource, which connects
// again by itself once the stream ends.
func (s *Server) sendReconnect(w http.ResponseWriter, rc *http.ResponseController) {
	_, _ = fmt.Fprintf(w, "retry: %d\nevent: reconnect\ndata: {\"reason\":\"shutdown\"}\n\n", reconnectRetry.Milliseconds())
	_ = rc.Flush()
}

// newMessages returns the messages of transcript after last (the newest
// one already seen; nil: none was). When last is no longer in the
// transcript (trimmed), it returns those newer than last.At.
func newMessages(transcript []contextstore.Message, last *contextstore.Message) []contextstore.Message {
	if last == nil {
		return transcript
	}
	for i := len(transcript) - 1; i >= 0; i-- {
		if m := transcript[i]; m.At.Equal(last.At) && m.From == last.From && m.Text == last.Text {
			return transcript[i+1:]
		}
	}
	for i, m := range transcript {
		if m.At.After(last.At) {
			return transcript[i:]
		}
	}
	return nil
}
