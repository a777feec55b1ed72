package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/chatflow/chatflow/contextstore"
)

// appendOutbox adds events with the next ids; the caller holds s.mu and
// is writing the change they belong to.
func (s *Store) appendOutbox(events []contextstore.OutboxEvent) {
	for _, e := range events {
		s.outboxSeq++
		e.ID = fmt.Sprintf("%020d", s.outboxSeq)
		e.At = e.At.Round(0)
		e.Data = slices.Clone(e.Data)
		s.outbox = append(s.outbox, e)
	}
}

// ReadOutbox implements contextstore.Outbox.
func (s *Store) ReadOutbox(ctx context.Context, after string, limit int) ([]contextstore.OutboxEvent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	i := sort.Search(len(s.outbox), func(i int) bool { return s.outbox[i].ID > after })
	end := len(s.outbox)
	if limit > 0 && i+limit < end {
		end = i + limit
	}
	out := make([]contextstore.OutboxEvent, 0, end-i)
	for _, e := range s.outbox[i:end] {
		e.Data = slices.Clone(e.Data)
		out = append(out, e)
	}
	return out, nil
}
