package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// floodLimit is examples/chatflow.yaml's conversation_messages burst: the
// messages a conversation may send at once before it is throttled.
const floodLimit = 10

// TestStoryAutomodFlood: an anonymous visitor (from a public address:
// loopback is never one person) floods the chat. The widget shows the
// neutral "slow down" notice and keeps the typed text; the third refused
// message completes an offence on the ladder and the visitor is blocked
// with the neutral text. A supervisor finds the block in the portal with
// actor automod:conversation_messages, follows it to the conversation,
// sees the strikes and the rule, and lifts it as any block; the visitor
// can chat again once the limit has refilled (the fake clock advances).
func TestStoryAutomodFlood(t *testing.T) {
	e := newUI(t)
	visitor, sup := e.desktop(), e.desktop()
	e.fromIP(visitor, "203.0.113.77")
	id := startGuest(e, visitor)
	for i := 1; i <= floodLimit; i++ {
		say(e, visitor, fmt.Sprintf("spam %d", i))
	}

	// The 11th message is refused: a neutral notice, the text stays.
	e.typeKeys(visitor, "#message", "spam 11\r")
	e.waitText(visitor, "#status", "You're sending messages too quickly")
	if got := evalJS[string](e, visitor, `document.getElementById("message").value`); got != "spam 11" {
		t.Errorf("after the slow-down notice the composer holds %q, want the typed text", got)
	}
	if in, send := composerEnabled(e, visitor); !in || !send {
		t.Errorf("throttled composer: input enabled %v, send enabled %v; want both", in, send)
	}
	e.checkLabels(visitor, "the throttled chat")
	e.shot(visitor, "story-automod-throttled")

	// Two more refusals (each a new message: a retry of the same one is
	// one strike) make three strikes within the window: an offence.
	for i := 12; i <= 13; i++ {
		e.fill(visitor, "#message", "")
		e.typeKeys(visitor, "#message", fmt.Sprintf("spam %d\r", i))
		if i < 13 {
			e.waitJS(visitor, "the send is answered", `!document.getElementById("send").disabled && document.getElementById("status").textContent.includes("too quickly")`)
		}
	}
	checkBlocked(e, visitor)
	e.shot(visitor, "story-automod-blocked")
	text := strings.ToLower(pageText(e, visitor))
	for _, secret := range []string{"automod", "conversation_messages", "strike"} {
		if strings.Contains(text, secret) {
			t.Errorf("the visitor's page shows %q:\n%s", secret, text)
		}
	}

	// The supervisor sees the automatic block, with its actor.
	e.admSignIn(sup, "supervisor")
	e.admWaitRows(sup, 1, `r.textContent.includes("automod:conversation_messages")`)
	blockID := e.admRowIDs(sup)[0]
	e.checkLabels(sup, "the active blocks with an automatic block")
	e.admGo(sup, "#block/"+blockID)
	e.waitText(sup, `#block-details dd[data-field="created_by"]`, "automod:conversation_messages")
	e.shot(sup, "story-automod-block")

	// Its conversation shows the strikes and the rule that gave them.
	e.click(sup, `#block-details dd[data-field="conversation_id"] a`)
	e.waitVisible(sup, "#conv-strikes")
	e.waitJS(sup, "the strikes of the visitor are listed",
		`[...document.querySelectorAll("#conv-strikes .subject")].some((s) => s.dataset.subject.startsWith("ip:") && s.querySelectorAll("tbody tr").length >= 3)`)
	if got := e.text(sup, "#conv-strikes"); !strings.Contains(got, "conversation_messages") || !strings.Contains(got, "1 hour") {
		t.Errorf("the strikes panel does not name the rule and the next period:\n%s", got)
	}
	if strings.Contains(e.text(sup, "#conv-strikes"), "203.0.113.77") {
		t.Error("the strikes panel shows the visitor's address")
	}
	e.checkLabels(sup, "the conversation with strikes")
	e.shot(sup, "story-automod-strikes")

	// Lifting works as for any block.
	e.admGo(sup, "#block/"+blockID)
	e.click(sup, "#act-unblock")
	e.confirm(sup, true, "flood test, not a person")
	e.waitText(sup, `#block-details dd[data-field="status"]`, "lifted")
	if got := e.admGetBlock(blockID); got.Status != "lifted" || got.LiftedBy != supervisorEmail {
		t.Errorf("lifted block = %+v", got)
	}
	e.waitJS(visitor, "the composer is enabled again",
		`!document.getElementById("message").disabled && document.getElementById("blocked-notice").hidden`)
	e.clk.Advance(time.Minute) // the conversation's limit refills
	e.fill(visitor, "#message", "")
	say(e, visitor, "sorry, I'm here")
	var strikes struct {
		Subjects []struct {
			Subject  string `json:"subject"`
			Offences int    `json:"offences"`
		} `json:"subjects"`
	}
	e.call("GET", "/v1/admin/conversations/"+id+"/strikes", e.tokens["supervisor"], "", http.StatusOK, &strikes)
	if len(strikes.Subjects) == 0 || strikes.Subjects[0].Offences != 1 {
		t.Errorf("strikes after the lift = %+v, want the offence kept (the ladder remembers)", strikes.Subjects)
	}
}

// admGo navigates the portal in ctx to the hash route and waits until its
// view has a heading.
func (e *uiEnv) admGo(ctx context.Context, hash string) {
	e.t.Helper()
	evalJS[bool](e, ctx, fmt.Sprintf(`(location.hash = %q, true)`, hash))
	e.waitJS(ctx, "the view of "+hash+" shows", fmt.Sprintf(`location.hash === %q && !!document.querySelector("#view h2")`, hash))
}
