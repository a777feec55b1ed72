package contextstore

import (
	"context"
	"time"
)

// OutboxEvent is a domain event written in the same atomic step as the
// change that caused it (the transactional outbox), so that no event is
// lost when the process dies right after a change and none exists for a
// change that did not happen. Deliverers (webhooks, notifications) read
// the outbox in order.
type OutboxEvent struct {
	// ID is set by the store: 20 digits, increasing in the order the
	// events were written, so string order is write order.
	ID string `json:"ID"`
	// Type is the event type ("block.created").
	Type string `json:"Type"`
	// At is when the change happened.
	At time.Time `json:"At"`
	// Subject is what the event is about (a block id); deliveries of one
	// subject keep their order.
	Subject string `json:"Subject"`
	// Data is the event's JSON payload.
	Data []byte `json:"Data"`
}

// Outbox reads the events the stores wrote with their changes (see
// Block.Outbox).
type Outbox interface {
	// ReadOutbox returns up to limit events with an ID after after ("":
	// from the start), in ID order.
	ReadOutbox(ctx context.Context, after string, limit int) ([]OutboxEvent, error)
}
