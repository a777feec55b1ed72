package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"
)

// The admin portal's user page (admin-users.js) and conversations views
// (admin-conversations.js), driven through the portal shell.

// avBlock is a block as GET /v1/admin/users/{id} and
// /v1/admin/conversations/{id} show it.
type avBlock struct {
	ID              string  `json:"id"`
	Kind            string  `json:"kind"`
	Status          string  `json:"status"`
	UserID          string  `json:"user_id"`
	ConversationID  string  `json:"conversation_id"`
	ReasonCategory  string  `json:"reason_category"`
	Reason          string  `json:"reason"`
	Notes           string  `json:"notes"`
	CreatedBy       string  `json:"created_by"`
	Until           *string `json:"until"`
	TimeLeftSeconds *int64  `json:"time_left_seconds"`
	LiftedAt        *string `json:"lifted_at"`
	LiftedBy        string  `json:"lifted_by"`
	LiftNotes       string  `json:"lift_notes"`
}

// avUser is GET /v1/admin/users/{id}.
type avUser struct {
	UserID    string    `json:"user_id"`
	Blacklist []avBlock `json:"blacklist"`
	Activity  *struct {
		Until  *string `json:"live_chat_blocked_until"`
		Reason string  `json:"live_chat_blocked_reason"`
		At     *string `json:"live_chat_blocked_at"`
		Agent  string  `json:"live_chat_blocked_by_agent_name"`
	} `json:"chat_activity_data"`
}

// avChat is a visitor's chat started through the API: its id and the
// bot's replies to the visitor's message.
type avChat struct {
	ID      string
	Replies []string
}

// avVisit starts a live chat (as the user of userToken, or anonymous when
// it is "") and says text.
func (e *uiEnv) avVisit(userToken, text string) avChat {
	e.t.Helper()
	body := `{"channel": "live_chat"}`
	if userToken != "" {
		body = fmt.Sprintf(`{"channel": "live_chat", "user_token": %q}`, userToken)
	}
	var start struct {
		ID string `json:"id"`
	}
	e.call("POST", "/v1/conversations", "", body, http.StatusCreated, &start)
	var turn struct {
		Replies []string `json:"replies"`
	}
	e.call("POST", "/v1/conversations/"+start.ID+"/messages", "", fmt.Sprintf(`{"text": %q}`, text), http.StatusOK, &turn)
	return avChat{ID: start.ID, Replies: turn.Replies}
}

// avBlockedChat starts a chat that asks for an agent; the agent takes it
// and leaves it blocking the visitor for a day (fraud, with notes). For
// an authenticated user that writes their Live Chat Blacklist entry, for
// an anonymous visitor a conversation block.
func (e *uiEnv) avBlockedChat(userToken, notes string) avChat {
	e.t.Helper()
	c := e.avVisit(userToken, "I want an agent")
	var took struct {
		ID string `json:"id"`
	}
	e.call("POST", "/v1/agent/queues/support/take", e.tokens["agent"], "", http.StatusOK, &took)
	if took.ID != c.ID {
		e.t.Fatalf("the agent took %s, want %s", took.ID, c.ID)
	}
	e.call("POST", "/v1/agent/conversations/"+c.ID+"/disconnect", e.tokens["agent"],
		fmt.Sprintf(`{"block": true, "reason_category": "fraud", "notes": %q, "minutes": 1440}`, notes), http.StatusOK, nil)
	return c
}

// avUser returns GET /v1/admin/users/{id} as the supervisor sees it.
func (e *uiEnv) avUser(id string) avUser {
	e.t.Helper()
	var u avUser
	e.call("GET", "/v1/admin/users/"+id, e.tokens["supervisor"], "", http.StatusOK, &u)
	return u
}

// avSignIn opens the portal at hash in ctx and signs in with the token of
// role (typed, then Enter); it returns when sel shows.
func (e *uiEnv) avSignIn(ctx context.Context, role, hash, sel string) {
	e.t.Helper()
	e.open(ctx, "/admin"+hash, "#token")
	e.typeKeys(ctx, "#token", e.tokens[role]+"\r")
	e.waitVisible(ctx, sel)
}

// avMount draws a view of module into a fresh element of the page (the
// way the shell does) with ctx = {token, me: {role}, params}; go sets the
// hash.
func (e *uiEnv) avMount(ctx context.Context, module, view, token, role string, params map[string]string) {
	e.t.Helper()
	p, _ := json.Marshal(params)
	js := fmt.Sprintf(`(() => {
		const root = document.createElement("div");
		root.id = "av-root";
		document.getElementById("main").append(root);
		import(%q).then((m) => m[%q](root, {token: %q, me: {id: "x", name: "X", email: "x@acme.test", role: %q}, params: %s, go: (h) => { location.hash = h; }}));
		return true;
	})()`, module, view, token, role, p)
	evalJS[bool](e, ctx, js)
}

// avNoOverflow fails unless the page fits the viewport's width (wide
// tables scroll inside their .table-wrap).
func (e *uiEnv) avNoOverflow(ctx context.Context, what string) {
	e.t.Helper()
	if w := evalJS[[]int](e, ctx, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		e.t.Errorf("%s: the page is %dpx wide in a %dpx viewport", what, w[0], w[1])
	}
}

// TestAdminUserPageUnblock: the supervisor finds u-42 with the lookup
// form, sees their Live Chat Blacklist entry (reason, notes, who, time
// left) and chat activity data (tabs by keyboard), cancels an unblock
// (nothing changes), then unblocks with a note: the entry is ended and
// the API shows it lifted by the supervisor with the note.
func TestAdminUserPageUnblock(t *testing.T) {
	e := newUI(t)
	e.avBlockedChat(e.userToken("u-42", "Dana"), "chargeback-9c1e")
	before := e.avUser("u-42")
	if len(before.Blacklist) != 1 || before.Blacklist[0].Status != "active" {
		t.Fatalf("seeded blacklist = %+v, want one active entry", before.Blacklist)
	}
	entry := before.Blacklist[0]

	ctx := e.desktop()
	e.avSignIn(ctx, "supervisor", "#user", "#user-lookup")
	if n := evalJS[int](e, ctx, `document.querySelectorAll("#user-result").length`); n != 0 {
		t.Errorf("#user without an id shows a result")
	}
	e.typeKeys(ctx, "#user-id", "u-42\r")
	e.waitVisible(ctx, "#blacklist-table tbody tr[data-status=active]")
	if h := evalJS[string](e, ctx, `location.hash`); h != "#user/u-42" {
		t.Errorf("hash after Find = %q, want #user/u-42", h)
	}
	e.waitText(ctx, "#user-title", "u-42")

	row := e.text(ctx, "#blacklist-table tbody tr")
	for _, want := range []string{"active", "Fraud", "chargeback-9c1e", entry.CreatedBy, "1 d"} {
		if want == "" || !strings.Contains(row, want) {
			t.Errorf("blacklist row %q lacks %q", row, want)
		}
	}
	if entry.Reason != "" && !strings.Contains(row, entry.Reason) {
		t.Errorf("blacklist row %q lacks the reason %q", row, entry.Reason)
	}
	if !evalJS[bool](e, ctx, `[...document.querySelectorAll("#blacklist-table tbody tr time")].every((n) => n.title.endsWith(" UTC") && n.dateTime)`) {
		t.Error("blacklist times have no UTC title")
	}
	if href := evalJS[string](e, ctx, `document.querySelector("#blacklist-table tbody tr a").getAttribute("href")`); href != "#block/"+entry.ID {
		t.Errorf("details link = %q, want #block/%s", href, entry.ID)
	}
	e.shot(ctx, "admin-user")

	// The tabs by keyboard: arrows move the selection and focus.
	e.key(ctx, "#user-blacklist-tab", kb.ArrowRight)
	e.waitJS(ctx, "the activity tab is selected and focused", `document.activeElement.id === "user-activity-tab" &&
		document.getElementById("user-activity-tab").getAttribute("aria-selected") === "true" &&
		document.getElementById("user-blacklist-panel").hidden && !document.getElementById("user-activity-panel").hidden`)
	act := e.text(ctx, "#user-activity-panel")
	if before.Activity == nil {
		if !strings.Contains(act, "none") {
			t.Errorf("activity panel = %q, want none", act)
		}
	} else {
		for _, want := range []string{"LiveChatBlockedUntil", "LiveChatBlockedReason", "LiveChatBlockedAt", "LiveChatBlockedByAgentName", before.Activity.Agent} {
			if !strings.Contains(act, want) {
				t.Errorf("activity panel %q lacks %q", act, want)
			}
		}
	}
	e.key(ctx, "#user-activity-tab", kb.ArrowLeft)
	e.waitJS(ctx, "the blacklist tab is selected again", `document.activeElement.id === "user-blacklist-tab" &&
		document.getElementById("user-blacklist-tab").getAttribute("aria-selected") === "true" && !document.getElementById("user-blacklist-panel").hidden`)
	e.key(ctx, "#user-blacklist-tab", kb.End)
	e.waitJS(ctx, "End selects the last tab", `document.activeElement.id === "user-activity-tab"`)
	e.key(ctx, "#user-activity-tab", kb.Home)
	e.waitJS(ctx, "Home selects the first tab", `document.activeElement.id === "user-blacklist-tab"`)

	// Cancelling changes nothing.
	e.click(ctx, "#unblock-user")
	e.confirm(ctx, false, "not yet")
	e.waitJS(ctx, "focus returns to Unblock user", `document.activeElement && document.activeElement.id === "unblock-user"`)
	if got := e.avUser("u-42").Blacklist[0]; got.Status != "active" || got.LiftedAt != nil {
		t.Fatalf("after cancelling, the entry is %+v", got)
	}
	if n := evalJS[int](e, ctx, `document.querySelectorAll("#blacklist-table tbody tr[data-status=active]").length`); n != 1 {
		t.Errorf("after cancelling, %d active rows", n)
	}

	// Unblock with a note.
	e.click(ctx, "#unblock-user")
	e.confirm(ctx, true, "appeal accepted")
	e.waitText(ctx, "#status", "Unblocked: 1 block(s) lifted")
	e.waitVisible(ctx, "#blacklist-table tbody tr[data-status=lifted]")
	e.waitGone(ctx, "#unblock-user")
	row = e.text(ctx, "#blacklist-table tbody tr")
	for _, want := range []string{"lifted", "lifted by " + supervisorEmail, "appeal accepted"} {
		if !strings.Contains(row, want) {
			t.Errorf("ended row %q lacks %q", row, want)
		}
	}
	after := e.avUser("u-42").Blacklist[0]
	if after.Status != "lifted" || after.LiftedAt == nil || after.LiftedBy != supervisorEmail || after.LiftNotes != "appeal accepted" {
		t.Errorf("after unblocking, the entry is %+v", after)
	}

	// An unknown user.
	e.fill(ctx, "#user-id", "u-nobody")
	e.click(ctx, "#user-find")
	e.waitText(ctx, "#user-none", "No blocks or chat activity for user u-nobody")

	// The page fits a phone.
	phone := e.phone()
	e.avSignIn(phone, "supervisor", "#user/u-42", "#blacklist-table tbody tr")
	e.avNoOverflow(phone, "user page at 390px")
}

// TestAdminUserPageAgentRole: agents may not read users (403): the page
// says so and offers no Unblock button; the button also needs the
// viewer's role, not only an active entry.
func TestAdminUserPageAgentRole(t *testing.T) {
	e := newUI(t)
	e.avBlockedChat(e.userToken("u-42", "Dana"), "chargeback-9c1e")
	e.call("GET", "/v1/admin/users/u-42", e.tokens["agent"], "", http.StatusForbidden, nil)

	// Through the shell, an agent gets the role notice and no user page.
	ctx := e.desktop()
	e.avSignIn(ctx, "agent", "#user/u-42", "#role-notice")
	if n := evalJS[int](e, ctx, `document.querySelectorAll("#unblock-user, #user-result").length`); n != 0 {
		t.Error("the shell shows the user page to an agent")
	}

	// The view itself, with the agent's token: the API's 403 is explained.
	e.avMount(ctx, "/static/admin-users.js", "showUser", e.tokens["agent"], "agent", map[string]string{"id": "u-42"})
	e.waitVisible(ctx, "#user-error")
	msg := e.text(ctx, "#user-error")
	if !strings.Contains(msg, "Viewing users needs a supervisor or admin role") || !strings.Contains(msg, "signed in as agent") {
		t.Errorf("error = %q", msg)
	}
	if kind := evalJS[string](e, ctx, `document.getElementById("status").dataset.kind || ""`); kind != "error" {
		t.Errorf("status kind = %q, want error", kind)
	}
	if n := evalJS[int](e, ctx, `document.querySelectorAll("#unblock-user, #blacklist-table").length`); n != 0 {
		t.Errorf("an agent sees %d of the Unblock button and the table", n)
	}

	// Even with data to show, the agent role gets no Unblock button.
	evalJS[bool](e, ctx, `(document.getElementById("av-root").remove(), true)`)
	e.avMount(ctx, "/static/admin-users.js", "showUser", e.tokens["supervisor"], "agent", map[string]string{"id": "u-42"})
	e.waitVisible(ctx, "#blacklist-table tbody tr[data-status=active]")
	if n := evalJS[int](e, ctx, `document.querySelectorAll("#unblock-user").length`); n != 0 {
		t.Error("the agent role sees Unblock user")
	}
}

// TestAdminConversations: the list filtered to active blocks shows only
// the blocked conversation; its detail shows the transcript (the
// visitor's request and the bot's reply) and the block record; Export CSV
// reports how many conversations it wrote.
func TestAdminConversations(t *testing.T) {
	e := newUI(t)
	free := e.avVisit("", "hello") // not queued: the agent takes the next one
	blocked := e.avBlockedChat("", "spam-bot-7")

	ctx := e.desktop()
	e.avSignIn(ctx, "supervisor", "#conversations", "#conversations-table")
	e.waitJS(ctx, "both conversations are listed", fmt.Sprintf(
		`[%q, %q].every((id) => document.querySelector('#conversations-table tr[data-id="' + id + '"]'))`, free.ID, blocked.ID))

	e.fill(ctx, "#conv-block-status", "active")
	e.click(ctx, "#conv-apply")
	e.waitJS(ctx, "only the blocked conversation is listed", fmt.Sprintf(
		`(() => { const rows = [...document.querySelectorAll("#conversations-table tbody tr")]; return location.hash.includes("block_status=active") && rows.length === 1 && rows[0].dataset.id === %q; })()`, blocked.ID))
	row := e.text(ctx, "#conversations-table tbody tr")
	for _, want := range []string{blocked.ID, "live_chat", "anonymous", "active", "Fraud"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}
	if v := evalJS[string](e, ctx, `document.getElementById("conv-block-status").value`); v != "active" {
		t.Errorf("the filter shows %q after applying", v)
	}
	e.shot(ctx, "admin-conversations")

	// Export CSV: as many conversations as the CSV endpoint has.
	recs, err := csv.NewReader(strings.NewReader(e.call("GET", "/v1/admin/conversations.csv", e.tokens["supervisor"], "", http.StatusOK, nil))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	e.click(ctx, "#conv-export")
	e.waitText(ctx, "#status", fmt.Sprintf("Exported %d conversations to conversations.csv", len(recs)-1))

	// With "Marked blocked: yes", the list and the export keep to the blocked ones.
	e.fill(ctx, "#conv-blocked", "true")
	e.click(ctx, "#conv-apply")
	e.waitJS(ctx, "the blocked filter is applied", fmt.Sprintf(
		`(() => { const rows = [...document.querySelectorAll("#conversations-table tbody tr")]; return location.hash.includes("blocked=true") && rows.length === 1 && rows[0].dataset.id === %q; })()`, blocked.ID))
	recs, err = csv.NewReader(strings.NewReader(e.call("GET", "/v1/admin/conversations.csv?blocked=true", e.tokens["supervisor"], "", http.StatusOK, nil))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	e.click(ctx, "#conv-export")
	want := fmt.Sprintf("Exported %d conversations to conversations.csv", len(recs)-1)
	if len(recs)-1 == 1 {
		want = "Exported 1 conversation to conversations.csv"
	}
	e.waitText(ctx, "#status", want)

	// The detail.
	e.click(ctx, fmt.Sprintf(`#conversations-table a[href="#conversation/%s"]`, blocked.ID))
	e.waitVisible(ctx, "#conv-transcript")
	if h := evalJS[string](e, ctx, `location.hash`); h != "#conversation/"+blocked.ID {
		t.Errorf("hash = %q", h)
	}
	user := e.text(ctx, "#conv-transcript li.from-user")
	if !strings.Contains(user, "I want an agent") {
		t.Errorf("the visitor's message = %q", user)
	}
	bots := evalJS[[]string](e, ctx, `[...document.querySelectorAll("#conv-transcript li.from-bot .text")].map((n) => n.textContent)`)
	for _, r := range blocked.Replies {
		found := false
		for _, b := range bots {
			found = found || strings.Contains(b, r)
		}
		if !found {
			t.Errorf("transcript bot messages %q lack the reply %q", bots, r)
		}
	}
	if len(bots) == 0 {
		t.Error("no bot message in the transcript")
	}
	if !evalJS[bool](e, ctx, `[...document.querySelectorAll("#conv-transcript time")].every((n) => n.title.endsWith(" UTC"))`) {
		t.Error("transcript times have no UTC title")
	}
	var detail struct {
		Blocks []avBlock `json:"blocks"`
	}
	e.call("GET", "/v1/admin/conversations/"+blocked.ID, e.tokens["supervisor"], "", http.StatusOK, &detail)
	if len(detail.Blocks) == 0 {
		t.Fatal("the API shows no block record of the blocked conversation")
	}
	b := detail.Blocks[0]
	e.waitVisible(ctx, fmt.Sprintf(`#conv-blocks-table tr[data-id="%s"] a[href="#block/%s"]`, b.ID, b.ID))
	brow := e.text(ctx, fmt.Sprintf(`#conv-blocks-table tr[data-id="%s"]`, b.ID))
	for _, want := range []string{"active", "Fraud", "spam-bot-7"} {
		if !strings.Contains(brow, want) {
			t.Errorf("block record %q lacks %q", brow, want)
		}
	}
	fields := e.text(ctx, "#conv-fields")
	for _, want := range []string{"live_chat", "anonymous", "active"} {
		if !strings.Contains(fields, want) {
			t.Errorf("fields %q lack %q", fields, want)
		}
	}
	e.shot(ctx, "admin-conversation")

	// The block record's link goes to the block's page.
	e.click(ctx, fmt.Sprintf(`#conv-blocks-table a[href="#block/%s"]`, b.ID))
	e.waitJS(ctx, "the block's page is routed", fmt.Sprintf(`location.hash === "#block/%s"`, b.ID))

	// Both views fit a phone.
	phone := e.phone()
	e.avSignIn(phone, "supervisor", "#conversations", "#conversations-table")
	e.avNoOverflow(phone, "conversations at 390px")
	e.open(phone, "/admin#conversation/"+blocked.ID, "#conv-transcript") // still signed in (the tab's session)
	e.avNoOverflow(phone, "conversation at 390px")
}

// TestAdminConversationsPages: Next and Previous page through the list
// with the server's cursor.
func TestAdminConversationsPages(t *testing.T) {
	e := newUI(t)
	ids := map[string]bool{}
	for range 23 {
		ids[e.avVisit("", "hello").ID] = true
	}
	ctx := e.desktop()
	e.avSignIn(ctx, "supervisor", "#conversations", "#conversations-table")
	rows := `[...document.querySelectorAll("#conversations-table tbody tr")].map((r) => r.dataset.id)`
	e.waitJS(ctx, "page 1 is full", `document.querySelectorAll("#conversations-table tbody tr").length === 20 && document.getElementById("conv-prev").disabled && !document.getElementById("conv-next").disabled`)
	first := evalJS[[]string](e, ctx, rows)
	e.click(ctx, "#conv-next")
	e.waitJS(ctx, "page 2 has the rest", `document.getElementById("conv-page").textContent === "Page 2" && document.querySelectorAll("#conversations-table tbody tr").length === 3 && document.getElementById("conv-next").disabled`)
	if id := evalJS[string](e, ctx, `document.activeElement.id`); id != "conv-prev" {
		t.Errorf("focus after the last page = %q, want conv-prev", id)
	}
	seen := map[string]bool{}
	for _, id := range append(first, evalJS[[]string](e, ctx, rows)...) {
		if seen[id] || !ids[id] {
			t.Errorf("row %s is repeated or unknown", id)
		}
		seen[id] = true
	}
	if len(seen) != len(ids) {
		t.Errorf("the pages show %d conversations, want %d", len(seen), len(ids))
	}
	e.click(ctx, "#conv-prev")
	e.waitJS(ctx, "back on page 1", `document.getElementById("conv-page").textContent === "Page 1" && document.querySelectorAll("#conversations-table tbody tr").length === 20`)
	if again := evalJS[[]string](e, ctx, rows); strings.Join(again, ",") != strings.Join(first, ",") {
		t.Errorf("page 1 again = %q, want %q", again, first)
	}
}
