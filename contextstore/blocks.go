package contextstore

import (
	"context"
	"slices"
	"time"
)

// BlockKind says what a block is keyed by.
type BlockKind string

// The kinds of block.
const (
	// KindUser blocks an authenticated user (the Live Chat Blacklist).
	KindUser BlockKind = "user"
	// KindConversation blocks one conversation (anonymous users).
	KindConversation BlockKind = "conversation"
	// KindIP bans one IP address (IPv4 or IPv6).
	KindIP BlockKind = "ip"
	// KindRange bans (or, with Allow, exempts) an IP range.
	KindRange BlockKind = "range"
)

// Block is one block or ban. A block is active while it is not lifted and its
// Until is nil (permanent) or later than now; expiry is decided on read.
type Block struct {
	// ID is unique and sorts by creation time (the blocking service makes it).
	ID   string    `json:"ID"`
	Kind BlockKind `json:"Kind"`

	UserID         string `json:"UserID,omitempty"`
	ConversationID string `json:"ConversationID,omitempty"`
	// IPHash is a keyed hash of the canonical IP address (KindIP), for exact
	// lookup without storing the address in clear.
	IPHash string `json:"IPHash,omitempty"`
	// IPCipher is the visitor IP address encrypted at rest (AES-GCM).
	IPCipher []byte `json:"IPCipher,omitempty"`
	// Range is the canonical range of a KindRange block: a CIDR prefix
	// ("203.0.113.0/24") or a start-end pair ("10.0.0.5-10.0.0.9").
	Range string `json:"Range,omitempty"`
	// Allow marks a range entry that exempts addresses from bans of less
	// specific ranges (a hole in a banned range).
	Allow bool `json:"Allow,omitempty"`

	// Channels the block applies to; empty means all channels.
	Channels []string `json:"Channels,omitempty"`

	ReasonCategory string `json:"ReasonCategory,omitempty"`
	// Reason is the free-text reason (BlockReason of IsBlockedForLiveChat).
	Reason string `json:"Reason,omitempty"`
	Notes  string `json:"Notes,omitempty"`

	CreatedAt time.Time `json:"CreatedAt"`
	CreatedBy string    `json:"CreatedBy,omitempty"`
	// Until is when the block ends; nil means permanent.
	Until *time.Time `json:"Until"`

	LiftedAt  *time.Time `json:"LiftedAt,omitempty"`
	LiftedBy  string     `json:"LiftedBy,omitempty"`
	LiftNotes string     `json:"LiftNotes,omitempty"`

	UpdatedAt time.Time  `json:"UpdatedAt"`
	HitCount  int64      `json:"HitCount"`
	LastHitAt *time.Time `json:"LastHitAt,omitempty"`

	// Purged is set once the personal data of an ended block was removed
	// after the retention period.
	Purged bool `json:"Purged,omitempty"`

	// Cause is the opaque key of what made the block (see
	// BlockRequest.Cause); at most one block has a given non-empty Cause.
	Cause string `json:"Cause,omitempty"`
	// MarkSpam records that the conversations this block ends are marked
	// as spam too.
	MarkSpam bool `json:"MarkSpam,omitempty"`
	// ExpiryAnnounced is set once the block's expiry event was written
	// (by one instance: the write that sets it is a compare-and-swap).
	ExpiryAnnounced bool `json:"ExpiryAnnounced,omitempty"`

	// Outbox are domain events that CreateBlock and UpdateBlock write to
	// the store's outbox in the same atomic step as the block (never
	// stored with the block; a failed write writes none of them).
	Outbox []OutboxEvent `json:"-"`

	// Version is incremented by every successful write (compare-and-swap).
	Version int64 `json:"Version"`
}

// ActiveAt reports whether b holds at now.
func (b *Block) ActiveAt(now time.Time) bool {
	if b.LiftedAt != nil {
		return false
	}
	return b.Until == nil || b.Until.After(now)
}

// EndedAt returns when b stopped holding, or false while it is active or
// permanent.
func (b *Block) EndedAt(now time.Time) (time.Time, bool) {
	if b.LiftedAt != nil {
		return *b.LiftedAt, true
	}
	if b.Until != nil && !b.Until.After(now) {
		return *b.Until, true
	}
	return time.Time{}, false
}

// AppliesTo reports whether b covers the channel (empty Channels: all).
func (b *Block) AppliesTo(channel string) bool {
	return len(b.Channels) == 0 || channel == "" || slices.Contains(b.Channels, channel)
}

// BlockStatus selects blocks by state at BlockQuery.At.
type BlockStatus string

// Block statuses for queries.
const (
	StatusAny    BlockStatus = ""
	StatusActive BlockStatus = "active"
	// StatusEnded selects expired and lifted blocks (the history).
	StatusEnded BlockStatus = "ended"
)

// BlockQuery selects blocks. Zero fields match everything. Results are
// ordered by ID (creation order); After continues after a given ID.
type BlockQuery struct {
	Kinds          []BlockKind
	UserID         string
	ConversationID string
	IPHash         string
	Status         BlockStatus
	// At is the reference time for Status; required when Status is set.
	At             time.Time
	Channel        string
	ReasonCategory string
	CreatedBy      string
	CreatedFrom    time.Time // inclusive; zero: unbounded
	CreatedTo      time.Time // exclusive; zero: unbounded
	Limit          int       // 0: no limit
	After          string
}

// Match reports whether b satisfies every field of q except Limit and After.
// Backends use it so that all of them filter identically.
func (q *BlockQuery) Match(b *Block) bool {
	if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, b.Kind) {
		return false
	}
	if q.UserID != "" && b.UserID != q.UserID {
		return false
	}
	if q.ConversationID != "" && b.ConversationID != q.ConversationID {
		return false
	}
	if q.IPHash != "" && b.IPHash != q.IPHash {
		return false
	}
	switch q.Status {
	case StatusActive:
		if !b.ActiveAt(q.At) {
			return false
		}
	case StatusEnded:
		if _, ended := b.EndedAt(q.At); !ended {
			return false
		}
	}
	if q.Channel != "" && len(b.Channels) > 0 && !slices.Contains(b.Channels, q.Channel) {
		return false
	}
	if q.ReasonCategory != "" && b.ReasonCategory != q.ReasonCategory {
		return false
	}
	if q.CreatedBy != "" && b.CreatedBy != q.CreatedBy {
		return false
	}
	if !q.CreatedFrom.IsZero() && b.CreatedAt.Before(q.CreatedFrom) {
		return false
	}
	if !q.CreatedTo.IsZero() && !b.CreatedAt.Before(q.CreatedTo) {
		return false
	}
	return true
}

// BlockStore persists blocks and bans.
type BlockStore interface {
	// CreateBlock stores a new block (b.Version must be 0; it becomes 1).
	// ErrAlreadyExists if the ID is taken; a *CauseTakenError (wrapping
	// ErrAlreadyExists) naming the existing block if b.Cause is not empty
	// and a block with the same Cause exists. The check and the write are
	// one atomic step, so concurrent creates for one cause store one block.
	CreateBlock(ctx context.Context, b *Block) error
	// GetBlock returns a copy of a block, or ErrNotFound.
	GetBlock(ctx context.Context, id string) (*Block, error)
	// UpdateBlock replaces a block if its stored version equals b.Version,
	// then increments b.Version; otherwise ErrVersionConflict (ErrNotFound
	// if it does not exist).
	UpdateBlock(ctx context.Context, b *Block) error
	// ListBlocks returns the blocks matching q, ordered by ID.
	ListBlocks(ctx context.Context, q BlockQuery) ([]*Block, error)
	// DeleteBlock removes a block; deleting a missing one is not an error.
	DeleteBlock(ctx context.Context, id string) error
	// BansVersion returns a counter that increases whenever an IP or range
	// block is created, updated or deleted, so an instance can tell that its
	// in-memory ban table is stale.
	BansVersion(ctx context.Context) (int64, error)
}

// The audit actions of block changes (AuditEvent.Action), written by the
// blocking service and counted by the metrics.
const (
	AuditBlockCreate = "block.create"
	AuditBlockRenew  = "block.renew"
	AuditBlockEdit   = "block.edit"
	AuditBlockLift   = "block.lift"
	AuditBlockPurge  = "block.purge"
)

// AuditEvent records one change or denial, for the audit log and history.
type AuditEvent struct {
	ID      string            `json:"ID"` // sorts by time; set by the store if empty
	At      time.Time         `json:"At"`
	Actor   string            `json:"Actor"`  // agent email, admin name, "system" or "flow"
	Action  string            `json:"Action"` // e.g. "block.create", "block.lift"
	BlockID string            `json:"BlockID,omitempty"`
	Subject string            `json:"Subject,omitempty"` // user id, conversation id, range
	Details map[string]string `json:"Details,omitempty"`
}

// AuditQuery selects audit events; results are ordered by ID (time).
type AuditQuery struct {
	BlockID string
	Actor   string
	Action  string
	From    time.Time // inclusive
	To      time.Time // exclusive
	Limit   int
	After   string
}

// AuditLog is an append-only log of audit events.
type AuditLog interface {
	AppendAudit(ctx context.Context, e *AuditEvent) error
	ListAudit(ctx context.Context, q AuditQuery) ([]*AuditEvent, error)
}

// QueueEntry is one conversation waiting for a helpdesk agent.
type QueueEntry struct {
	ConversationID string    `json:"ConversationID"`
	Queue          string    `json:"Queue"`
	EnqueuedAt     time.Time `json:"EnqueuedAt"`
}

// QueueStore persists the helpdesk waiting queues (one per skill/department).
type QueueStore interface {
	// Enqueue appends a conversation to a queue; enqueueing one that is
	// already in that queue keeps its place and is not an error.
	Enqueue(ctx context.Context, e QueueEntry) error
	// Dequeue removes and returns the oldest entry, or ErrNotFound if empty.
	Dequeue(ctx context.Context, queue string) (QueueEntry, error)
	// RemoveFromQueue removes a conversation from a queue if present.
	RemoveFromQueue(ctx context.Context, queue, conversationID string) error
	// ListQueue returns a queue's entries, oldest first.
	ListQueue(ctx context.Context, queue string) ([]QueueEntry, error)
}

// Store is everything a chatflow server persists. Every backend implements it.
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
