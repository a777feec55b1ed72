package contextstore

import (
	"context"
	"time"
)

// Conversation is the context of one conversation: everything a turn reads and
// writes. It is loaded at the start of a turn and saved at its end with an
// optimistic compare-and-swap on Version.
type Conversation struct {
	ID string `json:"ID"`
	// Version is incremented by every successful Put; 0 means never stored.
	Version int64 `json:"Version"`

	Info     ConversationInfo `json:"ConversationInfo"`
	User     ChatUser         `json:"ChatUser"`
	Feedback AgentFeedback    `json:"AgentFeedback"`
	Helpdesk HelpdeskClient   `json:"HelpdeskClient"`
	// Vars holds the flow variables (@Name in expressions). Values are JSON
	// types (string, float64, bool, nil, []any, map[string]any) or time.Time.
	Vars map[string]any `json:"Vars"`

	// Pins maps a flow id to the version this conversation started on: a
	// conversation keeps running that version until it ends.
	Pins map[string]int `json:"Pins,omitempty"`
	// Cursor is where the conversation waits for the user's input; nil when
	// no flow is waiting.
	Cursor *Cursor `json:"Cursor,omitempty"`
	Ended  bool    `json:"Ended"`

	// Transcript holds the most recent messages, oldest first.
	Transcript []Message `json:"Transcript,omitempty"`
	// Processed remembers the idempotency keys of the inbound events of
	// the idempotency window (a period, 24 hours by default) with their
	// replies, so a retried event is answered from here instead of being
	// executed again. It is saved atomically with the rest of the context.
	Processed []ProcessedEvent `json:"Processed,omitempty"`
	// Sanctions are the ids of the blocks whose effects were applied to
	// this conversation (the live chat ended, the queue left, the neutral
	// message sent), so that applying a sanction again changes nothing.
	Sanctions []string `json:"Sanctions,omitempty"`

	CreatedAt time.Time `json:"CreatedAt"`
	UpdatedAt time.Time `json:"UpdatedAt"`
}

// Cursor points at the ask step a conversation waits on.
type Cursor struct {
	FlowID  string `json:"FlowID"`
	Version int    `json:"Version"`
	StepID  string `json:"StepID"`
}

// Message is one line of a transcript.
type Message struct {
	At   time.Time `json:"At"`
	From string    `json:"From"` // FromUser, FromBot, FromAgent, FromSystem or FromStaff
	Text string    `json:"Text"`
	// Held marks a visitor line that automatic moderation keeps from the
	// agent (a hold rule) until a supervisor releases it.
	Held bool `json:"Held,omitempty"`
}

// Senders of transcript messages (Message.From).
const (
	FromUser   = "user"
	FromBot    = "bot"
	FromAgent  = "agent"
	FromSystem = "system"
	// FromStaff lines are notes for staff only ("blocked by agent@… for
	// 1 day"): no visitor view shows them.
	FromStaff = "staff"
)

// ProcessedEvent records an inbound event that was executed.
type ProcessedEvent struct {
	Key     string   `json:"Key"`
	Replies []string `json:"Replies,omitempty"`
	// At is when the event was executed; the key is forgotten once At
	// falls out of the idempotency window. Zero for records written
	// before windows were timed: those are kept until a newer one ages.
	At time.Time `json:"At,omitzero"`
}

// ConversationFilter selects conversations for List. Zero fields match all.
type ConversationFilter struct {
	// Blocked, when set, keeps only conversations whose Info.Blocked equals it.
	Blocked *bool
	UserID  string
	Limit   int
	// After is the id to continue after (pagination cursor, exclusive).
	After string
}

// ConversationStore persists conversation contexts.
type ConversationStore interface {
	// GetConversation returns a copy of the stored context, or ErrNotFound.
	GetConversation(ctx context.Context, id string) (*Conversation, error)
	// PutConversation stores c if the stored version equals c.Version (0:
	// it must not exist yet) and then sets c.Version to the new version.
	// Otherwise it returns ErrVersionConflict and stores nothing.
	PutConversation(ctx context.Context, c *Conversation) error
	// DeleteConversation removes a context; deleting a missing one is not an error.
	DeleteConversation(ctx context.Context, id string) error
	// ListConversations returns conversations ordered by id.
	ListConversations(ctx context.Context, f ConversationFilter) ([]*Conversation, error)
}

// ActivityStore persists the per-user ChatActivityData entity.
type ActivityStore interface {
	// GetActivity returns the user's ChatActivityData, or ErrNotFound.
	GetActivity(ctx context.Context, userID string) (*ChatActivityData, error)
	// PutActivity stores d with the same compare-and-swap contract as
	// PutConversation (on d.Version).
	PutActivity(ctx context.Context, d *ChatActivityData) error
}
