package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/chatflow/chatflow/contextstore"
)

// indexOf returns the position of a conversation in a queue, or -1.
func indexOf(q []contextstore.QueueEntry, conversationID string) int {
	return slices.IndexFunc(q, func(e contextstore.QueueEntry) bool { return e.ConversationID == conversationID })
}

// Enqueue implements contextstore.QueueStore. A conversation already in the
// queue keeps its place and its original entry.
func (s *Store) Enqueue(ctx context.Context, e contextstore.QueueEntry) error {
	e.EnqueuedAt = e.EnqueuedAt.Round(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("enqueueing conversation %q in %q: %w", e.ConversationID, e.Queue, err)
	}
	// Membership is a set, so enqueueing stays O(1) however long the queue.
	in := s.queued[e.Queue]
	if in[e.ConversationID] {
		return nil
	}
	if in == nil {
		in = map[string]bool{}
		s.queued[e.Queue] = in
	}
	in[e.ConversationID] = true
	s.queues[e.Queue] = append(s.queues[e.Queue], e)
	return nil
}

// Dequeue implements contextstore.QueueStore.
func (s *Store) Dequeue(ctx context.Context, queue string) (contextstore.QueueEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return contextstore.QueueEntry{}, fmt.Errorf("dequeueing from %q: %w", queue, err)
	}
	q := s.queues[queue]
	if len(q) == 0 {
		return contextstore.QueueEntry{}, fmt.Errorf("queue %q is empty: %w", queue, contextstore.ErrNotFound)
	}
	e := q[0]
	delete(s.queued[queue], e.ConversationID)
	s.setQueue(queue, q[1:])
	return e, nil
}

// RemoveFromQueue implements contextstore.QueueStore.
func (s *Store) RemoveFromQueue(ctx context.Context, queue, conversationID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("removing conversation %q from %q: %w", conversationID, queue, err)
	}
	q := s.queues[queue]
	if !s.queued[queue][conversationID] {
		return nil
	}
	delete(s.queued[queue], conversationID)
	if i := indexOf(q, conversationID); i >= 0 {
		s.setQueue(queue, slices.Delete(slices.Clone(q), i, i+1))
	}
	return nil
}

// setQueue stores a queue's entries, forgetting a queue that is empty.
func (s *Store) setQueue(queue string, q []contextstore.QueueEntry) {
	if len(q) == 0 {
		delete(s.queues, queue)
		delete(s.queued, queue)
		return
	}
	s.queues[queue] = q
}

// ListQueue implements contextstore.QueueStore. An empty or unknown queue
// lists as nil.
func (s *Store) ListQueue(ctx context.Context, queue string) ([]contextstore.QueueEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("listing queue %q: %w", queue, err)
	}
	return slices.Clone(s.queues[queue]), nil
}
