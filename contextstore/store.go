package contextstore

import "context"

// Store is everything a chatflow server persists: the composition of the
// narrow store interfaces, each owned by the services that use it (the
// executor takes ConversationStore and ActivityStore, the blocking service
// BlockStore, ActivityStore and AuditLog, auth AccountStore and AuditLog,
// the queue QueueStore, moderation StrikeStore). Every backend implements
// it and passes contextstore/storetest.Run.
type Store interface {
	ConversationStore
	ActivityStore
	BlockStore
	Outbox
	AuditLog
	QueueStore
	AccountStore
	StrikeStore
	WebhookStore
	// Ping reports whether the backend is reachable (readiness).
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}
