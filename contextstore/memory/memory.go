// Package memory is an in-memory contextstore.Store for tests and
// `chatflow run`. It keeps deep copies (see contextstore's Clone methods),
// so callers never share state with the store; nothing survives the
// process.
package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/chatflow/chatflow/contextstore"
)

// Store is the in-memory backend. It is safe for concurrent use.
type Store struct {
	mu       sync.RWMutex
	convs    map[string]*contextstore.Conversation
	activity map[string]*contextstore.ChatActivityData
	blocks   map[string]*contextstore.Block
	audit    []*contextstore.AuditEvent
	auditSeq int64
	queues   map[string][]contextstore.QueueEntry
	bansVer  int64
}

var _ contextstore.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		convs:    map[string]*contextstore.Conversation{},
		activity: map[string]*contextstore.ChatActivityData{},
		blocks:   map[string]*contextstore.Block{},
		queues:   map[string][]contextstore.QueueEntry{},
	}
}

// GetConversation implements contextstore.ConversationStore.
func (s *Store) GetConversation(_ context.Context, id string) (*contextstore.Conversation, error) {
	s.mu.RLock()
	c, ok := s.convs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("conversation %q: %w", id, contextstore.ErrNotFound)
	}
	return c.Clone(), nil
}

// PutConversation implements contextstore.ConversationStore.
func (s *Store) PutConversation(_ context.Context, c *contextstore.Conversation) error {
	cp := c.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.convs[c.ID]
	if (!ok && c.Version != 0) || (ok && cur.Version != c.Version) {
		return fmt.Errorf("conversation %q at version %d: %w", c.ID, c.Version, contextstore.ErrVersionConflict)
	}
	cp.Version = c.Version + 1
	s.convs[c.ID] = cp
	c.Version = cp.Version
	return nil
}

// DeleteConversation implements contextstore.ConversationStore.
func (s *Store) DeleteConversation(_ context.Context, id string) error {
	s.mu.Lock()
	delete(s.convs, id)
	s.mu.Unlock()
	return nil
}

// ListConversations implements contextstore.ConversationStore.
func (s *Store) ListConversations(_ context.Context, f contextstore.ConversationFilter) ([]*contextstore.Conversation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.convs))
	for id := range s.convs {
		if id > f.After {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []*contextstore.Conversation
	for _, id := range ids {
		if c := s.convs[id]; f.Match(c) {
			out = append(out, c.Clone())
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

// GetActivity implements contextstore.ActivityStore.
func (s *Store) GetActivity(_ context.Context, userID string) (*contextstore.ChatActivityData, error) {
	s.mu.RLock()
	a, ok := s.activity[userID]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("activity of user %q: %w", userID, contextstore.ErrNotFound)
	}
	return a.Clone(), nil
}

// PutActivity implements contextstore.ActivityStore.
func (s *Store) PutActivity(_ context.Context, d *contextstore.ChatActivityData) error {
	cp := d.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.activity[d.UserID]
	if (!ok && d.Version != 0) || (ok && cur.Version != d.Version) {
		return fmt.Errorf("activity of user %q at version %d: %w", d.UserID, d.Version, contextstore.ErrVersionConflict)
	}
	cp.Version = d.Version + 1
	s.activity[d.UserID] = cp
	d.Version = cp.Version
	return nil
}

func isBan(k contextstore.BlockKind) bool {
	return k == contextstore.KindIP || k == contextstore.KindRange
}

// CreateBlock implements contextstore.BlockStore.
func (s *Store) CreateBlock(_ context.Context, b *contextstore.Block) error {
	if b.ID == "" {
		return fmt.Errorf("creating block: empty id")
	}
	cp := b.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blocks[b.ID]; ok {
		return fmt.Errorf("block %q: %w", b.ID, contextstore.ErrAlreadyExists)
	}
	cp.Version = 1
	s.blocks[b.ID] = cp
	b.Version = 1
	if isBan(b.Kind) {
		s.bansVer++
	}
	return nil
}

// GetBlock implements contextstore.BlockStore.
func (s *Store) GetBlock(_ context.Context, id string) (*contextstore.Block, error) {
	s.mu.RLock()
	b, ok := s.blocks[id]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("block %q: %w", id, contextstore.ErrNotFound)
	}
	return b.Clone(), nil
}

// UpdateBlock implements contextstore.BlockStore.
func (s *Store) UpdateBlock(_ context.Context, b *contextstore.Block) error {
	cp := b.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.blocks[b.ID]
	if !ok {
		return fmt.Errorf("block %q: %w", b.ID, contextstore.ErrNotFound)
	}
	if cur.Version != b.Version {
		return fmt.Errorf("block %q at version %d: %w", b.ID, b.Version, contextstore.ErrVersionConflict)
	}
	cp.Version = b.Version + 1
	s.blocks[b.ID] = cp
	b.Version = cp.Version
	if isBan(b.Kind) || isBan(cur.Kind) {
		s.bansVer++
	}
	return nil
}

// ListBlocks implements contextstore.BlockStore.
func (s *Store) ListBlocks(_ context.Context, q contextstore.BlockQuery) ([]*contextstore.Block, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*contextstore.Block
	for _, b := range s.blocks {
		if b.ID > q.After && q.Match(b) {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b *contextstore.Block) int { return strings.Compare(a.ID, b.ID) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	for i, b := range out {
		out[i] = b.Clone()
	}
	return out, nil
}

// DeleteBlock implements contextstore.BlockStore.
func (s *Store) DeleteBlock(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.blocks[id]; ok {
		delete(s.blocks, id)
		if isBan(b.Kind) {
			s.bansVer++
		}
	}
	return nil
}

// BansVersion implements contextstore.BlockStore.
func (s *Store) BansVersion(context.Context) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bansVer, nil
}

// AppendAudit implements contextstore.AuditLog. An empty ID becomes a
// zero-padded sequence number, so IDs sort in append order.
func (s *Store) AppendAudit(_ context.Context, e *contextstore.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auditSeq++
	if e.ID == "" {
		e.ID = fmt.Sprintf("%020d", s.auditSeq)
	}
	s.audit = append(s.audit, e.Clone())
	return nil
}

// ListAudit implements contextstore.AuditLog.
func (s *Store) ListAudit(_ context.Context, q contextstore.AuditQuery) ([]*contextstore.AuditEvent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*contextstore.AuditEvent
	for _, e := range s.audit {
		if e.ID > q.After && q.Match(e) {
			out = append(out, e.Clone())
		}
	}
	slices.SortStableFunc(out, func(a, b *contextstore.AuditEvent) int { return strings.Compare(a.ID, b.ID) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// Enqueue implements contextstore.QueueStore.
func (s *Store) Enqueue(_ context.Context, e contextstore.QueueEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.queues[e.Queue] {
		if x.ConversationID == e.ConversationID {
			return nil
		}
	}
	s.queues[e.Queue] = append(s.queues[e.Queue], e)
	return nil
}

// Dequeue implements contextstore.QueueStore.
func (s *Store) Dequeue(_ context.Context, queue string) (contextstore.QueueEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[queue]
	if len(q) == 0 {
		return contextstore.QueueEntry{}, fmt.Errorf("queue %q is empty: %w", queue, contextstore.ErrNotFound)
	}
	s.queues[queue] = q[1:]
	return q[0], nil
}

// RemoveFromQueue implements contextstore.QueueStore.
func (s *Store) RemoveFromQueue(_ context.Context, queue, conversationID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[queue] = slices.DeleteFunc(s.queues[queue], func(e contextstore.QueueEntry) bool { return e.ConversationID == conversationID })
	return nil
}

// ListQueue implements contextstore.QueueStore.
func (s *Store) ListQueue(_ context.Context, queue string) ([]contextstore.QueueEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.queues[queue]), nil
}

// Ping implements contextstore.Store; the memory store is always reachable.
func (s *Store) Ping(context.Context) error { return nil }

// Close implements contextstore.Store.
func (s *Store) Close() error { return nil }
