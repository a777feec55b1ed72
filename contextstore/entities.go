package contextstore

import "time"

// ConversationInfo is the [[ConversationInfo]] system entity: facts about one
// conversation, stored in its context. A nil LiveChatBlockedUntil means the
// anonymous user of this conversation is not blocked; a block is active while
// LiveChatBlockedUntil is later than now (see IsActiveAt).
type ConversationInfo struct {
	ConversationID string    `json:"ConversationID"`
	Channel        string    `json:"Channel"`
	StartedAt      time.Time `json:"StartedAt"`
	// VisitorIPCipher is the visitor's IP address sealed (AES-256-GCM by
	// internal/privacy) when the conversation was created; the clear
	// address is never stored. Whoever needs the address (the ban decision,
	// an agent's IP block) opens it with the sealer; flows cannot.
	VisitorIPCipher []byte `json:"VisitorIPCipher,omitempty"`
	// VisitorIPHash is the keyed hash (HMAC-SHA256) of the canonical
	// address, set with VisitorIPCipher: equal for equal addresses under
	// one key, it tells flows and staff views whether two conversations
	// share a visitor address without revealing it.
	VisitorIPHash string `json:"VisitorIPHash,omitempty"`
	// LegacyVisitorIP is the clear address that contexts written before
	// the address was sealed kept under "VisitorIP". It is read only to
	// migrate: the executor seals it and clears it when the conversation is
	// next loaded for a turn or an update. Nothing sets it.
	LegacyVisitorIP      string     `json:"VisitorIP,omitempty"`
	Language             string     `json:"Language,omitempty"`
	LiveChatBlockedUntil *time.Time `json:"LiveChatBlockedUntil"`
	// Blocked is set when a block ended the live chat of this conversation.
	Blocked bool `json:"Blocked"`
	// MarkedSpam is set when the blocking agent also marked the chat as spam.
	MarkedSpam bool `json:"MarkedSpam"`
}

// HasVisitorIP reports whether a visitor address is known for the
// conversation (sealed, or in clear in a context not yet migrated).
func (i *ConversationInfo) HasVisitorIP() bool {
	return len(i.VisitorIPCipher) > 0 || i.LegacyVisitorIP != ""
}

// ChatUser is the [[ChatUser]] system entity: who is chatting. UserID is set
// only when the channel verified the user's identity (IsAuthenticated).
type ChatUser struct {
	UserID          string `json:"UserID,omitempty"`
	Name            string `json:"Name,omitempty"`
	Email           string `json:"Email,omitempty"`
	IsAuthenticated bool   `json:"IsAuthenticated"`
}

// ChatActivityData is the [[ChatActivityData]] system entity of an
// authenticated user. It is stored per user, not per conversation, and the
// LiveChatBlocked* fields are written by HelpdeskClient.IsBlockedForLiveChat
// only when its SaveToChatActivityData parameter is true.
type ChatActivityData struct {
	UserID                     string     `json:"UserID"`
	LiveChatBlockedUntil       *time.Time `json:"LiveChatBlockedUntil"`
	LiveChatBlockedReason      string     `json:"LiveChatBlockedReason"`
	LiveChatBlockedAt          *time.Time `json:"LiveChatBlockedAt"`
	LiveChatBlockedByAgentName string     `json:"LiveChatBlockedByAgentName"`
	Version                    int64      `json:"Version"`
}

// AgentFeedback is the [[AgentFeedback]] system entity: what the helpdesk agent
// answered when disconnecting from the chat. It is set by the
// agent_disconnected event before that flow runs.
type AgentFeedback struct {
	AgentEmail           string `json:"AgentEmail,omitempty"`
	Block                bool   `json:"Block"`
	ReasonCategory       string `json:"ReasonCategory,omitempty"`
	Notes                string `json:"Notes,omitempty"`
	BlockIntervalMinutes int    `json:"BlockIntervalMinutes,omitempty"`
	// MarkSpam asks that a blocked conversation also be marked as spam.
	MarkSpam bool `json:"MarkSpam,omitempty"`
	// Permanent is the agent's choice of a permanent block; a flow passes
	// it to HelpdeskClient.IsBlockedForLiveChat as Permanent.
	Permanent bool `json:"Permanent,omitempty"`
	Rating    int  `json:"Rating,omitempty"`
}

// HelpdeskClient is the [[HelpdeskClient]] entity: the states that helpdesk
// actions set so that flows can branch on them, for example
// IsBlockedForLiveChat after ConnectToHelpdeskAgent refused a blocked user.
type HelpdeskClient struct {
	IsBlockedForLiveChat  bool   `json:"IsBlockedForLiveChat"`
	IsOutsideWorkingHours bool   `json:"IsOutsideWorkingHours"`
	InQueue               bool   `json:"InQueue"`
	AgentConnected        bool   `json:"AgentConnected"`
	AgentEmail            string `json:"AgentEmail,omitempty"`
	Queue                 string `json:"Queue,omitempty"`
}

// IsActiveAt reports whether a block with the given until-time holds at now:
// it does iff until is set and later than now. Expiry is decided on read.
func IsActiveAt(until *time.Time, now time.Time) bool {
	return until != nil && until.After(now)
}
