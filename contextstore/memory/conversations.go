package memory

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatflow/chatflow/contextstore"
)

// GetConversation implements contextstore.ConversationStore.
func (s *Store) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	s.mu.RLock()
	err := s.usable(ctx)
	c, ok := s.convs[id]
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("getting conversation %q: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("conversation %q: %w", id, contextstore.ErrNotFound)
	}
	return cloneConversation(c), nil
}

// PutConversation implements contextstore.ConversationStore. Vars are stored
// as the package documentation describes; a value that cannot be stored
// fails the put.
func (s *Store) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if c.ID == "" {
		return errors.New("putting conversation: empty id")
	}
	s.mu.RLock()
	prev := s.convs[c.ID]
	s.mu.RUnlock()
	cp, err := storableConversation(c, prev)
	if err != nil {
		return fmt.Errorf("putting conversation %q: %w", c.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("putting conversation %q: %w", c.ID, err)
	}
	cur, ok := s.convs[c.ID]
	if (!ok && c.Version != 0) || (ok && cur.Version != c.Version) {
		return fmt.Errorf("conversation %q at version %d: %w", c.ID, c.Version, contextstore.ErrVersionConflict)
	}
	cp.Version = c.Version + 1
	s.convs[c.ID] = cp
	if !ok {
		s.convIDs.add(c.ID)
	}
	c.Version = cp.Version
	return nil
}

// DeleteConversation implements contextstore.ConversationStore.
func (s *Store) DeleteConversation(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("deleting conversation %q: %w", id, err)
	}
	if _, ok := s.convs[id]; ok {
		delete(s.convs, id)
		s.convIDs.remove(id)
	}
	return nil
}

// ListConversations implements contextstore.ConversationStore.
func (s *Store) ListConversations(ctx context.Context, f contextstore.ConversationFilter) ([]*contextstore.Conversation, error) {
	var found []*contextstore.Conversation
	s.mu.RLock()
	err := s.usable(ctx)
	if err == nil {
		s.convIDs.after(f.After, func(id string) bool {
			if c := s.convs[id]; f.Match(c) {
				found = append(found, c)
			}
			return f.Limit <= 0 || len(found) < f.Limit
		})
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	for i, c := range found {
		found[i] = cloneConversation(c)
	}
	return found, nil
}

// GetActivity implements contextstore.ActivityStore.
func (s *Store) GetActivity(ctx context.Context, userID string) (*contextstore.ChatActivityData, error) {
	s.mu.RLock()
	err := s.usable(ctx)
	d, ok := s.activity[userID]
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("getting activity of user %q: %w", userID, err)
	}
	if !ok {
		return nil, fmt.Errorf("activity of user %q: %w", userID, contextstore.ErrNotFound)
	}
	return d.Clone(), nil
}

// PutActivity implements contextstore.ActivityStore.
func (s *Store) PutActivity(ctx context.Context, d *contextstore.ChatActivityData) error {
	if d.UserID == "" {
		return errors.New("putting activity: empty user id")
	}
	cp := d.Clone()
	roundTime(cp.LiveChatBlockedUntil)
	roundTime(cp.LiveChatBlockedAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("putting activity of user %q: %w", d.UserID, err)
	}
	cur, ok := s.activity[d.UserID]
	if (!ok && d.Version != 0) || (ok && cur.Version != d.Version) {
		return fmt.Errorf("activity of user %q at version %d: %w", d.UserID, d.Version, contextstore.ErrVersionConflict)
	}
	cp.Version = d.Version + 1
	s.activity[d.UserID] = cp
	d.Version = cp.Version
	return nil
}
