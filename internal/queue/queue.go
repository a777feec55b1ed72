// Package queue is the waiting-queue domain service: conversations wait in
// named queues (one per skill or department, "default" when unnamed) for a
// helpdesk agent. It knows nothing of flows: ConnectToHelpdeskAgent uses it
// through the actions' Queue interface, the agent desk takes from it, and
// the sanctions pipeline removes a blocked visitor from it.
package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatflow/chatflow/contextstore"
)

// DefaultQueue is the queue of an entry that names none.
const DefaultQueue = "default"

// ErrEmpty is returned by Next when no conversation waits.
var ErrEmpty = errors.New("no conversation is waiting")

// Service manages the waiting queues on a store.
type Service struct {
	store contextstore.QueueStore
}

// New returns a service over store.
func New(store contextstore.QueueStore) *Service { return &Service{store: store} }

// Enqueue places a conversation in a queue (idempotent: one already in it
// keeps its place).
func (s *Service) Enqueue(ctx context.Context, e contextstore.QueueEntry) error {
	if e.Queue == "" {
		e.Queue = DefaultQueue
	}
	return s.store.Enqueue(ctx, e)
}

// Remove takes a conversation out of a queue (no error if absent).
func (s *Service) Remove(ctx context.Context, queue, conversationID string) error {
	if queue == "" {
		queue = DefaultQueue
	}
	return s.store.RemoveFromQueue(ctx, queue, conversationID)
}

// Waiting lists a queue, oldest first.
func (s *Service) Waiting(ctx context.Context, queue string) ([]contextstore.QueueEntry, error) {
	return s.store.ListQueue(ctx, queue)
}

// Next removes and returns the oldest entry of a queue, or an error
// wrapping ErrEmpty.
func (s *Service) Next(ctx context.Context, queue string) (contextstore.QueueEntry, error) {
	e, err := s.store.Dequeue(ctx, queue)
	if errors.Is(err, contextstore.ErrNotFound) {
		return e, fmt.Errorf("queue %q: %w", queue, ErrEmpty)
	}
	if err != nil {
		return e, fmt.Errorf("taking from queue %q: %w", queue, err)
	}
	return e, nil
}
