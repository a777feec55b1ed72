package memory

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatflow/chatflow/contextstore"
)

// isBan reports whether blocks of kind k are in the ban table, whose
// changes BansVersion counts.
func isBan(k contextstore.BlockKind) bool {
	return k == contextstore.KindIP || k == contextstore.KindRange
}

// storableBlock returns the copy of b to store, its times without their
// monotonic clock readings.
func storableBlock(b *contextstore.Block) *contextstore.Block {
	cp := b.Clone()
	cp.Outbox = nil // written to the outbox, never stored with the block
	cp.CreatedAt = cp.CreatedAt.Round(0)
	cp.UpdatedAt = cp.UpdatedAt.Round(0)
	roundTime(cp.Until)
	roundTime(cp.LiftedAt)
	roundTime(cp.LastHitAt)
	return cp
}

// CreateBlock implements contextstore.BlockStore. b.Version is ignored and
// set to 1.
func (s *Store) CreateBlock(ctx context.Context, b *contextstore.Block) error {
	if b.ID == "" {
		return errors.New("creating block: empty id")
	}
	cp := storableBlock(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("creating block %q: %w", b.ID, err)
	}
	if _, ok := s.blocks[b.ID]; ok {
		return fmt.Errorf("block %q: %w", b.ID, contextstore.ErrAlreadyExists)
	}
	if id, ok := s.causes[b.Cause]; ok && b.Cause != "" {
		return &contextstore.CauseTakenError{Cause: b.Cause, ID: id}
	}
	cp.Version = 1
	s.blocks[b.ID] = cp
	if b.Cause != "" {
		s.causes[b.Cause] = b.ID
	}
	s.blockIDs.add(b.ID)
	s.indexBlock(cp)
	if isBan(b.Kind) {
		s.bansVersion++
	}
	s.appendOutbox(b.Outbox)
	b.Version = 1
	return nil
}

// GetBlock implements contextstore.BlockStore.
func (s *Store) GetBlock(ctx context.Context, id string) (*contextstore.Block, error) {
	s.mu.RLock()
	err := s.usable(ctx)
	b, ok := s.blocks[id]
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("getting block %q: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("block %q: %w", id, contextstore.ErrNotFound)
	}
	return b.Clone(), nil
}

// UpdateBlock implements contextstore.BlockStore. It counts as a ban change
// when the stored or the new block is an IP or range ban.
func (s *Store) UpdateBlock(ctx context.Context, b *contextstore.Block) error {
	cp := storableBlock(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("updating block %q: %w", b.ID, err)
	}
	cur, ok := s.blocks[b.ID]
	if !ok {
		return fmt.Errorf("block %q: %w", b.ID, contextstore.ErrNotFound)
	}
	if cur.Version != b.Version {
		return fmt.Errorf("block %q at version %d: %w", b.ID, b.Version, contextstore.ErrVersionConflict)
	}
	cp.Version = b.Version + 1
	s.unindexBlock(cur)
	s.blocks[b.ID] = cp
	s.indexBlock(cp)
	if isBan(b.Kind) || isBan(cur.Kind) {
		s.bansVersion++
	}
	s.appendOutbox(b.Outbox)
	b.Version = cp.Version
	return nil
}

// ListBlocks implements contextstore.BlockStore: it filters with
// BlockQuery.Match, in ID order. A query by user, conversation or IP hash
// reads only that subject's blocks (an index), not all of them.
func (s *Store) ListBlocks(ctx context.Context, q contextstore.BlockQuery) ([]*contextstore.Block, error) {
	var found []*contextstore.Block
	s.mu.RLock()
	err := s.usable(ctx)
	if err == nil {
		ids := s.blockIDs
		if k, ok := queryKey(&q); ok {
			ids = s.blocksBy[k]
		}
		if ids != nil {
			ids.after(q.After, func(id string) bool {
				if b := s.blocks[id]; q.Match(b) {
					found = append(found, b)
				}
				return q.Limit <= 0 || len(found) < q.Limit
			})
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("listing blocks: %w", err)
	}
	for i, b := range found {
		found[i] = b.Clone()
	}
	return found, nil
}

// DeleteBlock implements contextstore.BlockStore.
func (s *Store) DeleteBlock(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("deleting block %q: %w", id, err)
	}
	b, ok := s.blocks[id]
	if !ok {
		return nil
	}
	delete(s.blocks, id)
	if b.Cause != "" {
		delete(s.causes, b.Cause)
	}
	s.blockIDs.remove(id)
	s.unindexBlock(b)
	if isBan(b.Kind) {
		s.bansVersion++
	}
	return nil
}

// BansVersion implements contextstore.BlockStore. It starts at 0 and
// increases by one with every create, update or delete of an IP or range ban.
func (s *Store) BansVersion(ctx context.Context) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return 0, fmt.Errorf("reading the bans version: %w", err)
	}
	return s.bansVersion, nil
}

// blockKey is an entry of the block indexes: a subject field and its value.
type blockKey struct {
	field byte // 'u' UserID, 'c' ConversationID, 'i' IPHash
	value string
}

// blockKeys returns the index entries of b.
func blockKeys(b *contextstore.Block) []blockKey {
	keys := make([]blockKey, 0, 3)
	if b.UserID != "" {
		keys = append(keys, blockKey{'u', b.UserID})
	}
	if b.ConversationID != "" {
		keys = append(keys, blockKey{'c', b.ConversationID})
	}
	if b.IPHash != "" {
		keys = append(keys, blockKey{'i', b.IPHash})
	}
	return keys
}

// queryKey returns the index entry that holds every block q can match.
func queryKey(q *contextstore.BlockQuery) (blockKey, bool) {
	switch {
	case q.UserID != "":
		return blockKey{'u', q.UserID}, true
	case q.ConversationID != "":
		return blockKey{'c', q.ConversationID}, true
	case q.IPHash != "":
		return blockKey{'i', q.IPHash}, true
	}
	return blockKey{}, false
}

// indexBlock adds b to the block indexes; the caller holds s.mu.
func (s *Store) indexBlock(b *contextstore.Block) {
	for _, k := range blockKeys(b) {
		ids := s.blocksBy[k]
		if ids == nil {
			ids = newIDSet()
			s.blocksBy[k] = ids
		}
		ids.add(b.ID)
	}
}

// unindexBlock removes b from the block indexes; the caller holds s.mu.
func (s *Store) unindexBlock(b *contextstore.Block) {
	for _, k := range blockKeys(b) {
		if ids := s.blocksBy[k]; ids != nil {
			ids.remove(b.ID)
			if ids.len() == 0 {
				delete(s.blocksBy, k)
			}
		}
	}
}
