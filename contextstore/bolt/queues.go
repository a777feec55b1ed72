package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/chatflow/chatflow/contextstore"
)

// Queue layout: bucket queues holds prefixKey(queue) + 20-digit sequence →
// JSON entry, so a queue's entries are contiguous and oldest first; bucket
// queue_members holds prefixKey(queue) + conversation id → that entry's
// key, which answers "already queued?" and finds the entry to remove.

// Enqueue implements contextstore.QueueStore.
func (s *Store) Enqueue(ctx context.Context, e contextstore.QueueEntry) error {
	val, err := json.Marshal(&e)
	if err != nil {
		return fmt.Errorf("enqueueing conversation %q in %q: encoding: %w", e.ConversationID, e.Queue, err)
	}
	return s.update(ctx, fmt.Sprintf("enqueueing conversation %q in %q", e.ConversationID, e.Queue), func(tx *bbolt.Tx) error {
		members := tx.Bucket([]byte(bucketQueueMembers))
		mk := append(prefixKey(e.Queue), e.ConversationID...)
		if members.Get(mk) != nil {
			return nil // already queued: keeps its place
		}
		entries := tx.Bucket([]byte(bucketQueues))
		seq, err := entries.NextSequence()
		if err != nil {
			return err
		}
		ek := append(prefixKey(e.Queue), seqKey(seq)...)
		if err := entries.Put(ek, val); err != nil {
			return err
		}
		return members.Put(mk, ek)
	})
}

// Dequeue implements contextstore.QueueStore.
func (s *Store) Dequeue(ctx context.Context, queue string) (contextstore.QueueEntry, error) {
	var out contextstore.QueueEntry
	err := s.update(ctx, fmt.Sprintf("dequeueing from %q", queue), func(tx *bbolt.Tx) error {
		out = contextstore.QueueEntry{} // fn may run again (see committer)
		prefix := prefixKey(queue)
		entries := tx.Bucket([]byte(bucketQueues))
		k, v := entries.Cursor().Seek(prefix)
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return fmt.Errorf("queue %q is empty: %w", queue, contextstore.ErrNotFound)
		}
		if err := json.Unmarshal(v, &out); err != nil {
			return fmt.Errorf("decoding queue entry: %w", err)
		}
		k = bytes.Clone(k)
		if err := entries.Delete(k); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketQueueMembers)).Delete(append(prefix, out.ConversationID...))
	})
	if err != nil {
		return contextstore.QueueEntry{}, err
	}
	return out, nil
}

// RemoveFromQueue implements contextstore.QueueStore.
func (s *Store) RemoveFromQueue(ctx context.Context, queue, conversationID string) error {
	return s.update(ctx, fmt.Sprintf("removing conversation %q from %q", conversationID, queue), func(tx *bbolt.Tx) error {
		members := tx.Bucket([]byte(bucketQueueMembers))
		mk := append(prefixKey(queue), conversationID...)
		ek := members.Get(mk)
		if ek == nil {
			return nil
		}
		if err := tx.Bucket([]byte(bucketQueues)).Delete(bytes.Clone(ek)); err != nil {
			return err
		}
		return members.Delete(mk)
	})
}

// ListQueue implements contextstore.QueueStore.
func (s *Store) ListQueue(ctx context.Context, queue string) ([]contextstore.QueueEntry, error) {
	var out []contextstore.QueueEntry
	err := s.view(ctx, fmt.Sprintf("listing queue %q", queue), func(tx *bbolt.Tx) error {
		prefix := prefixKey(queue)
		c := tx.Bucket([]byte(bucketQueues)).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var e contextstore.QueueEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decoding queue entry: %w", err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
