// Package helpdesk is the live-chat side of chatflow: waiting queues (one
// per skill or department), agents taking the next conversation, messages
// relayed both ways, and the agent's disconnect with feedback, which runs
// the conversation's agent_disconnected flow.
//
// Every change to a conversation goes through the flow executor as an event
// (agent_connected, agent_message, agent_disconnected), so it is serialized
// with the conversation's other turns and saved with the same
// compare-and-swap; the Service's Hook handles those events before any flow
// runs, and keeps the bot quiet while an agent is connected (the user's
// messages are relayed to the agent through the transcript).
package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
)

// Events handled by the helpdesk hook.
const (
	EventAgentConnected flows.EventType = "agent_connected"
	EventAgentMessage   flows.EventType = "agent_message"
)

// ErrQueueEmpty is returned by Take when no conversation waits.
var ErrQueueEmpty = errors.New("no conversation is waiting")

// Gate reports whether the user of a conversation is barred from live chat
// (blacklist, IP or range ban). The anonymous block in the context is
// checked by the service itself.
type Gate func(ctx context.Context, c *contextstore.Conversation, now time.Time) (bool, error)

// Service manages queues and agent sessions.
type Service struct {
	store contextstore.QueueStore
	exec  func() *flows.Executor
	log   *zap.Logger
	gate  Gate
}

// UseGate makes Take skip (and drop from the queue) conversations whose user
// was blocked while waiting, so no agent is connected to a blocked user.
// Call it before serving.
func (s *Service) UseGate(g Gate) { s.gate = g }

// New returns a service over store. exec returns the executor (it is
// created after the service, whose hook it needs).
func New(store contextstore.QueueStore, exec func() *flows.Executor, log *zap.Logger) *Service {
	if log == nil {
		log = zap.NewNop()
	}
	return &Service{store: store, exec: exec, log: log.Named("helpdesk")}
}

// Enqueue places a conversation in a queue (idempotent).
func (s *Service) Enqueue(ctx context.Context, e contextstore.QueueEntry) error {
	if e.Queue == "" {
		e.Queue = "default"
	}
	return s.store.Enqueue(ctx, e)
}

// Remove takes a conversation out of a queue (no error if absent).
func (s *Service) Remove(ctx context.Context, queue, conversationID string) error {
	return s.store.RemoveFromQueue(ctx, queue, conversationID)
}

// Waiting lists a queue, oldest first.
func (s *Service) Waiting(ctx context.Context, queue string) ([]contextstore.QueueEntry, error) {
	return s.store.ListQueue(ctx, queue)
}

// Take gives the oldest waiting conversation of a queue to an agent.
// Conversations that ended or are no longer waiting are skipped.
func (s *Service) Take(ctx context.Context, queue, agentEmail string) (*contextstore.Conversation, error) {
	for {
		e, err := s.store.Dequeue(ctx, queue)
		if errors.Is(err, contextstore.ErrNotFound) {
			return nil, fmt.Errorf("queue %q: %w", queue, ErrQueueEmpty)
		}
		if err != nil {
			return nil, fmt.Errorf("taking from queue %q: %w", queue, err)
		}
		res, err := s.exec().Handle(ctx, flows.Event{Type: EventAgentConnected, ConversationID: e.ConversationID, Text: agentEmail})
		if errors.Is(err, flows.ErrConversationEnded) || errors.Is(err, flows.ErrNoConversation) || errors.Is(err, errNotWaiting) {
			s.log.Info("skipping queue entry", zap.String("conversation", e.ConversationID), zap.Error(err))
			continue
		}
		if err != nil {
			// Put it back so the conversation is not lost.
			if qerr := s.store.Enqueue(ctx, e); qerr != nil {
				err = errors.Join(err, qerr)
			}
			return nil, fmt.Errorf("connecting agent to %s: %w", e.ConversationID, err)
		}
		s.log.Info("agent took conversation", zap.String("conversation", e.ConversationID), zap.String("agent", agentEmail))
		return res.Conversation, nil
	}
}

// Say sends an agent's message to the conversation's user.
func (s *Service) Say(ctx context.Context, conversationID, agentEmail, text string) error {
	_, err := s.exec().Handle(ctx, flows.Event{Type: EventAgentMessage, ConversationID: conversationID, Text: text})
	return err
}

// Disconnect ends the agent's chat with feedback and runs the
// agent_disconnected flow; it returns the bot's replies to the user.
func (s *Service) Disconnect(ctx context.Context, conversationID string, fb contextstore.AgentFeedback) (*flows.TurnResult, error) {
	return s.exec().Handle(ctx, flows.Event{Type: flows.EventAgentDisconnected, ConversationID: conversationID, Feedback: &fb})
}

var errNotWaiting = errors.New("conversation is not waiting for an agent")

// Hook returns the executor hook that applies agent events and relays
// user messages while an agent is connected.
func (s *Service) Hook() flows.Hook { return hook{s} }

type hook struct{ s *Service }

func (h hook) BeforeFlows(ctx context.Context, t *flows.Turn) (bool, error) {
	c := t.Conversation
	switch t.Event.Type {
	case EventAgentConnected:
		if !c.Helpdesk.InQueue {
			return false, errNotWaiting
		}
		blocked := contextstore.IsActiveAt(c.Info.LiveChatBlockedUntil, t.Now)
		if !blocked && h.s.gate != nil {
			var err error
			if blocked, err = h.s.gate(ctx, c, t.Now); err != nil {
				return false, fmt.Errorf("checking blocks before connecting an agent: %w", err)
			}
		}
		if blocked {
			// Blocked while waiting: the entry is already dequeued, and Take
			// moves on to the next conversation.
			return false, errNotWaiting
		}
		c.Helpdesk.InQueue, c.Helpdesk.AgentConnected, c.Helpdesk.AgentEmail = false, true, t.Event.Text
		c.Transcript = append(c.Transcript, contextstore.Message{At: t.Now, From: "system", Text: "agent joined"})
		return true, nil
	case EventAgentMessage:
		if !c.Helpdesk.AgentConnected {
			return false, fmt.Errorf("conversation %s has no agent connected", c.ID)
		}
		c.Transcript = append(c.Transcript, contextstore.Message{At: t.Now, From: "agent", Text: t.Event.Text})
		return true, nil
	case flows.EventMessage:
		// The user talks to the agent, not the bot: the message is in the
		// transcript (the agent's view); the bot stays quiet.
		return c.Helpdesk.AgentConnected, nil
	case flows.EventAgentDisconnected:
		if t.Event.Feedback != nil && t.Event.Feedback.AgentEmail == "" {
			t.Event.Feedback.AgentEmail = c.Helpdesk.AgentEmail
		}
		// The agent is gone; [[AgentFeedback]].AgentEmail keeps who it was.
		c.Helpdesk.AgentEmail = ""
		c.Transcript = append(c.Transcript, contextstore.Message{At: t.Now, From: "system", Text: "agent left"})
	}
	return false, nil
}
