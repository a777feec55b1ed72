package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/btree"

	"github.com/chatflow/chatflow/contextstore"
)

// Store is the in-memory contextstore.Store. It is safe for concurrent use;
// the zero value is not usable, call New.
type Store struct {
	mu     sync.RWMutex
	closed bool

	convs   map[string]*contextstore.Conversation
	convIDs *idSet // ordered: O(log N) insert and delete

	activity map[string]*contextstore.ChatActivityData

	blocks      map[string]*contextstore.Block
	blockIDs    *idSet              // ordered
	blocksBy    map[blockKey]*idSet // user, conversation and IP hash indexes; see blockKeys
	bansVersion int64
	causes      map[string]string // Block.Cause -> block id

	audit    []*contextstore.AuditEvent // sorted by ID, equal IDs in append order
	auditSeq int64

	outbox    []contextstore.OutboxEvent // in ID (write) order
	outboxSeq int64

	queues map[string][]contextstore.QueueEntry // oldest first
	queued map[string]map[string]bool           // queue -> conversation ids in it

	accounts accountTable // see accounts.go

	strikes map[string][]*contextstore.Strike // subject -> strikes, see strikes.go

	wh *webhookTable // see webhooks.go; made on first use
}

var _ contextstore.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		convs:    map[string]*contextstore.Conversation{},
		convIDs:  newIDSet(),
		activity: map[string]*contextstore.ChatActivityData{},
		blocks:   map[string]*contextstore.Block{},
		blockIDs: newIDSet(),
		blocksBy: map[blockKey]*idSet{},
		causes:   map[string]string{},
		queues:   map[string][]contextstore.QueueEntry{},
		queued:   map[string]map[string]bool{},
		accounts: newAccountTable(),
		strikes:  map[string][]*contextstore.Strike{},
	}
}

// usable reports why an operation cannot run: a cancelled context or a
// closed store. The caller holds s.mu (read or write).
func (s *Store) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return fmt.Errorf("memory store closed: %w", contextstore.ErrUnavailable)
	}
	return nil
}

// Ping implements contextstore.Store: nil until the store is closed.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Close implements contextstore.Store. It drops the data; later operations
// fail with an error wrapping contextstore.ErrUnavailable. Closing twice is
// not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.convs, s.convIDs, s.activity, s.blocks, s.blockIDs, s.blocksBy, s.audit, s.queues = nil, nil, nil, nil, nil, nil, nil, nil
	s.accounts = accountTable{}
	return nil
}

// insertID adds id to the sorted ids unless it is there.
func insertID(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

// compareAuditID orders audit events by ID.
func compareAuditID(e *contextstore.AuditEvent, id string) int {
	return strings.Compare(e.ID, id)
}

// idSet is an ordered set of ids: a B-tree, so that adding or removing
// one of N ids is O(log N) (a sorted slice moves O(N) of them).
type idSet struct{ t *btree.BTreeG[string] }

func newIDSet() *idSet { return &idSet{t: btree.NewOrderedG[string](32)} }

func (s *idSet) add(id string)    { s.t.ReplaceOrInsert(id) }
func (s *idSet) remove(id string) { s.t.Delete(id) }
func (s *idSet) len() int         { return s.t.Len() }

// after calls fn for the ids greater than after, in order, until fn
// returns false.
func (s *idSet) after(after string, fn func(id string) bool) {
	s.t.AscendGreaterOrEqual(after, func(id string) bool {
		return id == after || fn(id)
	})
}
