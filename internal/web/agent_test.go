package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/chatflow/chatflow/internal/server"
)

// agentVisitor starts an anonymous live-chat conversation through the
// API and asks for an agent, which queues it in "support"; it returns the
// conversation id.
func agentVisitor(e *uiEnv) string {
	e.t.Helper()
	var st struct {
		ID string `json:"id"`
	}
	e.call("POST", "/v1/conversations", "", `{"channel":"live_chat"}`, 201, &st)
	if st.ID == "" {
		e.t.Fatal("POST /v1/conversations: no id")
	}
	agentVisitorSays(e, st.ID, "I want an agent")
	return st.ID
}

// agentVisitorSays posts the visitor's message text to conversation id.
func agentVisitorSays(e *uiEnv, id, text string) {
	e.t.Helper()
	e.call("POST", "/v1/conversations/"+id+"/messages", "", fmt.Sprintf(`{"text":%q}`, text), 200, nil)
}

// agentSignIn opens the console in ctx and signs in with the agent's
// token, typed with real key events and sent with Enter.
func agentSignIn(e *uiEnv, ctx context.Context) {
	e.t.Helper()
	e.open(ctx, "/agent", "#token")
	e.typeKeys(ctx, "#token", e.tokens["agent"]+kb.Enter)
	e.waitVisible(ctx, "#console")
	e.waitText(ctx, "#who-name", agentEmail)
}

// agentTake waits until queue shows want waiting visitors, takes the next
// one and waits until its transcript shows the visitor's first message.
func agentTake(e *uiEnv, ctx context.Context, queue string, want int) {
	e.t.Helper()
	q := fmt.Sprintf(`[data-queue=%q]`, queue)
	e.waitText(ctx, q+" .badge", fmt.Sprintf("%d waiting", want))
	e.click(ctx, q+" button.take")
	e.waitText(ctx, "#transcript", "I want an agent")
	e.waitVisible(ctx, "#message")
}

// agentFeedbackOpen reports whether the feedback dialog is open.
const agentFeedbackOpen = `document.getElementById("feedback").open`

// agentBlock is a block as GET /v1/admin/blocks lists it.
type agentBlock struct {
	ID             string  `json:"id"`
	Kind           string  `json:"kind"`
	Status         string  `json:"status"`
	ConversationID string  `json:"conversation_id"`
	ReasonCategory string  `json:"reason_category"`
	Notes          string  `json:"notes"`
	CreatedAt      string  `json:"created_at"`
	CreatedBy      string  `json:"created_by"`
	Until          *string `json:"until"`
}

// agentBlocks lists the blocks of conversation id (query: extra filters,
// "" for none), as a supervisor sees them.
func agentBlocks(e *uiEnv, id, query string) []agentBlock {
	e.t.Helper()
	var out struct {
		Blocks []agentBlock `json:"blocks"`
	}
	path := "/v1/admin/blocks"
	if query != "" {
		path += "?" + query
	}
	e.call("GET", path, e.tokens["supervisor"], "", 200, &out)
	var mine []agentBlock
	for _, b := range out.Blocks {
		if b.ConversationID == id {
			mine = append(mine, b)
		}
	}
	return mine
}

// length returns until − created_at of b, or -1 for a permanent block.
func (b agentBlock) length(t *testing.T) time.Duration {
	t.Helper()
	if b.Until == nil {
		return -1
	}
	from, err := time.Parse(time.RFC3339, b.CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	to, err := time.Parse(time.RFC3339, *b.Until)
	if err != nil {
		t.Fatal(err)
	}
	return to.Sub(from)
}

// agentState returns the state of conversation id as the agent API
// reports it, or "" with the status code when it answers an error.
func agentState(e *uiEnv, id string) (string, int) {
	e.t.Helper()
	resp := e.get("/v1/agent/conversations/"+url.PathEscape(id), e.tokens["agent"])
	if resp.StatusCode != 200 {
		return "", resp.StatusCode
	}
	var c struct {
		State string `json:"state"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		e.t.Fatal(err)
	}
	return c.State, 200
}

// agentCount returns how many transcript entries contain text.
func agentCount(e *uiEnv, ctx context.Context, text string) int {
	e.t.Helper()
	return evalJS[int](e, ctx, fmt.Sprintf(`[...document.querySelectorAll("#transcript li")].filter(li => li.textContent.includes(%q)).length`, text))
}

func TestAgentTakesChatAndBlocks(t *testing.T) {
	e := newUI(t)
	id := agentVisitor(e)
	ctx := e.desktop()
	agentSignIn(e, ctx)
	if got := e.text(ctx, "#who-role"); got != "agent" {
		t.Errorf("role shown = %q, want agent", got)
	}
	if cur := evalJS[string](e, ctx, `document.querySelector('nav a[aria-current="page"]').textContent`); cur != "Agent console" {
		t.Errorf("current page in the nav = %q", cur)
	}

	// The waiting visitor, then the chat.
	e.waitText(ctx, `[data-queue="support"] .badge`, "1 waiting")
	e.waitVisible(ctx, fmt.Sprintf(`[data-queue="support"] li[data-conversation=%q]`, id))
	e.shot(ctx, "agent-queue")
	agentTake(e, ctx, "support", 1)
	e.waitText(ctx, "#chat-who", "Anonymous")
	if role := evalJS[string](e, ctx, `document.getElementById("transcript-log").getAttribute("role")`); role != "log" {
		t.Errorf("transcript role = %q, want log", role)
	}
	e.waitText(ctx, `[data-queue="support"] .badge`, "0 waiting")
	if !evalJS[bool](e, ctx, `document.querySelector('[data-queue="support"] button.take').disabled`) {
		t.Error("Take next is enabled on an empty queue")
	}

	// The agent writes (Enter sends); the visitor gets it.
	e.typeKeys(ctx, "#message", "Hello, I'm Ann"+kb.Enter)
	e.waitText(ctx, "#transcript li.from-agent", "Hello, I'm Ann")
	if v := evalJS[string](e, ctx, `document.getElementById("message").value`); v != "" {
		t.Errorf("message box after sending = %q, want empty", v)
	}
	var got struct {
		Messages []struct{ From, Text string } `json:"messages"`
	}
	e.call("GET", "/v1/conversations/"+id+"/messages", "", "", 200, &got)
	found := false
	for _, m := range got.Messages {
		found = found || (m.From == "agent" && m.Text == "Hello, I'm Ann")
	}
	if !found {
		t.Errorf("the visitor's transcript lacks the agent's message: %+v", got.Messages)
	}

	// The visitor answers; the console shows it.
	agentVisitorSays(e, id, "You are useless!!")
	e.waitText(ctx, "#transcript li.from-user:last-child", "You are useless!!")
	if n := agentCount(e, ctx, "I want an agent"); n != 1 {
		t.Errorf("the first message is shown %d times (only new messages must be added)", n)
	}

	// A reload keeps the tab signed in and reopens the chat.
	e.reload(ctx, "#transcript li.from-user")
	e.waitText(ctx, "#transcript", "You are useless!!")
	e.waitText(ctx, "#who-name", agentEmail)
	if n := agentCount(e, ctx, "You are useless!!"); n != 1 {
		t.Errorf("the visitor's message is shown %d times after the reload", n)
	}
	e.shot(ctx, "agent-chat")

	// Disconnect with a block of 1 day.
	e.click(ctx, "#disconnect")
	e.waitJS(ctx, "the feedback dialog is open", agentFeedbackOpen)
	if f := evalJS[string](e, ctx, `document.activeElement.id`); f != "fb-block-no" {
		t.Errorf("focus in the feedback dialog on %q, want the No choice", f)
	}
	e.click(ctx, "#fb-block-yes")
	e.waitVisible(ctx, "#fb-reason")
	e.fill(ctx, "#fb-reason", "abusive_language")
	e.fill(ctx, "#fb-notes", "Insulted the agent twice")
	e.click(ctx, "#fb-period-1d")
	e.shot(ctx, "agent-feedback")
	e.click(ctx, "#fb-submit")
	e.waitVisible(ctx, "dialog.confirm[open]")
	if msg := e.text(ctx, "dialog.confirm p"); !strings.Contains(msg, "1 day") {
		t.Errorf("confirmation %q does not name the period", msg)
	}
	e.click(ctx, "dialog.confirm button[value=ok]")
	e.waitText(ctx, "#status", "Chat ended — visitor blocked for 1 day")
	e.waitJS(ctx, "the feedback dialog is closed", "!"+agentFeedbackOpen)
	e.waitVisible(ctx, "#chat-empty")
	e.waitText(ctx, `[data-queue="support"] .badge`, "0 waiting")

	blocks := agentBlocks(e, id, "kind=conversation&status=active")
	if len(blocks) != 1 {
		t.Fatalf("active conversation blocks of %s: %+v, want 1", id, blocks)
	}
	b := blocks[0]
	if b.CreatedBy != agentEmail || b.ReasonCategory != "abusive_language" {
		t.Errorf("block created by %q for %q, want %s for abusive_language", b.CreatedBy, b.ReasonCategory, agentEmail)
	}
	if d := b.length(t); d != 24*time.Hour {
		t.Errorf("block until − created_at = %v, want 24h", d)
	}
	var q struct {
		Waiting []any `json:"waiting"`
	}
	e.call("GET", "/v1/agent/queues/support", e.tokens["agent"], "", 200, &q)
	if len(q.Waiting) != 0 {
		t.Errorf("support queue still has %d waiting", len(q.Waiting))
	}
	if ids := evalJS[string](e, ctx, `sessionStorage.getItem("chatflow.agent.chats")`); ids != "[]" {
		t.Errorf("kept open chats after the disconnect = %s, want []", ids)
	}

	// At phone width: another visitor, taken and answered.
	id2 := agentVisitor(e)
	phone := e.phone()
	agentSignIn(e, phone)
	agentTake(e, phone, "support", 1)
	e.typeKeys(phone, "#message", "Hi from the phone"+kb.Enter)
	e.waitText(phone, "#transcript li.from-agent", "Hi from the phone")
	if w := evalJS[int](e, phone, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("page is %d px wide at 390 px", w)
	}
	e.waitVisible(phone, "#disconnect")
	e.shot(phone, "agent-phone")
	if st, code := agentState(e, id2); st != "agent_joined" {
		t.Errorf("second visitor: state %q (%d), want agent_joined", st, code)
	}
}

func TestAgentBlockPeriods(t *testing.T) {
	for _, tc := range []struct {
		name    string
		block   bool
		period  string // the radio's value
		minutes string // for custom
		confirm string // in the confirmation
		status  string
		want    time.Duration // -1: permanent
	}{
		{name: "custom", block: true, period: "custom", minutes: "90", confirm: "90 minutes", status: "Chat ended — visitor blocked for 90 minutes", want: 90 * time.Minute},
		{name: "permanent", block: true, period: "permanent", confirm: "permanently", status: "Chat ended — visitor blocked permanently", want: -1},
		{name: "no-block", block: false, status: "Chat ended"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newUI(t)
			id := agentVisitor(e)
			ctx := e.desktop()
			agentSignIn(e, ctx)
			agentTake(e, ctx, "support", 1)
			e.click(ctx, "#disconnect")
			e.waitJS(ctx, "the feedback dialog is open", agentFeedbackOpen)
			// Fill the block part in every case: with No it is not sent.
			e.click(ctx, "#fb-block-yes")
			e.fill(ctx, "#fb-reason", "spam")
			e.click(ctx, "#fb-spam")
			e.fill(ctx, "#fb-rating", "2")
			if tc.block {
				e.click(ctx, "#fb-period-"+tc.period)
				if tc.minutes != "" {
					e.waitVisible(ctx, "#fb-minutes")
					e.typeKeys(ctx, "#fb-minutes", tc.minutes)
				}
				e.click(ctx, "#fb-submit")
				e.waitVisible(ctx, "dialog.confirm[open]")
				if msg := e.text(ctx, "dialog.confirm p"); !strings.Contains(msg, tc.confirm) {
					t.Errorf("confirmation %q lacks %q", msg, tc.confirm)
				}
				e.click(ctx, "dialog.confirm button[value=ok]")
			} else {
				e.click(ctx, "#fb-block-no")
				e.waitJS(ctx, "the block fields are hidden", `document.getElementById("fb-block-fields").hidden`)
				e.click(ctx, "#fb-submit")
			}
			e.waitText(ctx, "#status", tc.status)
			e.waitVisible(ctx, "#chat-empty")
			if !tc.block {
				if s := e.text(ctx, "#status"); s != "Chat ended" {
					t.Errorf("status %q, want Chat ended", s)
				}
				if bs := agentBlocks(e, id, ""); len(bs) != 0 {
					t.Errorf("blocks after a disconnect without block: %+v", bs)
				}
				return
			}
			bs := agentBlocks(e, id, "status=active")
			if len(bs) != 1 {
				t.Fatalf("active blocks of %s: %+v, want 1", id, bs)
			}
			if bs[0].CreatedBy != agentEmail {
				t.Errorf("created_by %q", bs[0].CreatedBy)
			}
			if d := bs[0].length(t); d != tc.want {
				t.Errorf("block length %v, want %v (-1: permanent)", d, tc.want)
			}
		})
	}
}

func TestAgentBadTokenAndSignOut(t *testing.T) {
	e := newUI(t)
	ctx := e.desktop()
	e.open(ctx, "/agent", "#token")
	if l := e.text(ctx, `label[for="token"]`); l != "Access token" {
		t.Errorf("token label %q", l)
	}
	if typ := evalJS[string](e, ctx, `document.getElementById("token").type`); typ != "password" {
		t.Errorf("token input type %q, want password", typ)
	}
	e.typeKeys(ctx, "#token", "not-a-valid-token"+kb.Enter)
	e.waitText(ctx, "#status", "That access token is not valid")
	if k := evalJS[string](e, ctx, `document.getElementById("status").dataset.kind`); k != "error" {
		t.Errorf("status kind %q, want error", k)
	}
	if evalJS[bool](e, ctx, `!document.getElementById("console").hidden || !!sessionStorage.getItem("chatflow.staff.token")`) {
		t.Error("signed in with a wrong token")
	}
	// A reload after the failure is still signed out.
	e.reload(ctx, "#token")
	if !evalJS[bool](e, ctx, `document.getElementById("demo").hidden`) {
		t.Error("demo accounts offered on a server without demo mode")
	}

	e.fill(ctx, "#token", e.tokens["supervisor"])
	e.click(ctx, "#signin-submit")
	e.waitVisible(ctx, "#console")
	e.waitText(ctx, "#who-role", "supervisor")
	if tok := evalJS[string](e, ctx, `sessionStorage.getItem("chatflow.staff.token") || ""`); tok != e.tokens["supervisor"] {
		t.Errorf("token in sessionStorage %q", tok)
	}
	e.reload(ctx, "#console")
	e.waitText(ctx, "#who-name", supervisorEmail)

	e.click(ctx, "#sign-out")
	e.waitVisible(ctx, "#signin")
	e.waitText(ctx, "#status", "Signed out")
	if evalJS[bool](e, ctx, `!!sessionStorage.getItem("chatflow.staff.token") || !!sessionStorage.getItem("chatflow.agent.chats") || !document.getElementById("console").hidden`) {
		t.Error("sign-out left the session or the console")
	}
	e.reload(ctx, "#signin")
	if !evalJS[bool](e, ctx, `document.getElementById("console").hidden`) {
		t.Error("console shown after sign-out and reload")
	}
}

func TestAgentDemoSignIn(t *testing.T) {
	e := newUI(t, server.WithDemo([]server.DemoStaff{{Role: server.RoleAgent, Name: "Demo Agent", Email: "demo.agent@acme.test", Token: "demo-agent-token-0123456789"}}))
	ctx := e.phone()
	e.open(ctx, "/agent", "#token")
	e.waitText(ctx, "#demo-buttons", "Sign in as Demo Agent (agent)")
	e.click(ctx, `#demo-buttons button[data-email="demo.agent@acme.test"]`)
	e.waitVisible(ctx, "#console")
	e.waitText(ctx, "#who-name", "demo.agent@acme.test")
	e.waitText(ctx, `[data-queue="support"] .badge`, "0 waiting")
	if w := evalJS[int](e, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("page is %d px wide at 390 px", w)
	}
}

func TestAgentCancelFeedbackKeepsChat(t *testing.T) {
	e := newUI(t)
	id := agentVisitor(e)
	ctx := e.desktop()
	agentSignIn(e, ctx)
	agentTake(e, ctx, "support", 1)

	// Escape closes the feedback dialog; nothing is sent.
	e.click(ctx, "#disconnect")
	e.waitJS(ctx, "the feedback dialog is open", agentFeedbackOpen)
	e.waitJS(ctx, "focus is in the dialog", `document.getElementById("feedback").contains(document.activeElement)`)
	e.key(ctx, "", kb.Escape)
	e.waitJS(ctx, "the feedback dialog is closed", "!"+agentFeedbackOpen)
	e.waitText(ctx, "#status", "Not sent")
	if st, code := agentState(e, id); st != "agent_joined" {
		t.Errorf("after Escape: state %q (%d), want agent_joined", st, code)
	}

	// Yes without a reason: the error is shown next to the field.
	e.click(ctx, "#disconnect")
	e.waitJS(ctx, "the feedback dialog is open", agentFeedbackOpen)
	e.click(ctx, "#fb-block-yes")
	e.fill(ctx, "#fb-notes", "kept notes")
	e.click(ctx, "#fb-submit")
	e.waitVisible(ctx, "#fb-reason-error")
	if f := evalJS[string](e, ctx, `document.activeElement.id`); f != "fb-reason" {
		t.Errorf("focus after the reason error on %q, want fb-reason", f)
	}

	// Cancel in the confirmation: nothing is sent, the form keeps its input.
	e.fill(ctx, "#fb-reason", "harassment")
	e.click(ctx, "#fb-period-1w")
	e.click(ctx, "#fb-submit")
	e.waitVisible(ctx, "dialog.confirm[open]")
	e.click(ctx, "dialog.confirm button[value=cancel]")
	e.waitGone(ctx, "dialog.confirm")
	e.waitText(ctx, "#status", "Not sent")
	if !evalJS[bool](e, ctx, agentFeedbackOpen+` && document.getElementById("fb-reason").value === "harassment" && document.getElementById("fb-notes").value === "kept notes" && document.getElementById("fb-period-1w").checked`) {
		t.Error("the feedback form lost its input after the cancelled confirmation")
	}
	e.click(ctx, "#fb-cancel")
	e.waitJS(ctx, "the feedback dialog is closed", "!"+agentFeedbackOpen)
	// The dialog's close event, which the page answers by focusing
	// Disconnect, is dispatched after the dialog has closed. Typing before
	// it lands on Disconnect under load: the space of "Still here"
	// reopens the dialog and Enter submits it. Wait for the focus first.
	e.waitJS(ctx, "the focus is back on Disconnect", `document.activeElement.id === "disconnect"`)
	if st, code := agentState(e, id); st != "agent_joined" {
		t.Errorf("after cancelling: state %q (%d), want agent_joined", st, code)
	}
	if bs := agentBlocks(e, id, ""); len(bs) != 0 {
		t.Errorf("blocks after cancelling: %+v", bs)
	}

	// The chat is still live both ways.
	e.typeKeys(ctx, "#message", "Still here"+kb.Enter)
	e.waitText(ctx, "#transcript li.from-agent", "Still here")
	agentVisitorSays(e, id, "Thanks")
	e.waitText(ctx, "#transcript li.from-user:last-child", "Thanks")

	// Ended elsewhere (a supervisor disconnects): the console shows it and
	// closes the composer.
	e.call("POST", "/v1/agent/conversations/"+id+"/disconnect", e.tokens["supervisor"], `{"block":false}`, 200, nil)
	e.waitVisible(ctx, "#chat-state")
	e.waitJS(ctx, "the composer is closed", `document.getElementById("composer").hidden`)
	e.click(ctx, "#close-chat")
	e.waitVisible(ctx, "#chat-empty")
}
