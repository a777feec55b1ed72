// Package contextstore defines what chatflow persists and the interfaces its
// storage backends implement: the per-conversation context (with the
// specification's system entities ConversationInfo, ChatUser, AgentFeedback and
// HelpdeskClient), the per-user ChatActivityData entity, blocks (the Live Chat
// Blacklist, conversation, IP and IP-range bans), the audit log, the helpdesk
// waiting queue and the staff accounts of the HTTP API (hashed tokens only).
//
// Backends live in sub-packages (memory, bolt, redis) and must all pass the
// conformance suite in contextstore/storetest. Backend errors are translated
// at the boundary into the sentinel errors of this package, so callers check
// them with errors.Is.
//
// The package imports nothing else of chatflow: it is the bottom of the
// dependency graph (channel -> flows -> actions -> services -> store).
package contextstore
