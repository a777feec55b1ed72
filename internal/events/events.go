package events

import (
	"context"
	"slices"
	"sync"
	"time"
)

// The event types.
const (
	BlockCreated = "block.created"
	BlockRenewed = "block.renewed"
	BlockEdited  = "block.edited"
	BlockLifted  = "block.lifted"
	// BlockExpired and BanExpired say that a block's period ended by
	// itself (announced once, by whichever instance marks it first).
	BlockExpired = "block.expired"
	BanExpired   = "ban.expired"
	// BanCreated and BanLifted are the IP and range forms of BlockCreated
	// and BlockLifted (renewals and edits of bans are block.renewed and
	// block.edited).
	BanCreated = "ban.created"
	BanLifted  = "ban.lifted"
	// ConversationBlocked says that a sanction ended a conversation's live
	// chat (or refused it), once per conversation and sanction.
	ConversationBlocked = "conversation.blocked"
)

// Event is one domain event.
type Event struct {
	// Type is one of the constants above.
	Type string `json:"type"`
	// At is when the change happened (UTC).
	At time.Time `json:"at"`
	// Actor is who made the change: a staff email or id, "flow",
	// "automod:<rule>" or "system".
	Actor string `json:"actor"`
	// BlockID is the sanction the event is about.
	BlockID string `json:"block_id"`
	// Kind is the sanction's kind: user, conversation, ip or range.
	Kind string `json:"kind"`
	// ConversationID is set on conversation.blocked, and on block events
	// made in a conversation.
	ConversationID string `json:"conversation_id,omitempty"`
	// Source is where a created sanction came from: flow, agent, admin,
	// automod.
	Source string `json:"source,omitempty"`
	// Details are non-personal facts: until, period, channels, category.
	Details map[string]string `json:"details,omitempty"`
}

// Publisher receives domain events after the change they describe was
// stored. It must be safe for concurrent use and should not block for
// long; an error is logged by the caller, never undoes the change.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// Discard is the Publisher that drops every event.
var Discard Publisher = discard{}

type discard struct{}

func (discard) Publish(context.Context, Event) error { return nil }

// Func adapts a function to Publisher.
type Func func(ctx context.Context, e Event) error

// Publish calls f.
func (f Func) Publish(ctx context.Context, e Event) error { return f(ctx, e) }

// Fanout publishes every event to each of its publishers in order,
// returning the first error after all were called.
type Fanout []Publisher

// Publish implements Publisher.
func (f Fanout) Publish(ctx context.Context, e Event) error {
	var first error
	for _, p := range f {
		if err := p.Publish(ctx, e); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Recorder keeps every event it receives; tests read them with Events.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Publish implements Publisher.
func (r *Recorder) Publish(_ context.Context, e Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

// Events returns a copy of the events received so far, oldest first,
// optionally only those of the given types.
func (r *Recorder) Events(types ...string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if len(types) == 0 || slices.Contains(types, e.Type) {
			out = append(out, e)
		}
	}
	return out
}
