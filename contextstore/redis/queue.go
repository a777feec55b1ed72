package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
)

func (s *Store) queueKeys(queue string) []string {
	return []string{s.keys.queueOrder(queue), s.keys.queueData(queue), s.keys.queueSeq(queue)}
}

// Enqueue implements contextstore.QueueStore: one round trip (a script in
// the queue's slot). A conversation already in the queue keeps its place
// and its original entry.
func (s *Store) Enqueue(ctx context.Context, e contextstore.QueueEntry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("redis: encoding queue entry: %w", err)
	}
	if err := enqueueScript.Run(ctx, s.rdb, s.queueKeys(e.Queue), e.ConversationID, data).Err(); err != nil {
		return s.fail(fmt.Sprintf("redis: enqueueing conversation %q in queue %q", e.ConversationID, e.Queue), err)
	}
	return nil
}

// Dequeue implements contextstore.QueueStore: it atomically removes and
// returns the oldest entry, so two agents never take the same one.
func (s *Store) Dequeue(ctx context.Context, queue string) (contextstore.QueueEntry, error) {
	keys := []string{s.keys.queueOrder(queue), s.keys.queueData(queue), s.keys.queueClaim(queue, rand.Text())}
	data, err := dequeueScript.Run(ctx, s.rdb, keys).Text()
	if errors.Is(err, redis.Nil) {
		return contextstore.QueueEntry{}, fmt.Errorf("queue %q is empty: %w", queue, contextstore.ErrNotFound)
	}
	if err != nil {
		return contextstore.QueueEntry{}, s.fail(fmt.Sprintf("redis: dequeueing from queue %q", queue), err)
	}
	var e contextstore.QueueEntry
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return contextstore.QueueEntry{}, fmt.Errorf("redis: decoding entry of queue %q: %w", queue, err)
	}
	return e, nil
}

// RemoveFromQueue implements contextstore.QueueStore (MULTI/EXEC in the
// queue's slot).
func (s *Store) RemoveFromQueue(ctx context.Context, queue, conversationID string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.keys.queueOrder(queue), conversationID)
		p.HDel(ctx, s.keys.queueData(queue), conversationID)
		return nil
	})
	if err != nil {
		return s.fail(fmt.Sprintf("redis: removing conversation %q from queue %q", conversationID, queue), err)
	}
	return nil
}

// ListQueue implements contextstore.QueueStore: a consistent snapshot
// (MULTI/EXEC), oldest first.
func (s *Store) ListQueue(ctx context.Context, queue string) ([]contextstore.QueueEntry, error) {
	var order *redis.StringSliceCmd
	var data *redis.MapStringStringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		order = p.ZRange(ctx, s.keys.queueOrder(queue), 0, -1)
		data = p.HGetAll(ctx, s.keys.queueData(queue))
		return nil
	})
	if err != nil {
		return nil, s.fail(fmt.Sprintf("redis: listing queue %q", queue), err)
	}
	var out []contextstore.QueueEntry
	entries := data.Val()
	for _, id := range order.Val() {
		raw, ok := entries[id]
		if !ok {
			continue
		}
		var e contextstore.QueueEntry
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return nil, fmt.Errorf("redis: decoding entry %q of queue %q: %w", id, queue, err)
		}
		out = append(out, e)
	}
	return out, nil
}
