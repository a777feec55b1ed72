package contextstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Strike is one moderation violation recorded against a subject: a refused
// request (rate limit), a watched-word rule hit, an agent's warning, or the
// sanction the ladder gave for earlier strikes. Automatic moderation
// (internal/moderation) counts a subject's strikes within a window to
// decide graduated sanctions; strikes older than the decay period are
// forgotten.
type Strike struct {
	// ID identifies the strike within its subject; AddStrike with an ID
	// the subject already has stores nothing (a retried turn adds its
	// strike once). Moderation derives it from the turn's cause.
	ID string `json:"ID"`
	// Subject is what the strike counts against: "user:<id>" for a signed-in
	// user, "ip:<keyed hash>" for an anonymous visitor's address (never the
	// clear address), "conv:<id>" for a conversation; moderation also keeps
	// its rule hit log under "rule:<id>".
	Subject string    `json:"Subject"`
	At      time.Time `json:"At"`
	// Kind is what happened: "rate", "rule", "agent", "sanction", "hit".
	Kind string `json:"Kind"`
	// Rule names the limit or rule, or the agent, behind the strike.
	Rule string `json:"Rule,omitempty"`
	// ConversationID is the conversation the violation happened in, if any.
	ConversationID string `json:"ConversationID,omitempty"`
	// Details are non-personal facts (the action, "shadow", the block id).
	Details map[string]string `json:"Details,omitempty"`
}

// Clone returns a deep copy of s.
func (s *Strike) Clone() *Strike {
	cp := *s
	cp.Details = maps.Clone(s.Details)
	return &cp
}

// MaxStrikesPerSubject bounds the strikes one subject keeps, so a flood
// cannot grow a subject's record without end; the ladder needs only the
// recent ones.
const MaxStrikesPerSubject = 100

// StrikeStore keeps the strikes of moderation subjects.
type StrikeStore interface {
	// AddStrike records s under s.Subject, unless the subject already has
	// a strike with s.ID (then it returns nil and changes nothing). It
	// forgets the subject's strikes older than s.At minus keep, and the
	// backend may drop the whole subject once keep has passed since its
	// newest strike (a TTL); keep must be positive. A subject keeps at most
	// MaxStrikesPerSubject strikes: the oldest beyond it are dropped.
	AddStrike(ctx context.Context, s *Strike, keep time.Duration) error
	// ListStrikes returns the strikes of subject at or after since, oldest
	// first (ties in ID order); none is not an error.
	ListStrikes(ctx context.Context, subject string, since time.Time) ([]*Strike, error)
	// ClearStrikes forgets every strike of subject and returns how many
	// there were.
	ClearStrikes(ctx context.Context, subject string) (int, error)
}

// NewStrike checks AddStrike's arguments and returns the copy of s a
// backend stores (its time without a monotonic reading, in UTC): the one
// check and normalization every backend shares.
func NewStrike(s *Strike, keep time.Duration) (*Strike, error) {
	if s.ID == "" || s.Subject == "" {
		return nil, errors.New("adding strike: empty id or subject")
	}
	if keep <= 0 {
		return nil, fmt.Errorf("adding strike to %q: keep %s is not positive", s.Subject, keep)
	}
	cp := s.Clone()
	cp.At = cp.At.Round(0).UTC()
	return cp, nil
}

// MergeStrike is AddStrike's rule for backends that keep a subject's
// strikes as one list: s (from NewStrike) joins list, the strikes older
// than s.At minus keep are forgotten and at most MaxStrikesPerSubject
// stay, sorted (SortStrikes). It returns false, and no list, when list
// already has a strike with s.ID. list itself is not changed.
func MergeStrike(list []*Strike, s *Strike, keep time.Duration) ([]*Strike, bool) {
	cut := s.At.Add(-keep)
	out := make([]*Strike, 0, len(list)+1)
	for _, o := range list {
		if o.ID == s.ID {
			return nil, false
		}
		if !o.At.Before(cut) {
			out = append(out, o)
		}
	}
	out = append(out, s)
	SortStrikes(out)
	if over := len(out) - MaxStrikesPerSubject; over > 0 {
		out = out[over:]
	}
	return out, true
}

// SortStrikes orders strikes oldest first, ties by ID: the order
// ListStrikes returns. Backends use it so that all of them agree.
func SortStrikes(list []*Strike) {
	slices.SortStableFunc(list, func(a, b *Strike) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
