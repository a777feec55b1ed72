// Package events defines chatflow's domain events — what happened to a
// sanction or a conversation, for notifications, webhooks and audits — and
// the Publisher the domain services hand them to.
//
// Every sanction change emits exactly one event, from the one place that
// makes the change (internal/blocking), next to its audit event: a block
// created, renewed, edited or lifted ("block.*"), an IP or range ban
// created or lifted ("ban.*"), and, from the sanctions pipeline, each
// conversation whose live chat a sanction ended ("conversation.blocked").
// Events carry ids and non-personal facts only — no reason, no notes, no
// IP address — so they may leave staff paths (a webhook, a notification)
// without leaking what the visitor must not see.
//
// Every block event is also written to the store's transactional outbox
// (contextstore.Outbox) in the same atomic step as the change, so no event
// is lost when the process dies right after a change and none exists for
// a change that did not happen; deliverers (internal/webhooks) read it in
// order. Expiries are announced once (block.expired, ban.expired), by the
// maintenance round of whichever instance marks the block first. The
// Publisher is the in-process copy, for live use (the sanctions queue,
// notifications); the default is Discard, and tests use Recorder.
package events
