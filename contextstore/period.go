package contextstore

import (
	"fmt"
	"strconv"
	"time"
)

// Lengths of the preset periods, in minutes. A month is 30 days: a period
// is a number of minutes, so it means the same on every day of the year and
// the end shown to the admin is exact.
const (
	MinutesPerHour  = 60
	MinutesPerDay   = 24 * MinutesPerHour
	MinutesPerWeek  = 7 * MinutesPerDay
	MinutesPerMonth = 30 * MinutesPerDay
	// MaxMinutes is the longest custom period, about ten years; longer
	// blocks are permanent.
	MaxMinutes = 3650 * MinutesPerDay
)

// PeriodHelp names the period forms people may type.
const PeriodHelp = "use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90"

// Period is how long a block lasts from the moment it is created or
// renewed: a number of minutes, or permanent. The zero Period is invalid
// (a block always has a chosen length).
type Period struct {
	// Minutes is the length; 1..MaxMinutes unless Permanent.
	Minutes int `json:"Minutes,omitempty"`
	// Permanent blocks have no end until they are lifted; Minutes must
	// then be 0.
	Permanent bool `json:"Permanent,omitempty"`
}

// Problem returns what is wrong with p, or "" when it is valid.
func (p Period) Problem() string {
	switch {
	case p.Permanent && p.Minutes != 0:
		return "choose either minutes or permanent, not both"
	case p.Permanent:
		return ""
	case p.Minutes == 0:
		return "required: " + PeriodHelp
	case p.Minutes < 0:
		return fmt.Sprintf("%d minutes is negative; a block lasts at least 1 minute", p.Minutes)
	case p.Minutes > MaxMinutes:
		return fmt.Sprintf("%d minutes is too long; the longest custom period is %d minutes (10 years), use permanent beyond", p.Minutes, MaxMinutes)
	}
	return ""
}

// Duration returns the length of p; 0 for a permanent period.
func (p Period) Duration() time.Duration {
	if p.Permanent {
		return 0
	}
	return time.Duration(p.Minutes) * time.Minute
}

// Until returns when a block of length p starting at from ends, or nil for
// a permanent one.
func (p Period) Until(from time.Time) *time.Time {
	if p.Permanent {
		return nil
	}
	u := from.Add(p.Duration()).UTC()
	return &u
}

// String returns the shortest form blocking.ParsePeriod reads back:
// "permanent", "1mo", "3mo", "2w", "7d", "1h", "90m";
// "invalid" for a Period that is not valid.
func (p Period) String() string {
	if p.Problem() != "" {
		return "invalid"
	}
	m := p.Minutes
	switch {
	case p.Permanent:
		return "permanent"
	case m%MinutesPerMonth == 0:
		return strconv.Itoa(m/MinutesPerMonth) + "mo"
	case m%MinutesPerWeek == 0 && m != 7*MinutesPerDay:
		return strconv.Itoa(m/MinutesPerWeek) + "w"
	case m%MinutesPerDay == 0:
		return strconv.Itoa(m/MinutesPerDay) + "d"
	case m%MinutesPerHour == 0:
		return strconv.Itoa(m/MinutesPerHour) + "h"
	}
	return strconv.Itoa(m) + "m"
}

// The sources of a sanction (BlockRequest.Source).
const (
	// SourceFlow is a flow's HelpdeskClient.IsBlockedForLiveChat step.
	SourceFlow = "flow"
	// SourceAgent is an agent's direct block from the console.
	SourceAgent = "agent"
	// SourceAdmin is a supervisor's or admin's block or ban.
	SourceAdmin = "admin"
	// SourceAutomod is automatic moderation.
	SourceAutomod = "automod"
)

// BlockRequest asks for a block or ban. It is the one request shape of a
// sanction: it travels unchanged from its source (a flow action, an agent,
// an admin, automatic moderation) to the blocking service, which validates
// it and stores one Block.
type BlockRequest struct {
	// Kind is what the block is keyed by. Empty: inferred when exactly
	// one of UserID, ConversationID, IP and Range is set.
	Kind BlockKind
	// UserID is the subject of a KindUser block; on other kinds it may
	// name the contact the ban was given to, for the record.
	UserID string
	// ConversationID is the subject of a KindConversation block; on other
	// kinds it names the conversation the block was given in.
	ConversationID string
	// IP is the address of a KindIP ban ("203.0.113.7", "2001:db8::1").
	// It is stored encrypted, with a keyed hash for lookups.
	IP string
	// Range is the network of a KindRange ban: CIDR ("203.0.113.0/24")
	// or start–end ("10.0.0.5-10.0.0.9").
	Range string
	// Allow makes an IP or range entry an exception that carves a hole in
	// wider bans (the most specific entry wins).
	Allow bool
	// Channels limits the block to some channels; empty: all.
	Channels []string
	// Period is how long the block lasts from At; required.
	Period Period
	// At is when the block starts. A turn passes its own clock reading,
	// so that the start and the end are decided once, by the turn; zero
	// means the blocking service's clock.
	At time.Time
	// ReasonCategory is one of the reason categories; required except on
	// allow entries and on the flow path (agent feedback may omit it).
	ReasonCategory string
	// Reason is free text; never shown to the customer.
	Reason string
	// Notes are internal notes of the team.
	Notes string
	// Actor is who creates the block: an agent's or admin's email, a
	// staff id, "flow" or "automod:<rule>"; required.
	Actor string
	// Source is where the request comes from (SourceFlow, SourceAgent,
	// SourceAdmin, SourceAutomod); empty is SourceAdmin. The flow path is
	// lenient: an unknown reason category is stored as "other", and a user
	// may be blocked again while blocked (each block its own record).
	Source string
	// Cause identifies what caused the request — the inbound event's
	// idempotency key and the flow step, or the staff request's
	// idempotency key — so that a retried or duplicated cause finds the
	// block it made instead of making another. Empty: no deduplication.
	Cause string
	// MarkSpam asks that the conversations the block ends are also marked
	// as spam.
	MarkSpam bool
	// SaveToChatActivityData writes a user block into the user's
	// ChatActivityData too (HelpdeskClient.IsBlockedForLiveChat).
	SaveToChatActivityData bool
}
