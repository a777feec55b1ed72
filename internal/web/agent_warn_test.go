package web_test

import (
	"net/http"
	"testing"
)

// TestAgentWarn: "Warn…" in the console asks first (Cancel sends
// nothing), then the bot says the agent's warning (or the standard one)
// to the visitor and the visitor gets a strike; the third warning within
// the ladder's window blocks them automatically (automod:agent-warning).
func TestAgentWarn(t *testing.T) {
	e := newUI(t)
	visitor, agent := e.desktop(), e.desktop()
	id := startGuest(e, visitor)
	say(e, visitor, "I want an agent")
	e.waitText(visitor, "#transcript", queuedReply)
	agentSignIn(e, agent)
	agentTake(e, agent, "support", 1)

	e.click(agent, "#warn")
	e.waitVisible(agent, "dialog.confirm")
	e.checkLabels(agent, "the warn dialog")
	e.confirm(agent, false, "")
	e.waitText(agent, "#status", "No warning sent.")

	e.click(agent, "#warn")
	e.confirm(agent, true, "Please stay polite.")
	e.waitText(agent, "#status", "Visitor warned.")
	e.waitText(visitor, "#transcript li.from-bot:last-child", "Please stay polite.")
	e.click(agent, "#warn")
	e.confirm(agent, true, "")
	e.waitText(visitor, "#transcript li.from-bot:last-child", "Please keep the conversation respectful.")
	// The visitor saw it, so the warning was sent; Warn… is enabled again
	// once the console has read the chat back.
	e.waitJS(agent, "Warn… is enabled again", `!document.getElementById("warn").disabled && document.getElementById("status").textContent === "Visitor warned."`)
	var strikes struct {
		Subjects []struct {
			Subject string `json:"subject"`
			Strikes int    `json:"strikes"`
		} `json:"subjects"`
	}
	e.call("GET", "/v1/admin/conversations/"+id+"/strikes", e.tokens["supervisor"], "", http.StatusOK, &strikes)
	if len(strikes.Subjects) != 1 || strikes.Subjects[0].Strikes != 2 {
		t.Errorf("strikes after two warnings = %+v, want 2 on the conversation", strikes.Subjects)
	}

	e.click(agent, "#warn")
	e.confirm(agent, true, "")
	e.waitText(agent, "#status", "blocked automatically")
	checkBlocked(e, visitor)
	var list struct {
		Blocks []admBlock `json:"blocks"`
	}
	e.call("GET", "/v1/admin/blocks?status=active&kind=conversation", e.tokens["supervisor"], "", http.StatusOK, &list)
	if len(list.Blocks) != 1 || list.Blocks[0].CreatedBy != "automod:agent-warning" {
		t.Errorf("active blocks = %+v, want one by automod:agent-warning", list.Blocks)
	}
}
