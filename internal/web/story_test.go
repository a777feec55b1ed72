package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The stories of the HTTP end-to-end tests, clicked through the three
// pages in headless Chromium: a visitor chats and is queued, an agent
// takes the chat in the console and disconnects with block feedback, the
// visitor is refused, a supervisor finds the block in the portal by its
// filters and unblocks with a note, and the visitor is queued again.
// Each step saves a screenshot (story-*.png).

// storyAgentBlocks: the signed-in agent on ctx takes the next chat of the
// support queue, exchanges a message each way with the visitor on visitor,
// and disconnects with block feedback: abusive language, secret notes,
// 1 day.
func storyAgentBlocks(e *uiEnv, agent, visitor context.Context, prefix string) {
	e.t.Helper()
	agentTake(e, agent, "support", 1)
	e.typeKeys(agent, "#message", "Hello, I'm Ann. How can I help?\r")
	e.waitText(visitor, "#transcript", "Hello, I'm Ann. How can I help?")
	say(e, visitor, "You are useless!!")
	e.waitText(agent, "#transcript", "You are useless!!")
	e.shot(agent, prefix+"-2-agent-chat")

	e.click(agent, "#disconnect")
	e.click(agent, "#fb-block-yes")
	e.fill(agent, "#fb-reason", "abusive_language")
	e.fill(agent, "#fb-notes", "insulted-the-agent-7f3a")
	e.click(agent, "#fb-period-1d")
	e.checkLabels(agent, "the agent's feedback form")
	e.shot(agent, prefix+"-3-agent-feedback")
	e.click(agent, "#fb-submit")
	e.confirm(agent, true, "")
	e.waitText(agent, "#status", "visitor blocked for 1 day")
}

// storyUnblock: the supervisor on ctx filters the active blocks by key
// type and agent, expects exactly one row, opens its details and unblocks
// it with a note; it returns the block's id.
func storyUnblock(e *uiEnv, admin context.Context, kind, prefix string) string {
	e.t.Helper()
	e.admSignIn(admin, "supervisor")
	e.fill(admin, "#f-kind", kind)
	e.fill(admin, "#f-agent", agentEmail)
	e.click(admin, "#f-apply")
	e.admWaitRows(admin, 1, `r.dataset.kind === "`+kind+`"`)
	id := e.admRowIDs(admin)[0]
	e.checkLabels(admin, "the active blocks")
	e.shot(admin, prefix+"-5-admin-blocks")
	e.click(admin, `#blocks-table tbody tr[data-id="`+id+`"] a`)
	e.waitVisible(admin, "#block-details")
	details := e.text(admin, "#block-details")
	for _, want := range []string{agentEmail, "abusive_language", "insulted-the-agent-7f3a", "1 d"} {
		if !strings.Contains(details, want) {
			e.t.Errorf("block details lack %q:\n%s", want, details)
		}
	}
	e.checkLabels(admin, "the block's details")
	e.shot(admin, prefix+"-6-admin-details")
	e.click(admin, "#act-unblock")
	e.confirm(admin, true, "appeal accepted")
	e.waitGone(admin, "#act-unblock")
	var b admBlock
	e.call("GET", "/v1/admin/blocks/"+id, e.tokens["supervisor"], "", http.StatusOK, &b)
	if b.Status != "lifted" || b.LiftedBy != supervisorEmail || b.LiftNotes != "appeal accepted" {
		e.t.Errorf("after Unblock now the block is %+v, want lifted by %s with the note", b, supervisorEmail)
	}
	return id
}

// TestStorySignedInVisitor: a signed-in visitor (the host site's token in
// the page's fragment) is blocked from the agent console; a reload keeps
// the blocked view; on another device the same user is refused when asking
// for an agent (the state is set in that conversation); the supervisor
// unblocks the block found by its filters; the visitor gets the composer
// back without reloading and is queued again.
func TestStorySignedInVisitor(t *testing.T) {
	e := newUI(t)
	visitor, agent, admin := e.desktop(), e.desktop(), e.desktop()

	e.open(visitor, "/chat#user_token="+url.QueryEscape(e.userToken("u-1001", "Dana")), "#message")
	e.waitText(visitor, "#transcript", "Hi Dana!")
	say(e, visitor, "I want an agent")
	e.waitText(visitor, "#transcript", queuedReply)
	e.checkLabels(visitor, "the chat")
	e.shot(visitor, "story-signed-in-1-chat-queued")

	agentSignIn(e, agent)
	e.checkLabels(agent, "the agent console")
	storyAgentBlocks(e, agent, visitor, "story-signed-in")

	checkBlocked(e, visitor)
	e.shot(visitor, "story-signed-in-4-chat-blocked")
	e.reload(visitor, "#blocked-notice")
	checkBlocked(e, visitor)

	// The same user on another device: refused, with the state set.
	device := e.phone()
	e.open(device, "/chat#user_token="+url.QueryEscape(e.userToken("u-1001", "Dana")), "#message")
	e.waitText(device, "#transcript", "Hi Dana!")
	say(e, device, "agent")
	e.waitText(device, "#transcript", "Live chat isn't available")
	checkBlocked(e, device)
	e.shot(device, "story-signed-in-4-chat-refused-phone")
	c, err := e.store.GetConversation(t.Context(), storedConversation(e, device))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Helpdesk.IsBlockedForLiveChat || c.Helpdesk.InQueue {
		t.Errorf("refused conversation: IsBlockedForLiveChat=%v InQueue=%v, want true, false", c.Helpdesk.IsBlockedForLiveChat, c.Helpdesk.InQueue)
	}

	storyUnblock(e, admin, "user", "story-signed-in")

	e.waitJS(device, "the composer comes back", `!document.getElementById("message").disabled`)
	e.waitGone(device, "#blocked-notice:not([hidden])")
	say(e, device, "agent")
	e.waitText(device, "#transcript li:last-child", queuedReply)
	e.shot(device, "story-signed-in-7-chat-queued-again-phone")
	e.waitText(agent, `[data-queue="support"] .badge`, "1 waiting")
}

// TestStoryAnonymousVisitor: a guest is blocked from the agent console
// (a conversation block: LiveChatBlockedUntil in the context), sees only
// the neutral text, and the supervisor's Unblock now gives the composer
// back at once; asking again queues the guest.
func TestStoryAnonymousVisitor(t *testing.T) {
	e := newUI(t)
	visitor, agent, admin := e.desktop(), e.desktop(), e.desktop()

	id := startGuest(e, visitor)
	say(e, visitor, "I want an agent")
	e.waitText(visitor, "#transcript", queuedReply)
	e.shot(visitor, "story-guest-1-chat-queued")

	agentSignIn(e, agent)
	storyAgentBlocks(e, agent, visitor, "story-guest")
	checkBlocked(e, visitor)
	e.reload(visitor, "#blocked-notice")
	checkBlocked(e, visitor)
	e.shot(visitor, "story-guest-4-chat-blocked")
	c, err := e.store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Info.LiveChatBlockedUntil == nil {
		t.Fatal("the guest's context has no LiveChatBlockedUntil after the block")
	}

	storyUnblock(e, admin, "conversation", "story-guest")

	e.waitJS(visitor, "the composer comes back", `!document.getElementById("message").disabled`)
	say(e, visitor, "agent")
	e.waitText(visitor, "#transcript li:last-child", queuedReply)
	e.shot(visitor, "story-guest-7-chat-queued-again")
	if c, err = e.store.GetConversation(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if c.Info.LiveChatBlockedUntil != nil || !c.Helpdesk.InQueue {
		t.Errorf("after the unblock: LiveChatBlockedUntil=%v InQueue=%v, want null, true", c.Info.LiveChatBlockedUntil, c.Helpdesk.InQueue)
	}
}
