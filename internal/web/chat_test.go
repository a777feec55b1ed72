package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/server"
)

// The visitor chat page (/chat) in the browser: starting, talking to the
// bot, the agent's live messages, the states of the event stream, a
// blocked visitor, resuming after a reload and failed sends.

const (
	greeting     = "I'm the Acme bot"
	faqAnswer    = "I can help with orders, returns and invoices."
	queuedReply  = "You're in the queue."
	blockedText  = "This chat has ended. Thank you for contacting Acme." // examples/chatflow.yaml
	waitingAgent = "Waiting for an agent…"
)

// chatLine is one transcript message: who wrote it (user, bot, agent) and
// its text.
type chatLine struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// pageTranscript returns the messages the page shows.
func pageTranscript(e *uiEnv, ctx context.Context) []chatLine {
	e.t.Helper()
	return evalJS[[]chatLine](e, ctx, `Array.from(document.querySelectorAll("#transcript li")).map(li => ({
		from: li.className.replace(/^from-/, ""),
		text: li.querySelector(".text").textContent,
	}))`)
}

// serverTranscript returns the messages of GET /v1/conversations/{id}/messages.
func serverTranscript(e *uiEnv, id string) []chatLine {
	e.t.Helper()
	var out struct {
		Messages []chatLine `json:"messages"`
	}
	e.call("GET", "/v1/conversations/"+id+"/messages", "", "", http.StatusOK, &out)
	return out.Messages
}

// storedConversation returns the conversation id the page keeps in
// localStorage ("" when none).
func storedConversation(e *uiEnv, ctx context.Context) string {
	e.t.Helper()
	return evalJS[string](e, ctx, `localStorage.getItem("chatflow.chat.conversation") || ""`)
}

// startGuest opens /chat in ctx, starts a guest chat, waits for the
// greeting and returns the conversation id.
func startGuest(e *uiEnv, ctx context.Context) string {
	e.t.Helper()
	e.open(ctx, "/chat", "#start-guest")
	e.click(ctx, "#start-guest")
	e.waitText(ctx, "#transcript", greeting)
	id := storedConversation(e, ctx)
	if id == "" {
		e.t.Fatal("the page keeps no conversation id after starting")
	}
	return id
}

// waitMessages waits until the transcript shows at least n messages.
func waitMessages(e *uiEnv, ctx context.Context, n int) {
	e.t.Helper()
	e.waitJS(ctx, fmt.Sprintf("the transcript has %d messages", n),
		fmt.Sprintf(`document.querySelectorAll("#transcript li").length >= %d`, n))
}

// say types text into the composer and presses Enter, then waits until the
// page shows it and the input is empty again.
func say(e *uiEnv, ctx context.Context, text string) {
	e.t.Helper()
	before := len(pageTranscript(e, ctx))
	e.typeKeys(ctx, "#message", text+"\r")
	waitMessages(e, ctx, before+1)
	e.waitJS(ctx, "the composer is empty after sending", `document.getElementById("message").value === ""`)
	if got := pageTranscript(e, ctx)[before]; got != (chatLine{"user", text}) {
		e.t.Fatalf("after sending %q the transcript shows %+v", text, got)
	}
}

// composerEnabled reports whether the message input and Send are enabled.
func composerEnabled(e *uiEnv, ctx context.Context) (input, send bool) {
	e.t.Helper()
	v := evalJS[[]bool](e, ctx, `[!document.getElementById("message").disabled, !document.getElementById("send").disabled]`)
	return v[0], v[1]
}

// pageText is the text of the whole page as the visitor sees it.
func pageText(e *uiEnv, ctx context.Context) string {
	e.t.Helper()
	return evalJS[string](e, ctx, `document.body.innerText`)
}

// checkBlocked fails unless the page shows the neutral blocked notice
// (the English text) with a disabled composer, and nothing of the block's
// reason or notes.
func checkBlocked(e *uiEnv, ctx context.Context) {
	e.t.Helper()
	checkBlockedText(e, ctx, blockedText)
}

// checkBlockedText is checkBlocked with the neutral text want (of the
// visitor's language).
func checkBlockedText(e *uiEnv, ctx context.Context, want string) {
	e.t.Helper()
	e.waitVisible(ctx, "#blocked-notice")
	e.waitJS(ctx, "the composer is disabled", `document.getElementById("message").disabled && document.getElementById("send").disabled`)
	if got := e.text(ctx, "#blocked-notice"); got != want {
		e.t.Errorf("#blocked-notice = %q, want %q", got, want)
	}
	if got := evalJS[string](e, ctx, `document.getElementById("blocked-notice").className`); !strings.Contains(got, "notice") {
		e.t.Errorf("#blocked-notice class = %q, want notice", got)
	}
	text := strings.ToLower(pageText(e, ctx))
	for _, secret := range []string{"abusive", "insulted-the-agent-7f3a"} {
		if strings.Contains(text, secret) {
			e.t.Errorf("the page shows %q of the block:\n%s", secret, text)
		}
	}
	if st := strings.TrimSpace(e.text(ctx, "#chat-state")); st != "" {
		e.t.Errorf("the state line says %q next to the blocked notice", st)
	}
}

// noHorizontalScroll fails when the page is wider than the viewport.
func noHorizontalScroll(e *uiEnv, ctx context.Context) {
	e.t.Helper()
	if evalJS[bool](e, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
		e.t.Errorf("the page scrolls sideways at width %d", evalJS[int](e, ctx, `window.innerWidth`))
	}
}

// TestChatGuestTalksToBot: a guest starts a chat, gets the greeting and
// the bot's answer, asks for an agent and is queued; the page shows what
// the API stores, and a reload resumes the conversation.
func TestChatGuestTalksToBot(t *testing.T) {
	e := newUI(t)
	ctx := e.desktop()
	e.open(ctx, "/chat", "#start-guest")
	// The visitor page is the customer's: no links to the staff pages.
	if n := evalJS[int](e, ctx, `document.querySelectorAll('a[href="/agent"], a[href="/admin"], nav').length`); n != 0 {
		t.Errorf("the visitor page has %d staff links or navigation blocks", n)
	}
	if evalJS[bool](e, ctx, `!document.getElementById("demo-form").hidden`) {
		t.Error("the demo sign-in shows on a server without demo mode")
	}
	e.click(ctx, "#start-guest")
	e.waitText(ctx, "#transcript", greeting)
	id := storedConversation(e, ctx)
	if id == "" {
		t.Fatal("no conversation id kept in localStorage")
	}
	if got := evalJS[string](e, ctx, `document.activeElement.id`); got != "message" {
		t.Errorf("focus after starting is on #%s, want #message", got)
	}
	for sel, want := range map[string]string{"#transcript-log": "role=log aria-live=polite aria-label=Conversation"} {
		got := evalJS[string](e, ctx, fmt.Sprintf(`(() => { const n = document.querySelector(%q); return ["role", "aria-live", "aria-label"].map(a => a + "=" + n.getAttribute(a)).join(" "); })()`, sel))
		if got != want {
			t.Errorf("%s: %s, want %s", sel, got, want)
		}
	}

	// Enter on an empty box sends nothing.
	e.typeKeys(ctx, "#message", "   \r")
	say(e, ctx, "Where is my order?")
	e.waitText(ctx, "#transcript", faqAnswer)
	say(e, ctx, "I want to talk to an agent")
	e.waitText(ctx, "#transcript", queuedReply)
	e.waitText(ctx, "#chat-state", waitingAgent)

	want := []chatLine{
		{"bot", "Hi! I'm the Acme bot. Ask me anything, or type 'agent' to talk to a person."},
		{"user", "Where is my order?"},
		{"bot", "I can help with orders, returns and invoices. Type 'agent' to talk to a person."},
		{"user", "I want to talk to an agent"},
		{"bot", "You're in the queue. An agent will be with you shortly."},
	}
	if got := pageTranscript(e, ctx); !slices.Equal(got, want) {
		t.Errorf("page transcript:\n%+v\nwant\n%+v", got, want)
	}
	if got := serverTranscript(e, id); !slices.Equal(got, want) {
		t.Errorf("GET messages:\n%+v\nwant\n%+v", got, want)
	}
	if kind := evalJS[string](e, ctx, `document.getElementById("status").dataset.kind || ""`); kind == "error" {
		t.Errorf("status shows an error: %s", e.text(ctx, "#status"))
	}
	e.shot(ctx, "chat-desktop")

	// A reload resumes the conversation: the transcript and the state.
	e.reload(ctx, "#transcript li")
	waitMessages(e, ctx, len(want))
	e.waitText(ctx, "#chat-state", waitingAgent)
	if got := pageTranscript(e, ctx); !slices.Equal(got, want) {
		t.Errorf("transcript after reload:\n%+v\nwant\n%+v", got, want)
	}
	if got := storedConversation(e, ctx); got != id {
		t.Errorf("conversation after reload = %q, want %q", got, id)
	}
}

// TestChatBlockedVisitor: an agent takes the chat, writes (live in the
// page), and leaves blocking the visitor: the page disables the composer
// and shows only the configured neutral text, also after a reload and at
// phone width. A supervisor lifts the block: the composer comes back and
// the visitor can queue again.
func TestChatBlockedVisitor(t *testing.T) {
	e := newUI(t)
	ctx := e.desktop()
	id := startGuest(e, ctx)
	say(e, ctx, "agent")
	e.waitText(ctx, "#chat-state", waitingAgent)

	e.call("POST", "/v1/agent/queues/support/take", e.tokens["agent"], "", http.StatusOK, nil)
	e.waitText(ctx, "#chat-state", "An agent has joined the chat.")
	e.call("POST", "/v1/agent/conversations/"+id+"/messages", e.tokens["agent"], `{"text": "Hello, I'm Ann. How can I help?"}`, http.StatusOK, nil)
	e.waitText(ctx, "#transcript li.from-agent", "Hello, I'm Ann. How can I help?")
	if got := e.text(ctx, "#transcript li.from-agent .who"); !strings.HasPrefix(got, "Agent") {
		t.Errorf("agent message labelled %q", got)
	}

	e.call("POST", "/v1/agent/conversations/"+id+"/disconnect", e.tokens["agent"],
		`{"block": true, "reason_category": "abusive_language", "notes": "insulted-the-agent-7f3a", "minutes": 60}`, http.StatusOK, nil)
	checkBlocked(e, ctx)
	e.waitJS(ctx, "focus moved from the disabled composer to the notice", `document.activeElement.id === "blocked-notice"`)
	// The bot's neutral words of the disconnect show live too, once.
	e.waitText(ctx, "#transcript li.from-bot:last-child", blockedText)
	if got, want := pageTranscript(e, ctx), serverTranscript(e, id); !slices.Equal(got, want) {
		t.Errorf("page transcript:\n%+v\nGET messages:\n%+v", got, want)
	}
	e.shot(ctx, "chat-blocked")

	// The block survives a reload: the stream's first state re-applies it.
	e.reload(ctx, "#blocked-notice")
	checkBlocked(e, ctx)
	if got := pageTranscript(e, ctx); !slices.Contains(got, chatLine{"agent", "Hello, I'm Ann. How can I help?"}) {
		t.Errorf("the agent's message is not in the transcript after reload: %+v", got)
	}
	if n := strings.Count(pageText(e, ctx), "Hello, I'm Ann."); n != 1 {
		t.Errorf("the agent's message shows %d times after reload", n)
	}

	// The same visitor at phone width (another browser: hand it the id).
	phone := e.phone()
	e.open(phone, "/chat", "#start-guest")
	evalJS[bool](e, phone, fmt.Sprintf(`(localStorage.setItem("chatflow.chat.conversation", %q), true)`, id))
	e.reload(phone, "#blocked-notice")
	checkBlocked(e, phone)
	noHorizontalScroll(e, phone)
	e.shot(phone, "chat-blocked-phone")

	// A supervisor lifts the block.
	var blocks struct {
		Blocks []struct {
			ID             string `json:"id"`
			ConversationID string `json:"conversation_id"`
		} `json:"blocks"`
	}
	e.call("GET", "/v1/admin/blocks?kind=conversation&status=active", e.tokens["supervisor"], "", http.StatusOK, &blocks)
	if len(blocks.Blocks) != 1 || blocks.Blocks[0].ConversationID != id {
		t.Fatalf("active conversation blocks = %+v, want one of %s", blocks.Blocks, id)
	}
	e.call("POST", "/v1/admin/blocks/"+blocks.Blocks[0].ID+"/lift", e.tokens["supervisor"], `{"notes": "second chance"}`, http.StatusOK, nil)
	for _, c := range []context.Context{ctx, phone} {
		e.waitJS(c, "the composer is enabled again",
			`!document.getElementById("message").disabled && !document.getElementById("send").disabled && document.getElementById("blocked-notice").hidden`)
	}
	say(e, ctx, "agent")
	e.waitText(ctx, "#chat-state", waitingAgent)
	e.waitText(phone, "#chat-state", waitingAgent)
	var queue struct {
		Waiting []struct {
			ConversationID string `json:"conversation_id"`
		} `json:"waiting"`
	}
	e.call("GET", "/v1/agent/queues/support", e.tokens["agent"], "", http.StatusOK, &queue)
	if len(queue.Waiting) != 1 || queue.Waiting[0].ConversationID != id {
		t.Errorf("queue support = %+v, want %s", queue.Waiting, id)
	}
}

// TestChatAgentLeaves (phone width, keyboard): the agent talks and leaves
// without a block: the page says so and shows the bot's survey question at once (it was not
// the answer of a send), and the transcript ends up exactly the server's,
// every message with the server's time.
func TestChatAgentLeaves(t *testing.T) {
	e := newUI(t)
	ctx := e.phone()
	// Keyboard only: Enter on the start button, then the composer.
	e.open(ctx, "/chat", "#start-guest")
	e.typeKeys(ctx, "#start-guest", "\r")
	e.waitText(ctx, "#transcript", greeting)
	id := storedConversation(e, ctx)
	say(e, ctx, "human please")
	e.waitText(ctx, "#chat-state", waitingAgent)
	e.call("POST", "/v1/agent/queues/support/take", e.tokens["agent"], "", http.StatusOK, nil)
	e.waitText(ctx, "#chat-state", "An agent has joined the chat.")
	e.call("POST", "/v1/agent/conversations/"+id+"/messages", e.tokens["agent"], `{"text": "Your parcel ships today."}`, http.StatusOK, nil)
	e.waitText(ctx, "#transcript li.from-agent", "Your parcel ships today.")
	say(e, ctx, "Thanks!")
	e.call("POST", "/v1/agent/conversations/"+id+"/disconnect", e.tokens["agent"], `{"rating": 5}`, http.StatusOK, nil)
	e.waitText(ctx, "#chat-state", "The agent has left the chat.")
	e.waitText(ctx, "#transcript", "How would you rate the conversation from 1 to 5?")
	if in, send := composerEnabled(e, ctx); !in || !send {
		t.Errorf("composer disabled (input %v, send %v) after the agent left", !in, !send)
	}
	say(e, ctx, "5")
	e.waitText(ctx, "#transcript", "Thank you for your feedback!")
	noHorizontalScroll(e, ctx)
	if got, want := pageTranscript(e, ctx), serverTranscript(e, id); !slices.Equal(got, want) {
		t.Errorf("page transcript:\n%+v\nGET messages:\n%+v", got, want)
	}
	// The messages shown from the answers of sends got the server's time
	// when the transcript was read (the server's clock is fake: 5 January).
	e.waitJS(ctx, "every message shown before the survey has the server's time", `(() => {
		const all = Array.from(document.querySelectorAll("#transcript li time"));
		const i = all.findIndex(t => t.closest("li").textContent.includes("How would you rate"));
		return i > 0 && all.slice(0, i).every(t => t.getAttribute("datetime").startsWith("2026-01-05T"));
	})()`)
}

// failingFetch wraps the page's fetch for POSTs of messages: it records
// their bodies in window.__sent and, by window.__mode (used once), loses
// the answer after the server took the message ("lose-answer"), answers
// 503 without reaching the server ("503"), or holds the request until
// window.__release() is called ("hold").
const failingFetch = `(() => {
	const real = window.fetch.bind(window);
	window.__sent = [];
	window.__mode = "";
	window.fetch = async (url, opts = {}) => {
		if (opts.method !== "POST" || !String(url).endsWith("/messages")) return real(url, opts);
		window.__sent.push(JSON.parse(opts.body));
		const mode = window.__mode;
		window.__mode = "";
		if (mode === "lose-answer") {
			await real(url, opts);
			throw new TypeError("Failed to fetch");
		}
		if (mode === "503") {
			return new Response(JSON.stringify({type: "about:blank", title: "store unavailable", status: 503, detail: "please retry"}),
				{status: 503, headers: {"Content-Type": "application/problem+json"}});
		}
		if (mode === "hold") await new Promise((resolve) => { window.__release = resolve; });
		return real(url, opts);
	};
	return true;
})()`

// TestChatKeepsTextOnFailure: a send that fails — the answer lost on the
// network, a 503, the conversation ended meanwhile — keeps the typed
// text in the box and says so in #status; the retry re-sends the same
// idempotency key, so the server takes the message once.
func TestChatKeepsTextOnFailure(t *testing.T) {
	e := newUI(t)
	ctx := e.desktop()
	id := startGuest(e, ctx)
	evalJS[bool](e, ctx, failingFetch)
	const question = "Where is my invoice?"
	keptText := func() {
		t.Helper()
		if got := evalJS[string](e, ctx, `document.getElementById("message").value`); got != question {
			t.Errorf("the message box holds %q, want %q", got, question)
		}
		if slices.Contains(pageTranscript(e, ctx), chatLine{"user", question}) {
			t.Error("the transcript shows a message that was not sent")
		}
	}
	waitError := func(want string) {
		t.Helper()
		e.waitJS(ctx, "#status shows an error", `document.getElementById("status").dataset.kind === "error"`)
		e.waitText(ctx, "#status", want)
	}

	// The server takes the message but the answer is lost.
	evalJS[bool](e, ctx, `(window.__mode = "lose-answer", true)`)
	e.typeKeys(ctx, "#message", question+"\r")
	waitError("cannot reach the server")
	keptText()

	// The retry gets a 503.
	evalJS[bool](e, ctx, `(window.__mode = "503", true)`)
	e.click(ctx, "#send")
	waitError("store unavailable")
	keptText()
	e.shot(ctx, "chat-send-failed")

	// The next retry goes through: same key, taken once.
	e.click(ctx, "#send")
	e.waitText(ctx, "#transcript", faqAnswer)
	e.waitJS(ctx, "the composer is empty", `document.getElementById("message").value === ""`)
	keys := evalJS[[]string](e, ctx, `window.__sent.map(b => b.idempotency_key)`)
	if len(keys) != 3 || keys[0] == "" || keys[1] != keys[0] || keys[2] != keys[0] {
		t.Errorf("idempotency keys of the three tries = %q, want the same one", keys)
	}
	n := 0
	for _, m := range serverTranscript(e, id) {
		if m == (chatLine{"user", question}) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the server has the message %d times, want 1", n)
	}
	if got := pageTranscript(e, ctx); len(got) != 3 || got[1] != (chatLine{"user", question}) || !strings.HasPrefix(got[2].Text, faqAnswer) {
		t.Errorf("page transcript = %+v", got)
	}
	if kind := evalJS[string](e, ctx, `document.getElementById("status").dataset.kind || ""`); kind == "error" {
		t.Errorf("status still shows an error: %s", e.text(ctx, "#status"))
	}

	// The conversation ends while a message is on its way: 409.
	const late = "Are you still there?"
	evalJS[bool](e, ctx, `(window.__mode = "hold", true)`)
	e.typeKeys(ctx, "#message", late+"\r")
	e.waitJS(ctx, "the send is held", `typeof window.__release === "function"`)
	if _, err := e.app.Executor.Handle(t.Context(), flows.Event{Type: flows.EventEnd, ConversationID: id}); err != nil {
		t.Fatal(err)
	}
	e.waitVisible(ctx, "#ended")
	evalJS[bool](e, ctx, `(window.__release(), true)`)
	waitError("this chat has ended")
	if got := evalJS[string](e, ctx, `document.getElementById("message").value`); got != late {
		t.Errorf("the message box holds %q after the 409, want %q", got, late)
	}
	if in, send := composerEnabled(e, ctx); in || send {
		t.Errorf("composer enabled (input %v, send %v) in an ended chat", in, send)
	}
	e.waitText(ctx, "#new-chat", "Start a new chat")

	// A reload forgets the ended conversation and offers a new one.
	e.reload(ctx, "#start-guest")
	e.waitText(ctx, "#status", "previous chat has ended")
	e.waitJS(ctx, "the ended conversation is forgotten", `localStorage.getItem("chatflow.chat.conversation") === null`)

	// "Start a new chat" after the chat ends in front of the visitor.
	id2 := startGuest(e, ctx)
	if id2 == id {
		t.Fatal("the new chat has the old id")
	}
	if _, err := e.app.Executor.Handle(t.Context(), flows.Event{Type: flows.EventEnd, ConversationID: id2}); err != nil {
		t.Fatal(err)
	}
	e.waitVisible(ctx, "#ended")
	e.waitText(ctx, "#ended", "This chat has ended.")
	e.click(ctx, "#new-chat")
	e.waitVisible(ctx, "#start-guest")
	if got := storedConversation(e, ctx); got != "" {
		t.Errorf("stored conversation after Start a new chat = %q", got)
	}
}

// TestChatUserTokenFragment: a host site opens /chat#user_token=…: the
// chat starts as that user and the token leaves the address bar; an
// invalid token is refused with a clear message and the start panel.
func TestChatUserTokenFragment(t *testing.T) {
	e := newUI(t)
	ctx := e.desktop()
	e.open(ctx, "/chat#user_token="+e.userToken("u-77", "Lee"), "#transcript li")
	e.waitText(ctx, "#transcript", "Hi Lee! "+greeting)
	if got := evalJS[string](e, ctx, `location.href`); strings.Contains(got, "#") || strings.Contains(got, "user_token") {
		t.Errorf("address after start = %q, want no fragment", got)
	}
	id := storedConversation(e, ctx)
	c, err := e.store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !c.User.IsAuthenticated || c.User.UserID != "u-77" {
		t.Errorf("conversation user = %+v, want authenticated u-77", c.User)
	}

	bad := e.phone()
	e.open(bad, "/chat#user_token=not-a-token", "#start-guest")
	e.waitJS(bad, "#status shows an error", `document.getElementById("status").dataset.kind === "error"`)
	e.waitText(bad, "#status", "sign-in could not be verified")
	noHorizontalScroll(e, bad)
	e.shot(bad, "chat-start-refused-phone")
	if got := storedConversation(e, bad); got != "" {
		t.Errorf("stored conversation after a refused token = %q", got)
	}
}

// demoStaff are the staff of a demo-mode test server.
var demoStaff = []server.DemoStaff{
	{Role: server.RoleAgent, Name: "Demo Agent", Email: "agent@demo.test", Token: "demo-agent-token-0123456789"},
	{Role: server.RoleAdmin, Name: "Demo Admin", Email: "admin@demo.test", Token: "demo-admin-token-0123456789"},
}

// TestChatDemoSignIn: in demo mode the start panel offers the demo
// sign-in; a refused user id is explained, and signing in as "u-1001"
// named "Dana" starts an authenticated conversation greeting Dana.
func TestChatDemoSignIn(t *testing.T) {
	e := newUI(t, server.WithDemo(demoStaff))
	ctx := e.desktop()
	e.open(ctx, "/chat", "#start-guest")
	e.waitVisible(ctx, "#demo-form")
	e.shot(ctx, "chat-start-demo")
	for _, id := range []string{"demo-user", "demo-name"} {
		if got := evalJS[string](e, ctx, fmt.Sprintf(`document.querySelector('label[for=%q]').textContent`, id)); got == "" {
			t.Errorf("#%s has no label", id)
		}
	}

	// Both fields are needed; the server refuses a user id it cannot sign.
	e.click(ctx, "#demo-submit")
	e.waitText(ctx, "#status", "Please enter a user id.")
	if got := evalJS[string](e, ctx, `document.activeElement.id`); got != "demo-user" {
		t.Errorf("focus after a missing user id is on #%s", got)
	}
	e.fill(ctx, "#demo-user", "not a valid id!")
	e.fill(ctx, "#demo-name", "Dana")
	e.click(ctx, "#demo-submit")
	e.waitJS(ctx, "#status shows an error", `document.getElementById("status").dataset.kind === "error"`)
	e.waitText(ctx, "#status", "user_id")
	if storedConversation(e, ctx) != "" {
		t.Fatal("a conversation started with a refused user id")
	}

	e.fill(ctx, "#demo-user", "u-1001")
	e.typeKeys(ctx, "#demo-name", "\r") // Enter submits the form
	e.waitText(ctx, "#transcript", "Hi Dana! "+greeting)
	id := storedConversation(e, ctx)
	c, err := e.store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !c.User.IsAuthenticated || c.User.UserID != "u-1001" || c.User.Name != "Dana" {
		t.Errorf("conversation user = %+v, want authenticated u-1001 Dana", c.User)
	}
	say(e, ctx, "Where is my order?")
	e.waitText(ctx, "#transcript", faqAnswer)
}
