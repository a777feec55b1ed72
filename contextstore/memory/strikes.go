package memory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// AddStrike implements contextstore.StrikeStore.
func (s *Store) AddStrike(ctx context.Context, st *contextstore.Strike, keep time.Duration) error {
	if st.ID == "" || st.Subject == "" {
		return errors.New("adding strike: empty id or subject")
	}
	if keep <= 0 {
		return fmt.Errorf("adding strike to %q: keep %s is not positive", st.Subject, keep)
	}
	cp := st.Clone()
	cp.At = cp.At.Round(0).UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("adding strike to %q: %w", st.Subject, err)
	}
	cut := cp.At.Add(-keep)
	list := s.strikes[cp.Subject][:0:0]
	for _, old := range s.strikes[cp.Subject] {
		if old.ID == cp.ID {
			return nil
		}
		if !old.At.Before(cut) {
			list = append(list, old)
		}
	}
	list = append(list, cp)
	contextstore.SortStrikes(list)
	if over := len(list) - contextstore.MaxStrikesPerSubject; over > 0 {
		list = list[over:]
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
