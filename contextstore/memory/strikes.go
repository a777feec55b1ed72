package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// AddStrike implements contextstore.StrikeStore.
func (s *Store) AddStrike(ctx context.Context, st *contextstore.Strike, keep time.Duration) error {
	cp, err := contextstore.NewStrike(st, keep)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("adding strike to %q: %w", st.Subject, err)
	}
	list, ok := contextstore.MergeStrike(s.strikes[cp.Subject], cp, keep)
	if !ok {
		return nil
	}
	s.strikes[cp.Subject] = list
	return nil
}

// ListStrikes implements contextstore.StrikeStore.
func (s *Store) ListStrikes(ctx context.Context, subject string, since time.Time) ([]*contextstore.Strike, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("listing strikes of %q: %w", subject, err)
	}
	var out []*contextstore.Strike
	for _, st := range s.strikes[subject] {
		if !st.At.Before(since) {
			out = append(out, st.Clone())
		}
	}
	return out, nil
}

// ClearStrikes implements contextstore.StrikeStore.
func (s *Store) ClearStrikes(ctx context.Context, subject string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return 0, fmt.Errorf("clearing strikes of %q: %w", subject, err)
	}
	n := len(s.strikes[subject])
	delete(s.strikes, subject)
	return n, nil
}
