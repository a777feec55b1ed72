// Package agentdesk is the helpdesk agent's channel: agents take the next
// waiting conversation from a queue, talk to its user, disconnect with
// feedback (which runs the conversation's agent_disconnected flow) and
// block the user directly.
//
// Every change to a conversation goes through the flow executor: agent
// events (flows.EventAgentConnected, EventAgentMessage,
// EventAgentDisconnected) as turns, and a direct block through the
// sanctions pipeline, which applies it with flows.Executor.Update. The desk
// is built after the executor, which it is given; it holds no state of its
// own.
package agentdesk

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/queue"
	"github.com/chatflow/chatflow/internal/sanctions"
)

// Desk is the agent desk. It is safe for concurrent use.
type Desk struct {
	exec      *flows.Executor
	queue     *queue.Service
	sanctions *sanctions.Pipeline
	log       *zap.Logger
}

// New returns a desk over the executor, the queues and the sanctions
// pipeline; a nil log is a no-op logger.
func New(exec *flows.Executor, q *queue.Service, p *sanctions.Pipeline, log *zap.Logger) *Desk {
	if log == nil {
		log = zap.NewNop()
	}
	return &Desk{exec: exec, queue: q, sanctions: p, log: log.Named("agentdesk")}
}

// Take gives the oldest waiting conversation of a queue to an agent.
// Conversations that ended, are no longer waiting, or whose visitor was
// blocked while waiting are dropped from the queue and skipped. It returns
// an error wrapping queue.ErrEmpty when none is left.
func (d *Desk) Take(ctx context.Context, q, agentEmail string) (*contextstore.Conversation, error) {
	for {
		e, err := d.queue.Next(ctx, q)
		if err != nil {
			return nil, err
		}
		res, err := d.exec.Handle(ctx, flows.Event{Type: flows.EventAgentConnected, ConversationID: e.ConversationID, Text: agentEmail})
		if errors.Is(err, flows.ErrConversationEnded) || errors.Is(err, flows.ErrNoConversation) || errors.Is(err, flows.ErrNotWaiting) {
			d.log.Info("skipping queue entry", zap.String("conversation", e.ConversationID), zap.Error(err))
			continue
		}
		if err != nil {
			// Put it back so the conversation is not lost.
			if qerr := d.queue.Enqueue(ctx, e); qerr != nil {
				err = errors.Join(err, qerr)
			}
			return nil, fmt.Errorf("connecting agent to %s: %w", e.ConversationID, err)
		}
		d.log.Info("agent took conversation", zap.String("conversation", e.ConversationID), zap.String("agent", agentEmail))
		return res.Conversation, nil
	}
}

// Say sends an agent's message to the conversation's user.
func (d *Desk) Say(ctx context.Context, conversationID, text string) error {
	_, err := d.exec.Handle(ctx, flows.Event{Type: flows.EventAgentMessage, ConversationID: conversationID, Text: text})
	return err
}

// Disconnect ends the agent's chat with feedback and runs the
// agent_disconnected flow; it returns the bot's replies to the user. key
// is the request's idempotency key (empty: none), so that a retried
// disconnect does not block twice.
func (d *Desk) Disconnect(ctx context.Context, conversationID, key string, fb contextstore.AgentFeedback) (*flows.TurnResult, error) {
	return d.exec.Handle(ctx, flows.Event{Type: flows.EventAgentDisconnected, ConversationID: conversationID, Key: key, Feedback: &fb})
}

// Block is an agent's direct block of a conversation's user, conversation
// or IP: it goes through the sanctions pipeline, so the live chat ends at
// once, the visitor gets the neutral message and no survey, and the
// block is recorded once per req.Cause.
func (d *Desk) Block(ctx context.Context, req contextstore.BlockRequest) (blocking.Outcome, error) {
	if req.Source == "" {
		req.Source = contextstore.SourceAgent
	}
	return d.sanctions.Block(ctx, req)
}
