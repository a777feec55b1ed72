// Package logstore is a third-party store backend: the in-memory store,
// logging every conversation it saves. It passes chatflow's store
// conformance suite (contextstore/storetest), as every backend must.
package logstore

import (
	"context"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
)

// Store is a memory store that logs each saved conversation.
type Store struct {
	*memory.Store
	log *zap.Logger
}

var _ contextstore.Store = (*Store)(nil)

// New returns an empty store logging to log.
func New(log *zap.Logger) *Store {
	if log == nil {
		log = zap.NewNop()
	}
	return &Store{Store: memory.New(), log: log}
}

// Open is the backend's chatflow.StoreOpener (serve --store logstore).
func Open(_ context.Context, o chatflow.StoreOptions) (contextstore.Store, error) {
	return New(o.Logger), nil
}

// PutConversation saves c and logs it.
func (s *Store) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if err := s.Store.PutConversation(ctx, c); err != nil {
		return err
	}
	s.log.Info("conversation saved", zap.String("conversation", c.ID), zap.Int64("version", c.Version))
	return nil
}
