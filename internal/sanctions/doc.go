// Package sanctions is the sanctions pipeline: the one path every block
// and ban takes, whatever made it — the IsBlockedForLiveChat flow action,
// an agent's direct block, an admin's block or ban, and (later) automatic
// moderation and appeals.
//
//  1. decide: internal/blocking is the single owner of "is this subject
//     barred from this channel now, and by which sanction"
//     (blocking.Service.DecideConversation); nobody else computes it;
//  2. record: blocking.Service.Sanction stores the block once, keyed by
//     its cause (the inbound event's idempotency key and the flow step, or
//     the staff request's idempotency key), so a retried or duplicated turn
//     or request reuses it;
//  3. apply: Pipeline.Effects is the one function that applies a
//     sanction's effects to a conversation — the live chat ends, the
//     conversation leaves its queue, it is marked blocked (and spam when
//     asked), the configured neutral message is sent (never the reason),
//     the bot stays silent for the rest of the turn, and a staff-only line
//     goes into the transcript. It runs inside the flow's turn for the
//     action, and through flows.Executor.Update (the executor stays the
//     only writer of a conversation, with its per-conversation
//     serialization and compare-and-swap) for every other conversation the
//     sanction covers: the user's other chats, every chat from a banned IP
//     or range. Applying is idempotent: a conversation records the
//     sanctions applied to it (Conversation.Sanctions);
//  4. emit: blocking writes one audit event and one domain event per
//     change; the pipeline adds conversation.blocked for each conversation
//     whose chat a sanction ended.
//
// Lifts, renewals and edits of a conversation block go through the
// pipeline too: it writes the context's LiveChatBlockedUntil (what
// blocking.Service.ConversationUntil says) through the executor.
//
// The pipeline sits above flows and the domain services, beside the
// channels (internal/server, internal/agentdesk), which call it; the
// domain packages never import it.
package sanctions
