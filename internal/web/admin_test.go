package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/chatflow/chatflow/internal/server"
)

// admBlock is the part of a block (GET /v1/admin/blocks/{id}) the
// portal tests check.
type admBlock struct {
	ID             string   `json:"id"`
	Kind           string   `json:"kind"`
	Status         string   `json:"status"`
	UserID         string   `json:"user_id"`
	ConversationID string   `json:"conversation_id"`
	IP             string   `json:"ip"`
	Range          string   `json:"range"`
	Allow          bool     `json:"allow"`
	Channels       []string `json:"channels"`
	ReasonCategory string   `json:"reason_category"`
	Notes          string   `json:"notes"`
	CreatedBy      string   `json:"created_by"`
	Until          *string  `json:"until"`
	LiftedBy       string   `json:"lifted_by"`
	LiftNotes      string   `json:"lift_notes"`
}

type admBlockList struct {
	Blocks []admBlock `json:"blocks"`
	Next   string     `json:"next"`
}

// admUserBlock blocks user id through the admin API with token.
func (e *uiEnv) admUserBlock(token, id, period, category, notes string) admBlock {
	e.t.Helper()
	var b admBlock
	body := fmt.Sprintf(`{"kind": "user", "user_id": %q, "period": %q, "reason_category": %q, "notes": %q}`, id, period, category, notes)
	e.call("POST", "/v1/admin/blocks", token, body, http.StatusCreated, &b)
	return b
}

// admConversationBlock starts an anonymous conversation and has the agent
// block it for a day, as from the agent console's feedback form.
func (e *uiEnv) admConversationBlock(notes string) admBlock {
	e.t.Helper()
	var c struct {
		ID string `json:"id"`
	}
	e.call("POST", "/v1/conversations", "", "", http.StatusCreated, &c)
	// An agent blocks only a chat they hold: queue it and take it first.
	e.call("POST", "/v1/conversations/"+c.ID+"/messages", "", `{"text": "I want an agent"}`, http.StatusOK, nil)
	e.call("POST", "/v1/agent/queues/support/take", e.tokens["agent"], "", http.StatusOK, nil)
	var b admBlock
	body := fmt.Sprintf(`{"target": "conversation", "period": "1d", "reason_category": "spam", "notes": %q}`, notes)
	e.call("POST", "/v1/agent/conversations/"+c.ID+"/block", e.tokens["agent"], body, http.StatusCreated, &b)
	return b
}

func (e *uiEnv) admGetBlock(id string) admBlock {
	e.t.Helper()
	var b admBlock
	e.call("GET", "/v1/admin/blocks/"+url.PathEscape(id), e.tokens["supervisor"], "", http.StatusOK, &b)
	return b
}

func (e *uiEnv) admSearch(q string) []admBlock {
	e.t.Helper()
	var l admBlockList
	e.call("GET", "/v1/admin/blocks/search?q="+url.QueryEscape(q), e.tokens["supervisor"], "", http.StatusOK, &l)
	return l.Blocks
}

// admSignIn opens the portal in ctx and signs in with the token of role
// (typed, then Enter); it returns when the portal (or, for an agent, the
// role notice) shows.
func (e *uiEnv) admSignIn(ctx context.Context, role string) {
	e.t.Helper()
	e.open(ctx, "/admin", "#token")
	e.typeKeys(ctx, "#token", e.tokens[role]+"\r")
	if role == "agent" {
		e.waitVisible(ctx, "#role-notice")
		return
	}
	e.waitVisible(ctx, "#results-count")
}

// admRowIDs returns the block ids of the rows of the shown table.
func (e *uiEnv) admRowIDs(ctx context.Context) []string {
	e.t.Helper()
	return evalJS[[]string](e, ctx, `[...document.querySelectorAll("#blocks-table tbody tr")].map((r) => r.dataset.id)`)
}

// admWaitRows waits until the table shows n rows (and, when every is not "",
// every row r satisfies the JavaScript expression every).
func (e *uiEnv) admWaitRows(ctx context.Context, n int, every string) {
	e.t.Helper()
	if every == "" {
		every = "true"
	}
	e.waitJS(ctx, fmt.Sprintf("the table has %d rows (%s)", n, every), fmt.Sprintf(
		`(() => { const rows = [...document.querySelectorAll("#blocks-table tbody tr")]; return !document.querySelector("#results[aria-busy]") && rows.length === %d && rows.every((r) => %s); })()`, n, every))
}

func TestAdminFiltersSearchAndPaginate(t *testing.T) {
	e := newUI(t)
	var convs []string
	for i := range 3 {
		convs = append(convs, e.admConversationBlock(fmt.Sprintf("spam run %d", i)).ID)
	}
	for i := range 22 {
		e.admUserBlock(e.tokens["supervisor"], fmt.Sprintf("u-%02d", i), "1w", "fraud", "")
	}
	e.call("POST", "/v1/admin/blocks", e.tokens["admin"], `{"kind": "ip", "ip": "198.51.100.7", "period": "1d", "reason_category": "spam"}`, http.StatusCreated, nil)
	var rng admBlock
	e.call("POST", "/v1/admin/blocks", e.tokens["admin"], `{"kind": "range", "range": "203.0.113.0/24", "period": "permanent", "reason_category": "fraud"}`, http.StatusCreated, &rng)

	ctx := e.desktop()
	e.admSignIn(ctx, "supervisor")
	e.admWaitRows(ctx, 20, "")
	if got := e.text(ctx, "#who"); !strings.Contains(got, "Sam Supervisor") || !strings.Contains(got, "supervisor") {
		t.Errorf("header = %q, want the name and role", got)
	}
	if got := evalJS[string](e, ctx, `document.querySelector("#blocks-table thead").textContent`); !strings.Contains(got, "Time left") || !strings.Contains(got, "Until") {
		t.Errorf("columns = %q", got)
	}
	// Created: local time, UTC on hover.
	if got := evalJS[string](e, ctx, `document.querySelector("#blocks-table tbody time").title`); got != "2026-01-05 10:00:00 UTC" {
		t.Errorf("created title = %q", got)
	}
	e.shot(ctx, "admin-blocks")

	// Key type narrows.
	e.fill(ctx, "#f-kind", "conversation")
	e.click(ctx, "#f-apply")
	e.admWaitRows(ctx, 3, `r.dataset.kind === "conversation"`)
	if got := e.admRowIDs(ctx); !admSameSet(got, convs) {
		t.Errorf("conversation rows = %q, want %q", got, convs)
	}
	e.fill(ctx, "#f-kind", "range")
	e.click(ctx, "#f-apply")
	e.admWaitRows(ctx, 1, fmt.Sprintf(`r.dataset.id === %q && r.textContent.includes("203.0.113.0/24") && r.textContent.includes("permanent")`, rng.ID))

	// Agent narrows, alone.
	e.click(ctx, "#f-reset")
	e.admWaitRows(ctx, 20, "")
	if got := evalJS[string](e, ctx, `document.getElementById("f-kind").value`); got != "" {
		t.Errorf("after Reset the key type is %q", got)
	}
	e.fill(ctx, "#f-agent", "ann@acme.test")
	e.click(ctx, "#f-apply")
	e.admWaitRows(ctx, 3, `r.textContent.includes("ann@acme.test")`)
	// A day before the blocks: none.
	e.fill(ctx, "#f-to", "2026-01-04")
	e.click(ctx, "#f-apply")
	e.waitText(ctx, "#results-count", "No active block matches these filters.")
	e.fill(ctx, "#f-to", "2026-01-05")
	e.click(ctx, "#f-apply")
	e.admWaitRows(ctx, 3, "")

	// An IP inside the banned range finds the range.
	if got := e.text(ctx, "#search-hint"); !strings.Contains(got, "An IP inside a banned range finds the range") {
		t.Errorf("search hint = %q", got)
	}
	e.typeKeys(ctx, "#search-q", "203.0.113.77\r")
	e.waitText(ctx, "#results-title", "Search results for")
	e.admWaitRows(ctx, 1, fmt.Sprintf(`r.dataset.id === %q && r.textContent.includes("203.0.113.0/24")`, rng.ID))
	e.click(ctx, "#search-clear")
	e.admWaitRows(ctx, 3, "")

	// Pages of 20.
	e.click(ctx, "#f-reset")
	e.admWaitRows(ctx, 20, "")
	page1 := e.admRowIDs(ctx)
	if !evalJS[bool](e, ctx, `document.getElementById("page-prev").disabled`) {
		t.Error("Previous is enabled on page 1")
	}
	e.click(ctx, "#page-next")
	e.admWaitRows(ctx, 7, "")
	e.waitText(ctx, "#page-label", "Page 2")
	page2 := e.admRowIDs(ctx)
	for _, id := range page2 {
		if slices.Contains(page1, id) {
			t.Errorf("block %s is on both pages", id)
		}
	}
	if !evalJS[bool](e, ctx, `document.getElementById("page-next").disabled`) {
		t.Error("Next is enabled on the last page")
	}
	e.click(ctx, "#page-prev")
	e.waitText(ctx, "#page-label", "Page 1")
	e.admWaitRows(ctx, 20, "")
	if got := e.admRowIDs(ctx); !slices.Equal(got, page1) {
		t.Errorf("page 1 again = %q, want %q", got, page1)
	}
}

func admSameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestAdminBlockDetailsActions(t *testing.T) {
	e := newUI(t)
	b := e.admUserBlock(e.tokens["supervisor"], "u-1", "1d", "fraud", "card testing")
	other := e.admUserBlock(e.tokens["supervisor"], "u-2", "1h", "spam", "")

	ctx := e.desktop()
	e.admSignIn(ctx, "supervisor")
	e.admWaitRows(ctx, 2, "")
	e.click(ctx, fmt.Sprintf(`#blocks-table tr[data-id=%q] a`, b.ID))
	e.waitVisible(ctx, "#block-details")
	for field, want := range map[string]string{
		"kind":            "User",
		"user_id":         "u-1",
		"status":          "active",
		"created_by":      "sam@acme.test",
		"reason_category": "Fraud",
		"notes":           "card testing",
		"time_left":       "1 d",
		"channels":        "all channels",
	} {
		if got := e.text(ctx, fmt.Sprintf(`#block-details dd[data-field=%q]`, field)); !strings.Contains(got, want) {
			t.Errorf("details %s = %q, want %q", field, got, want)
		}
	}
	if got := evalJS[string](e, ctx, `document.querySelector('#block-details dd[data-field="created_at"] time').title`); got != "2026-01-05 10:00:00 UTC" {
		t.Errorf("blocked at title = %q", got)
	}
	if got := evalJS[string](e, ctx, `document.querySelector('#block-details dd[data-field="user_id"] a').getAttribute("href")`); got != "#user/u-1" {
		t.Errorf("user link = %q", got)
	}

	// Renew for a week from now.
	e.click(ctx, "#act-renew")
	e.fill(ctx, "#renew-period", "1w")
	e.click(ctx, "#renew-save")
	e.confirm(ctx, true, "")
	e.waitText(ctx, `#block-details dd[data-field="time_left"]`, "7 d")
	e.waitText(ctx, "#status", "Renewed")
	if got := e.admGetBlock(b.ID); got.Until == nil || *got.Until != "2026-01-12T10:00:00Z" {
		t.Errorf("until after renewal = %v", got.Until)
	}
	if got := evalJS[string](e, ctx, `document.querySelector('#block-details dd[data-field="until"] time').title`); got != "2026-01-12 10:00:00 UTC" {
		t.Errorf("until title = %q", got)
	}

	// Edit the notes.
	e.click(ctx, "#act-edit")
	e.fill(ctx, "#edit-notes", "card testing; called the bank")
	e.click(ctx, "#edit-save")
	e.waitText(ctx, `#block-details dd[data-field="notes"]`, "called the bank")
	if got := e.admGetBlock(b.ID); got.Notes != "card testing; called the bank" || got.Until == nil || *got.Until != "2026-01-12T10:00:00Z" {
		t.Errorf("after the edit: notes %q, until %v", got.Notes, got.Until)
	}

	// Edit the end: a time in the viewer's zone (earlier: confirmed), then permanent.
	e.click(ctx, "#act-edit")
	e.fill(ctx, "#edit-until", "2026-01-08T12:00")
	e.click(ctx, "#edit-save")
	e.confirm(ctx, true, "")
	want := evalJS[string](e, ctx, `new Date("2026-01-08T12:00").toISOString().replace(/\.000Z$/, "Z")`)
	e.waitJS(ctx, "the until is shown", fmt.Sprintf(`document.querySelector('#block-details dd[data-field="until"] time')?.getAttribute("datetime") === %q`, strings.Replace(want, "Z", ".000Z", 1)))
	if got := e.admGetBlock(b.ID); got.Until == nil || *got.Until != want {
		t.Errorf("until after the edit = %v, want %s", got.Until, want)
	}
	e.click(ctx, "#act-edit")
	e.click(ctx, "#edit-permanent")
	e.click(ctx, "#edit-save")
	e.confirm(ctx, true, "")
	e.waitText(ctx, `#block-details dd[data-field="time_left"]`, "permanent")
	if got := e.admGetBlock(b.ID); got.Until != nil || got.Notes != "card testing; called the bank" {
		t.Errorf("after making it permanent: until %v, notes %q", got.Until, got.Notes)
	}

	// Unblock: Cancel keeps it, Confirm with a note lifts it.
	e.click(ctx, "#act-unblock")
	e.confirm(ctx, false, "")
	e.waitText(ctx, "#status", "still active")
	if got := e.admGetBlock(b.ID); got.Status != "active" {
		t.Fatalf("cancelled unblock: status %q", got.Status)
	}
	e.click(ctx, "#act-unblock")
	e.confirm(ctx, true, "paid back, resolved by phone")
	e.waitText(ctx, `#block-details dd[data-field="status"]`, "lifted")
	e.waitGone(ctx, "#act-unblock")
	got := e.admGetBlock(b.ID)
	if got.Status != "lifted" || got.LiftedBy != supervisorEmail || got.LiftNotes != "paid back, resolved by phone" {
		t.Errorf("lifted block = %+v", got)
	}
	if txt := e.text(ctx, `#block-details dd[data-field="lifted_by"]`); txt != supervisorEmail {
		t.Errorf("lifted by = %q", txt)
	}
	e.shot(ctx, "admin-block-details")

	// It is in the history, with who lifted it and why.
	e.click(ctx, "#tab-history")
	e.admWaitRows(ctx, 1, fmt.Sprintf(`r.dataset.id === %q && r.textContent.includes("paid back, resolved by phone") && r.textContent.includes(%q)`, b.ID, supervisorEmail))
	if got := evalJS[string](e, ctx, `document.querySelector("#tab-history").getAttribute("aria-selected")`); got != "true" {
		t.Errorf("History tab aria-selected = %q", got)
	}
	e.shot(ctx, "admin-history")
	// And no longer among the active blocks.
	e.click(ctx, "#tab-blocks")
	e.admWaitRows(ctx, 1, fmt.Sprintf(`r.dataset.id === %q`, other.ID))

	// Renewing a block lifted meanwhile (another tab) is refused; the form stays.
	e.click(ctx, "#blocks-table tbody tr a")
	e.waitVisible(ctx, "#act-renew")
	e.call("POST", "/v1/admin/blocks/"+other.ID+"/lift", e.tokens["admin"], `{"notes": "elsewhere"}`, http.StatusOK, nil)
	e.click(ctx, "#act-renew")
	e.fill(ctx, "#renew-period", "custom")
	e.fill(ctx, "#renew-minutes", "90")
	e.fill(ctx, "#renew-notes", "one more chance")
	e.click(ctx, "#renew-save")
	e.confirm(ctx, true, "")
	e.waitJS(ctx, "the refusal is shown", `document.getElementById("status").dataset.kind === "error"`)
	if got := evalJS[string](e, ctx, `document.getElementById("renew-minutes").value + "|" + document.getElementById("renew-notes").value`); got != "90|one more chance" {
		t.Errorf("the renew form after the refusal = %q", got)
	}
	t.Logf("refusal: %s", e.text(ctx, "#status"))
}

func TestAdminBans(t *testing.T) {
	e := newUI(t)
	ctx := e.desktop()
	e.admSignIn(ctx, "admin")
	e.click(ctx, "#tab-bans")
	e.waitVisible(ctx, "#ban-form")
	if evalJS[bool](e, ctx, `document.getElementById("ban-type-range").disabled`) {
		t.Fatal("the range option is disabled for an admin")
	}

	// An IP ban: live chat (the default), one day.
	e.fill(ctx, "#ban-address", "198.51.100.23")
	e.fill(ctx, "#ban-period", "1d")
	e.fill(ctx, "#ban-category", "spam")
	e.fill(ctx, "#ban-notes", "scraper")
	e.click(ctx, "#ban-submit")
	e.confirm(ctx, true, "")
	e.waitText(ctx, `#block-details dd[data-field="ip"]`, "198.51.100.23")
	e.waitText(ctx, "#status", "Banned the address 198.51.100.23")
	l := e.admSearch("198.51.100.23")
	if len(l) != 1 || l[0].Kind != "ip" || !slices.Equal(l[0].Channels, []string{"live_chat"}) || l[0].CreatedBy != adminEmail || l[0].Notes != "scraper" || l[0].Allow {
		t.Errorf("ip ban = %+v", l)
	}

	// A permanent range ban on live chat and the forum.
	e.click(ctx, "#tab-bans")
	e.click(ctx, "#ban-type-range")
	e.waitText(ctx, `label[for="ban-address"]`, "Range")
	e.fill(ctx, "#ban-address", "203.0.113.0/24")
	e.click(ctx, "#ban-ch-forum")
	e.fill(ctx, "#ban-period", "permanent")
	e.fill(ctx, "#ban-category", "fraud")
	e.click(ctx, "#ban-submit")
	e.confirm(ctx, true, "")
	e.waitText(ctx, `#block-details dd[data-field="range"]`, "203.0.113.0/24")
	if got := e.text(ctx, `#block-details dd[data-field="until"]`); got != "permanent" {
		t.Errorf("until = %q", got)
	}
	l = e.admSearch("203.0.113.5")
	if len(l) != 1 || l[0].Kind != "range" || l[0].Range != "203.0.113.0/24" || l[0].Until != nil || !admSameSet(l[0].Channels, []string{"live_chat", "forum"}) {
		t.Errorf("range ban = %+v", l)
	}

	// A refused ban keeps what was typed and says why.
	e.click(ctx, "#tab-bans")
	e.fill(ctx, "#ban-address", "300.1.2.3")
	e.fill(ctx, "#ban-category", "spam")
	e.click(ctx, "#ban-submit")
	e.confirm(ctx, true, "")
	e.waitText(ctx, "#status", "ip")
	if got := evalJS[string](e, ctx, `document.getElementById("ban-address").value + "|" + document.getElementById("ban-address").getAttribute("aria-invalid")`); got != "300.1.2.3|true" {
		t.Errorf("after the refusal the address is %q", got)
	}

	// A supervisor cannot ban a range: the option is disabled, with the reason.
	sup := e.desktop()
	e.admSignIn(sup, "supervisor")
	e.click(sup, "#tab-bans")
	e.waitVisible(sup, "#ban-form")
	if !evalJS[bool](e, sup, `document.getElementById("ban-type-range").disabled`) {
		t.Error("the range option is enabled for a supervisor")
	}
	if got := e.text(sup, "#ban-range-note"); !strings.Contains(got, "Only an admin can ban a range") {
		t.Errorf("range note = %q", got)
	}
	e.call("POST", "/v1/admin/blocks", e.tokens["supervisor"], `{"kind": "range", "range": "192.0.2.0/24", "period": "1d", "reason_category": "spam"}`, http.StatusForbidden, nil)
}

func TestAdminRoles(t *testing.T) {
	e := newUI(t)
	b := e.admConversationBlock("rude")
	ctx := e.desktop()
	// A wrong token is refused and keeps the form.
	e.open(ctx, "/admin", "#token")
	e.typeKeys(ctx, "#token", "not-a-token\r")
	e.waitText(ctx, "#status", "That access token is not valid.")
	e.waitVisible(ctx, "#signin-form")
	e.admSignIn(ctx, "agent")
	if got := e.text(ctx, "#role-notice"); !strings.Contains(got, "The admin portal needs a supervisor or admin role") {
		t.Errorf("notice = %q", got)
	}
	// Even on a block's address: no actions, no tabs.
	evalJS[bool](e, ctx, fmt.Sprintf(`(location.hash = %q, true)`, "#block/"+b.ID))
	e.waitJS(ctx, "the hash is the block's", fmt.Sprintf(`location.hash === %q`, "#block/"+b.ID))
	buttons := evalJS[[]string](e, ctx, `[...document.querySelectorAll("button")].filter((b) => b.offsetParent !== null).map((b) => b.textContent.trim())`)
	for _, text := range buttons {
		if strings.HasPrefix(text, "Unblock") || strings.HasPrefix(text, "Renew") || strings.HasPrefix(text, "Edit") || strings.HasPrefix(text, "Add ban") {
			t.Errorf("an agent sees the button %q", text)
		}
	}
	if !slices.Contains(buttons, "Sign out") {
		t.Errorf("buttons = %q, want Sign out", buttons)
	}
	if evalJS[bool](e, ctx, `!!document.querySelector("#block-details, #blocks-table")`) {
		t.Error("an agent sees block data")
	}
	e.call("POST", "/v1/admin/blocks/"+b.ID+"/lift", e.tokens["agent"], `{"notes": "let me"}`, http.StatusForbidden, nil)
	if got := e.admGetBlock(b.ID); got.Status != "active" {
		t.Errorf("status = %q after the agent's attempt", got.Status)
	}

	// Sign out returns to the sign-in form.
	e.click(ctx, "#sign-out")
	e.waitVisible(ctx, "#token")
	if got := evalJS[string](e, ctx, `sessionStorage.getItem("chatflow.staff.token") || ""`); got != "" {
		t.Errorf("token kept after sign-out: %q", got)
	}
}

func TestAdminCSVExport(t *testing.T) {
	e := newUI(t)
	for i := range 5 {
		e.admUserBlock(e.tokens["supervisor"], fmt.Sprintf("u-%d", i), "1d", "spam", "line one\nline \"two\", with a comma")
	}
	lifted := e.admUserBlock(e.tokens["supervisor"], "u-gone", "1d", "spam", "")
	e.call("POST", "/v1/admin/blocks/"+lifted.ID+"/lift", e.tokens["supervisor"], `{"notes": "ok"}`, http.StatusOK, nil)

	ctx := e.desktop()
	e.admSignIn(ctx, "supervisor")
	e.admWaitRows(ctx, 5, "")
	e.click(ctx, "#export-csv")
	e.waitText(ctx, "#status", "Exported 5 blocks to blocks.csv")

	resp := e.get("/v1/admin/blocks.csv?status=active", e.tokens["supervisor"])
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET blocks.csv = %d", resp.StatusCode)
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != 5 {
		t.Errorf("the API's CSV has %d rows, want 5", len(recs)-1)
	}

	// The history exports the ended block only.
	e.click(ctx, "#tab-history")
	e.admWaitRows(ctx, 1, "")
	e.click(ctx, "#export-csv")
	e.waitText(ctx, "#status", "Exported 1 block to blocks.csv")
}

func TestAdminPhone(t *testing.T) {
	e := newUI(t)
	for i := range 3 {
		e.admUserBlock(e.tokens["supervisor"], fmt.Sprintf("customer-with-a-long-id-%d", i), "1w", "harassment", "")
	}
	e.admConversationBlock("spam")
	ctx := e.phone()
	e.admSignIn(ctx, "supervisor")
	e.admWaitRows(ctx, 4, "")
	// The page does not scroll sideways; the table scrolls inside its wrapper.
	if w := evalJS[int](e, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the page is %dpx wide at 390px", w)
	}
	e.shot(ctx, "admin-phone")
	e.click(ctx, "#blocks-table tbody tr a")
	e.waitVisible(ctx, "#act-unblock")
	if w := evalJS[int](e, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the details page is %dpx wide at 390px", w)
	}
}

func TestAdminDemoSignInAndKeyboard(t *testing.T) {
	e := newUI(t, server.WithDemo([]server.DemoStaff{
		{Role: server.RoleSupervisor, Name: "Demo Supervisor", Email: "demo.supervisor@acme.test", Token: "demo-supervisor-token-0123456789"},
		{Role: server.RoleAdmin, Name: "Demo Admin", Email: "demo.admin@acme.test", Token: "demo-admin-token-0123456789"},
	}))
	e.admUserBlock(e.tokens["supervisor"], "u-1", "1d", "spam", "")
	ctx := e.desktop()
	e.open(ctx, "/admin", "#token")
	if got := evalJS[string](e, ctx, `document.querySelector('label[for="token"]').textContent + "|" + document.getElementById("token").type`); got != "Access token|password" {
		t.Errorf("token field = %q", got)
	}
	e.waitVisible(ctx, "#demo-buttons button[data-role=supervisor]")
	e.click(ctx, "#demo-buttons button[data-role=supervisor]")
	e.admWaitRows(ctx, 1, "")
	e.waitText(ctx, "#who", "Demo Supervisor")

	// The tabs work with the arrow keys.
	e.typeKeys(ctx, "#tab-blocks", kb.ArrowRight)
	e.waitJS(ctx, "History is selected", `document.getElementById("tab-history").getAttribute("aria-selected") === "true" && document.activeElement.id === "tab-history" && location.hash === "#history"`)
	e.waitText(ctx, "#view h2", "History")

	// A reload keeps the session (sessionStorage) and the section.
	e.reload(ctx, "#results-count")
	e.waitText(ctx, "#view h2", "History")
	e.waitText(ctx, "#who", "Demo Supervisor")

	// The shell hands the user and conversation routes to their modules.
	e.click(ctx, "#tab-blocks")
	e.admWaitRows(ctx, 1, "")
	e.click(ctx, "#blocks-table tbody tr a")
	e.click(ctx, `#block-details dd[data-field="user_id"] a`)
	e.waitJS(ctx, "the user view shows", `location.hash === "#user/u-1" && document.getElementById("tab-user").getAttribute("aria-selected") === "true" && !!document.querySelector("#view h2") && document.querySelector("#view h2").textContent.includes("u-1")`)
	e.click(ctx, "#tab-conversations")
	e.waitJS(ctx, "the conversations view shows", `location.hash === "#conversations" && !!document.querySelector("#view h2") && document.querySelector("#view h2").textContent.includes("Conversations")`)
}
