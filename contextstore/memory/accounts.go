package memory

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatflow/chatflow/contextstore"
)

// accountTable holds the staff accounts. Stored accounts are immutable
// (a write replaces the record), like every record of the store; it is
// guarded by Store.mu.
type accountTable struct {
	byID    map[string]*contextstore.Account
	ids     []string          // sorted
	byToken map[string]string // TokenHash -> account id
}

func newAccountTable() accountTable {
	return accountTable{byID: map[string]*contextstore.Account{}, byToken: map[string]string{}}
}

// storableAccount returns the copy of a to store, its times without their
// monotonic clock readings.
func storableAccount(a *contextstore.Account) *contextstore.Account {
	cp := a.Clone()
	cp.CreatedAt = cp.CreatedAt.Round(0)
	roundTime(cp.RevokedAt)
	return cp
}

// CreateAccount implements contextstore.AccountStore.
func (s *Store) CreateAccount(ctx context.Context, a *contextstore.Account) error {
	if a.ID == "" {
		return errors.New("creating account: empty id")
	}
	if a.TokenHash == "" {
		return fmt.Errorf("creating account %q: empty token hash", a.ID)
	}
	cp := storableAccount(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("creating account %q: %w", a.ID, err)
	}
	t := &s.accounts
	if _, ok := t.byID[a.ID]; ok {
		return fmt.Errorf("account %q: %w", a.ID, contextstore.ErrAlreadyExists)
	}
	if _, ok := t.byToken[a.TokenHash]; ok {
		return fmt.Errorf("account %q: token hash: %w", a.ID, contextstore.ErrAlreadyExists)
	}
	cp.Version = 1
	t.byID[a.ID] = cp
	t.ids = insertID(t.ids, a.ID)
	t.byToken[a.TokenHash] = a.ID
	a.Version = 1
	return nil
}

// GetAccount implements contextstore.AccountStore.
func (s *Store) GetAccount(ctx context.Context, id string) (*contextstore.Account, error) {
	s.mu.RLock()
	err := s.usable(ctx)
	a, ok := s.accounts.byID[id]
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("getting account %q: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("account %q: %w", id, contextstore.ErrNotFound)
	}
	return a.Clone(), nil
}

// GetAccountByTokenHash implements contextstore.AccountStore. The hash is
// not repeated in errors: it identifies a credential.
func (s *Store) GetAccountByTokenHash(ctx context.Context, hash string) (*contextstore.Account, error) {
	s.mu.RLock()
	err := s.usable(ctx)
	var a *contextstore.Account
	if err == nil {
		if id, ok := s.accounts.byToken[hash]; ok {
			a = s.accounts.byID[id]
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("getting account by token hash: %w", err)
	}
	if a == nil {
		return nil, fmt.Errorf("account by token hash: %w", contextstore.ErrNotFound)
	}
	return a.Clone(), nil
}

// UpdateAccount implements contextstore.AccountStore.
func (s *Store) UpdateAccount(ctx context.Context, a *contextstore.Account) error {
	if a.TokenHash == "" {
		return fmt.Errorf("updating account %q: empty token hash", a.ID)
	}
	cp := storableAccount(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("updating account %q: %w", a.ID, err)
	}
	t := &s.accounts
	cur, ok := t.byID[a.ID]
	if !ok {
		return fmt.Errorf("account %q: %w", a.ID, contextstore.ErrNotFound)
	}
	if cur.Version != a.Version {
		return fmt.Errorf("account %q at version %d: %w", a.ID, a.Version, contextstore.ErrVersionConflict)
	}
	if cur.TokenHash != a.TokenHash {
		if _, taken := t.byToken[a.TokenHash]; taken {
			return fmt.Errorf("account %q: token hash: %w", a.ID, contextstore.ErrAlreadyExists)
		}
		delete(t.byToken, cur.TokenHash)
		t.byToken[a.TokenHash] = a.ID
	}
	cp.Version = a.Version + 1
	t.byID[a.ID] = cp
	a.Version = cp.Version
	return nil
}

// ListAccounts implements contextstore.AccountStore: every account, in ID
// order.
func (s *Store) ListAccounts(ctx context.Context) ([]*contextstore.Account, error) {
	var found []*contextstore.Account
	s.mu.RLock()
	err := s.usable(ctx)
	if err == nil {
		for _, id := range s.accounts.ids {
			found = append(found, s.accounts.byID[id])
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	for i, a := range found {
		found[i] = a.Clone()
	}
	return found, nil
}
