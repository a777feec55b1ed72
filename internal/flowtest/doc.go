// Package flowtest runs scripted conversations against flows: the engine of
// `chatflow test` and of the Go tests that run every example script.
//
// A script is a YAML file (*.test.yaml) that names the flows to load, the
// starting clock and user, and a list of steps, each a one-key map:
//
//	name: anonymous user is blocked, then unblocks themself
//	flows: ../flows                 # relative to the script (default ../flows)
//	clock: 2026-01-05T10:00:00Z     # default; a Monday
//	conversation: {id: c1, ip: 203.0.113.7}   # anonymous; add user: {id: u1} for an authenticated one
//	steps:
//	  - start: true                 # the conversation-start event
//	  - user: I want a human        # the user writes
//	  - bot: [Connecting you…]      # the exact replies of the last turn
//	  - bot_contains: queue         # some reply contains this text
//	  - bot_not_contains: spam      # no reply contains it (e.g. a block reason)
//	  - expect:                     # context values; a value may be an "=expression"
//	      "[[ConversationInfo]].LiveChatBlockedUntil": 2026-01-06T10:00:00Z
//	      "@InternalActionResult": false
//	  - assert: "=[[HelpdeskClient]].IsBlockedForLiveChat"
//	  - advance: 24h                # move the clock; nothing sleeps
//	  - agent_disconnected: {agent: a@example.com, block: true, reason: spam, minutes: 60}
//	  - conversation: {id: c2, user: {id: u1}}  # switch to (or create) another conversation
//	  - end: true
//
// Services add their own commands (queue, agent and admin steps) through
// System.Commands. A failing step stops its script with a readable diff; the
// runner goes on with the next script and ends with "N passed, M failed".
package flowtest
