package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// modConversation starts a conversation through the API and sends texts
// as its visitor; it returns the conversation's id.
func modConversation(e *uiEnv, texts ...string) string {
	e.t.Helper()
	var c struct {
		ID string `json:"id"`
	}
	e.call("POST", "/v1/conversations", "", `{"channel":"live_chat"}`, http.StatusCreated, &c)
	for i, text := range texts {
		e.call("POST", "/v1/conversations/"+c.ID+"/messages", "", fmt.Sprintf(`{"text": %q, "idempotency_key": "k%d"}`, text, i), http.StatusOK, nil)
	}
	return c.ID
}

// TestAdminModeration: the Moderation tab lists the example rules with
// their hits (enforced and shadow) and the recent hits with a link to the
// conversation; an admin switches a rule between shadow and enforce (a
// confirmation; Cancel keeps the mode), a supervisor sees the mode but no
// switch. The conversation's strikes are cleared from its view.
func TestAdminModeration(t *testing.T) {
	e := newUI(t)
	rude := modConversation(e, "you idiot")
	spam := modConversation(e, "free airdrop here")

	ctx := e.desktop()
	e.admSignIn(ctx, "admin")
	e.click(ctx, "#tab-moderation")
	e.waitVisible(ctx, "#mod-rules")
	row := func(id string) string { return fmt.Sprintf(`#mod-rules tr[data-id=%q]`, id) }
	e.waitText(ctx, row("insults")+" td:nth-child(5)", "1")
	e.waitText(ctx, row("crypto-spam")+" td:nth-child(6)", "1")
	if got := e.text(ctx, row("crypto-spam")+" [data-mode]"); got != "shadow" {
		t.Errorf("crypto-spam mode = %q, want shadow", got)
	}
	for _, conv := range []string{rude, spam} {
		if !evalJS[bool](e, ctx, fmt.Sprintf(`!!document.querySelector('#mod-hits tr[data-conversation=%q] a[href="#conversation/%s"]')`, conv, conv)) {
			t.Errorf("no recent hit links to conversation %s", conv)
		}
	}
	if got := e.text(ctx, "#mod-limits"); !strings.Contains(got, "conversation_messages") {
		t.Errorf("limits = %q", got)
	}
	e.checkLabels(ctx, "the moderation tab")
	e.shot(ctx, "admin-moderation")

	// Cancel keeps the mode; Enforce switches it (and it is audited).
	e.click(ctx, "#mode-crypto-spam")
	e.confirm(ctx, false, "")
	e.waitText(ctx, "#status", "keeps its mode")
	e.click(ctx, "#mode-crypto-spam")
	e.confirm(ctx, true, "")
	e.waitText(ctx, "#status", "Rule crypto-spam is now in enforce mode.")
	e.waitText(ctx, row("crypto-spam")+" [data-mode]", "enforce")
	e.waitJS(ctx, "focus stays on the switch", `document.activeElement.id === "mode-crypto-spam"`)
	var audit struct {
		Events []struct {
			Actor   string            `json:"actor"`
			Details map[string]string `json:"details"`
		} `json:"events"`
	}
	e.call("GET", "/v1/admin/audit?action=automod.rule.mode", e.tokens["admin"], "", http.StatusOK, &audit)
	if len(audit.Events) != 1 || audit.Events[0].Actor != adminEmail || audit.Events[0].Details["shadow"] != "false" {
		t.Errorf("mode audit = %+v", audit.Events)
	}

	// A supervisor sees the modes, not the switches.
	sup := e.desktop()
	e.admSignIn(sup, "supervisor")
	e.admGo(sup, "#moderation")
	e.waitText(sup, row("crypto-spam")+" [data-mode]", "enforce")
	if evalJS[bool](e, sup, `!!document.querySelector("#mod-rules button")`) {
		t.Error("a supervisor is offered the shadow/enforce switch")
	}
	e.checkLabels(sup, "the moderation tab of a supervisor")

	// The recent hit leads to the conversation, whose strikes are cleared.
	e.click(sup, fmt.Sprintf(`#mod-hits tr[data-conversation=%q] a`, rude))
	e.waitJS(sup, "the strikes of the warned visitor show",
		`[...document.querySelectorAll("#conv-strikes .subject")].some((s) => s.querySelector("tbody tr[data-rule=insults]"))`)
	sel := fmt.Sprintf(`#conv-strikes button[data-subject="conv:%s"]`, rude)
	e.click(sup, sel)
	e.confirm(sup, false, "")
	e.waitText(sup, "#status", "The strikes are kept.")
	e.click(sup, sel)
	e.confirm(sup, true, "a joke between friends")
	e.waitText(sup, "#status", "Cleared 1 strike.")
	e.waitJS(sup, "the conversation's strikes are gone",
		fmt.Sprintf(`(() => { const s = document.querySelector('#conv-strikes .subject[data-subject="conv:%s"]'); return !!s && !s.querySelector("tbody") && s.querySelector("button").disabled; })()`, rude))
	e.call("GET", "/v1/admin/audit?action=automod.strikes.clear", e.tokens["admin"], "", http.StatusOK, &audit)
	if len(audit.Events) != 1 || audit.Events[0].Actor != supervisorEmail || audit.Events[0].Details["notes"] != "a joke between friends" {
		t.Errorf("clear audit = %+v", audit.Events)
	}
	e.checkLabels(sup, "the conversation after clearing strikes")
}
