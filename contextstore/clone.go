package contextstore

import (
	"maps"
	"slices"
	"time"
)

// CloneValue deep-copies a value of the JSON data model (maps, slices,
// strings, numbers, bools, nil) plus time.Time. Other types are copied as
// they are (shared), which is safe for immutable values only.
func CloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = CloneValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = CloneValue(e)
		}
		return s
	case *time.Time:
		return cloneTime(x)
	}
	return v
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// Clone returns a deep copy of c.
func (c *Conversation) Clone() *Conversation {
	out := *c
	out.Info.LiveChatBlockedUntil = cloneTime(c.Info.LiveChatBlockedUntil)
	out.Info.VisitorIPCipher = slices.Clone(c.Info.VisitorIPCipher)
	if c.Vars != nil {
		out.Vars = make(map[string]any, len(c.Vars))
		for k, v := range c.Vars {
			out.Vars[k] = CloneValue(v)
		}
	}
	out.Pins = maps.Clone(c.Pins)
	if c.Cursor != nil {
		cur := *c.Cursor
		out.Cursor = &cur
	}
	out.Transcript = slices.Clone(c.Transcript)
	if c.Processed != nil {
		out.Processed = make([]ProcessedEvent, len(c.Processed))
		for i, p := range c.Processed {
			out.Processed[i] = ProcessedEvent{Key: p.Key, Replies: slices.Clone(p.Replies), At: p.At}
		}
	}
	out.Sanctions = slices.Clone(c.Sanctions)
	return &out
}

// Clone returns a deep copy of d.
func (d *ChatActivityData) Clone() *ChatActivityData {
	out := *d
	out.LiveChatBlockedUntil = cloneTime(d.LiveChatBlockedUntil)
	out.LiveChatBlockedAt = cloneTime(d.LiveChatBlockedAt)
	return &out
}

// Clone returns a deep copy of b.
func (b *Block) Clone() *Block {
	out := *b
	out.IPCipher = slices.Clone(b.IPCipher)
	out.Channels = slices.Clone(b.Channels)
	out.Until = cloneTime(b.Until)
	out.LiftedAt = cloneTime(b.LiftedAt)
	out.LastHitAt = cloneTime(b.LastHitAt)
	out.Outbox = slices.Clone(b.Outbox)
	return &out
}

// Clone returns a deep copy of e.
func (e *AuditEvent) Clone() *AuditEvent {
	out := *e
	out.Details = maps.Clone(e.Details)
	return &out
}

// Match reports whether e satisfies q (except Limit and After).
func (q *AuditQuery) Match(e *AuditEvent) bool {
	switch {
	case q.BlockID != "" && e.BlockID != q.BlockID,
		q.Actor != "" && e.Actor != q.Actor,
		q.Action != "" && e.Action != q.Action,
		!q.From.IsZero() && e.At.Before(q.From),
		!q.To.IsZero() && !e.At.Before(q.To):
		return false
	}
	return true
}

// Match reports whether c satisfies f (except Limit and After).
func (f *ConversationFilter) Match(c *Conversation) bool {
	if f.Blocked != nil && c.Info.Blocked != *f.Blocked {
		return false
	}
	return f.UserID == "" || c.User.UserID == f.UserID
}
