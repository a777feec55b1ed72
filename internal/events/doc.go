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
// Publishers are called after the change is stored. A durable outbox (the
// notifications issue) implements Publisher in the same transaction as the
// change; until then the default publisher is Discard, and tests use
// Recorder.
package events
