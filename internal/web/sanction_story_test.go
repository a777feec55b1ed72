package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// sanctionOnce checks that the conversation of the visitor's page shows
// one sanction in the staff transcript, one block.create audit event and
// one active block of that kind — and that the visitor's own transcript
// holds none of it.
func sanctionOnce(e *uiEnv, visitor context.Context, kind string) {
	e.t.Helper()
	c, err := e.store.GetConversation(e.t.Context(), storedConversation(e, visitor))
	if err != nil {
		e.t.Fatal(err)
	}
	var staff []string
	for _, m := range c.Transcript {
		if m.From == contextstore.FromStaff {
			staff = append(staff, m.Text)
		}
	}
	if len(staff) != 1 || len(c.Sanctions) != 1 {
		e.t.Fatalf("staff lines %q, sanctions %q: want one of each", staff, c.Sanctions)
	}
	id := c.Sanctions[0]
	var audit struct {
		Events []struct {
			Action string `json:"action"`
		} `json:"events"`
	}
	e.call("GET", "/v1/admin/audit?block_id="+id, e.tokens["supervisor"], "", http.StatusOK, &audit)
	if len(audit.Events) != 1 || audit.Events[0].Action != "block.create" {
		e.t.Errorf("audit of block %s = %+v, want one block.create", id, audit.Events)
	}
	var list struct {
		Blocks []admBlock `json:"blocks"`
	}
	e.call("GET", "/v1/admin/blocks?status=active&kind="+kind, e.tokens["supervisor"], "", http.StatusOK, &list)
	if len(list.Blocks) != 1 || list.Blocks[0].ID != id {
		e.t.Errorf("active %s blocks %+v, want only %s", kind, list.Blocks, id)
	}
	if !strings.Contains(staff[0], id) {
		e.t.Errorf("staff line %q does not name block %s", staff[0], id)
	}
	for _, line := range pageTranscript(e, visitor) {
		if strings.Contains(line.Text, "blocked by") || strings.Contains(line.Text, id) {
			e.t.Errorf("the visitor's transcript shows the staff line %q", line.Text)
		}
	}
}

// TestStoryRangeBanEndsLiveChat: agent A chats with a visitor from
// 203.0.113.50; an admin bans 203.0.113.0/24 in the portal; the agent
// console and the visitor's page both show the chat ended — the visitor
// only the neutral text — and the transcript, the audit log and the block
// list each show the sanction once.
func TestStoryRangeBanEndsLiveChat(t *testing.T) {
	e := newUI(t)
	visitor, agent, admin := e.desktop(), e.desktop(), e.desktop()
	e.fromIP(visitor, "203.0.113.50")
	startGuest(e, visitor)
	say(e, visitor, "I want an agent")
	e.waitText(visitor, "#transcript", queuedReply)
	agentSignIn(e, agent)
	agentTake(e, agent, "support", 1)
	e.typeKeys(agent, "#message", "Hello, I'm Ann. How can I help?\r")
	e.waitText(visitor, "#transcript", "Hello, I'm Ann. How can I help?")

	e.admSignIn(admin, "admin")
	e.click(admin, "#tab-bans")
	e.waitVisible(admin, "#ban-form")
	e.click(admin, "#ban-type-range")
	e.waitText(admin, `label[for="ban-address"]`, "Range")
	e.fill(admin, "#ban-address", "203.0.113.0/24")
	e.fill(admin, "#ban-period", "1d")
	e.fill(admin, "#ban-category", "spam")
	e.fill(admin, "#ban-notes", "bot-network-51c2")
	e.click(admin, "#ban-submit")
	e.confirm(admin, true, "")
	e.waitText(admin, "#status", "Banned the range 203.0.113.0/24")
	banned := time.Now()

	checkBlocked(e, visitor)
	e.waitText(agent, "#chat-state", "The visitor is blocked from live chat: this chat has ended.")
	t.Logf("both pages showed the ended chat %v after the ban was confirmed (the console polls every %d ms here)", time.Since(banned).Round(10*time.Millisecond), pagePollMS)
	e.shot(agent, "story-range-ban-agent")
	e.shot(visitor, "story-range-ban-visitor")
	if strings.Contains(strings.ToLower(pageText(e, visitor)), "bot-network-51c2") {
		t.Error("the visitor's page shows the ban's notes")
	}
	sanctionOnce(e, visitor, "range")
}

// TestStoryDirectAgentBlockEndsLiveChat: agent A chats with a visitor and
// blocks them with "Block now…" in the console; both pages show the chat
// ended, the visitor only the neutral text and no survey, and the
// transcript, the audit log and the block list each show the sanction
// once.
func TestStoryDirectAgentBlockEndsLiveChat(t *testing.T) {
	e := newUI(t)
	visitor, agent := e.desktop(), e.desktop()
	startGuest(e, visitor)
	say(e, visitor, "I want an agent")
	e.waitText(visitor, "#transcript", queuedReply)
	agentSignIn(e, agent)
	agentTake(e, agent, "support", 1)
	e.typeKeys(agent, "#message", "Hello, I'm Ann. How can I help?\r")
	e.waitText(visitor, "#transcript", "Hello, I'm Ann. How can I help?")
	say(e, visitor, "You are useless!!")
	e.waitText(agent, "#transcript", "You are useless!!")

	e.click(agent, "#block-now")
	e.waitVisible(agent, "#block-dialog")
	if evalJS[bool](e, agent, `!document.getElementById("bk-target-user-label").hidden`) {
		t.Error("the console offers to block the user of an anonymous visitor")
	}
	e.fill(agent, "#bk-reason", "abusive_language")
	e.fill(agent, "#bk-period", "1d")
	e.fill(agent, "#bk-notes", "insulted-the-agent-7f3a")
	e.checkLabels(agent, "the agent's block dialog")
	e.shot(agent, "story-direct-block-dialog")
	e.click(agent, "#bk-submit")
	e.waitText(agent, "#status", "Visitor blocked for 1 day")
	blocked := time.Now()

	checkBlocked(e, visitor)
	e.waitText(agent, "#chat-state", "The visitor is blocked from live chat: this chat has ended.")
	t.Logf("both pages showed the ended chat %v after the block", time.Since(blocked).Round(10*time.Millisecond))
	e.shot(agent, "story-direct-block-agent")
	e.shot(visitor, "story-direct-block-visitor")
	for _, line := range pageTranscript(e, visitor) {
		if strings.Contains(line.Text, "rate the conversation") {
			t.Errorf("the blocked visitor got the survey: %q", line.Text)
		}
	}
	sanctionOnce(e, visitor, "conversation")
}
