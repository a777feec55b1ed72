// Package helpdesk holds the built-in live-chat actions of the
// specification (spec 002):
//
//   - HelpdeskClient.IsBlockedForLiveChat blocks the chat user: an
//     authenticated user goes on the Live Chat Blacklist (and, with
//     SaveToChatActivityData, into ChatActivityData); an anonymous user gets
//     ConversationInfo.LiveChatBlockedUntil = now + BlockIntervalMinutes in
//     the conversation context, so the block holds within that conversation
//     and a flow can lift it by setting the field to null or GetDate().
//   - ConnectToHelpdeskAgent places the conversation in a waiting queue and
//     returns true, or returns false without queueing and sets the state
//     HelpdeskClient.IsBlockedForLiveChat (blocked) or
//     HelpdeskClient.IsOutsideWorkingHours (closed) for the flow to branch on.
//   - HelpdeskClient.IsOutsideWorkingHours returns and sets the
//     working-hours state.
//
// The actions depend on narrow interfaces (Blacklist, Gate, Queue, Hours)
// that internal/app satisfies with the blocking and queue services, so the
// actions are tested with small fakes and the services without flows.
package helpdesk
