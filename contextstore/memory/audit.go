package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/chatflow/chatflow/contextstore"
)

// AppendAudit implements contextstore.AuditLog. Every append takes the next
// number of a sequence; an event without an ID gets that number, zero-padded
// to 20 digits, so assigned IDs sort in append order. An ID the caller chose
// is kept, also when another event has it: no event is ever dropped, and
// events with equal IDs list in append order.
func (s *Store) AppendAudit(ctx context.Context, e *contextstore.AuditEvent) error {
	cp := e.Clone()
	cp.At = cp.At.Round(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("appending audit event: %w", err)
	}
	s.auditSeq++
	if cp.ID == "" {
		cp.ID = fmt.Sprintf("%020d", s.auditSeq)
	}
	i := upperBound(s.audit, cp.ID)
	s.audit = slices.Insert(s.audit, i, cp)
	e.ID = cp.ID
	return nil
}

// upperBound returns the position of the first event whose ID is greater
// than id.
func upperBound(events []*contextstore.AuditEvent, id string) int {
	i, found := slices.BinarySearchFunc(events, id, compareAuditID)
	for found && i < len(events) && events[i].ID == id {
		i++
	}
	return i
}

// ListAudit implements contextstore.AuditLog: it filters with
// AuditQuery.Match, in ID order.
func (s *Store) ListAudit(ctx context.Context, q contextstore.AuditQuery) ([]*contextstore.AuditEvent, error) {
	var found []*contextstore.AuditEvent
	s.mu.RLock()
	err := s.usable(ctx)
	if err == nil {
		start := 0
		if q.After != "" {
			start = upperBound(s.audit, q.After)
		}
		for _, e := range s.audit[start:] {
			if q.Match(e) {
				found = append(found, e)
				if q.Limit > 0 && len(found) == q.Limit {
					break
				}
			}
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("listing audit events: %w", err)
	}
	for i, e := range found {
		found[i] = e.Clone()
	}
	return found, nil
}
