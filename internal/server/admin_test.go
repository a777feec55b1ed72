package server_test

import (
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/auth"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/server"
)

// blockOut is the part of a block the tests read.
type blockOut struct {
	ID              string   `json:"id"`
	Kind            string   `json:"kind"`
	Status          string   `json:"status"`
	UserID          string   `json:"user_id"`
	ConversationID  string   `json:"conversation_id"`
	IP              string   `json:"ip"`
	Range           string   `json:"range"`
	Channels        []string `json:"channels"`
	ReasonCategory  string   `json:"reason_category"`
	Reason          string   `json:"reason"`
	Notes           string   `json:"notes"`
	CreatedBy       string   `json:"created_by"`
	Until           *string  `json:"until"`
	TimeLeftSeconds *int64   `json:"time_left_seconds"`
	LiftedBy        string   `json:"lifted_by"`
	LiftNotes       string   `json:"lift_notes"`
}

type blockList struct {
	Blocks []blockOut `json:"blocks"`
	Next   string     `json:"next"`
}

func ids(l []blockOut) []string {
	out := make([]string, len(l))
	for i, b := range l {
		out[i] = b.ID
	}
	return out
}

// create makes a block through the admin API as the admin.
func (e *staffEnv) create(t *testing.T, body string) blockOut {
	t.Helper()
	var b blockOut
	e.must(t, http.StatusCreated, &b, adminTok, "POST", "/v1/admin/blocks", body)
	return b
}

func TestAdminCreateGetSearch(t *testing.T) {
	e := newStaffEnv(t)
	ipBan := e.create(t, `{"kind": "ip", "ip": "198.51.100.7", "period": "1d", "reason_category": "spam", "notes": "bot"}`)
	rng := e.create(t, `{"range": "203.0.113.0/24", "period": "permanent", "reason_category": "fraud"}`)
	user := e.create(t, `{"user_id": "u-42", "channels": ["live_chat"], "period": "90", "reason_category": "harassment", "reason": "threats"}`)

	var got blockOut
	e.must(t, http.StatusOK, &got, superTok, "GET", "/v1/admin/blocks/"+ipBan.ID, "")
	if got.IP != "198.51.100.7" || got.Status != "active" || got.TimeLeftSeconds == nil || *got.TimeLeftSeconds != 86400 {
		t.Errorf("ip ban detail = %+v", got)
	}
	got = blockOut{}
	e.must(t, http.StatusOK, &got, superTok, "GET", "/v1/admin/blocks/"+rng.ID, "")
	if got.Until != nil || got.TimeLeftSeconds != nil || got.Range != "203.0.113.0/24" {
		t.Errorf("permanent range detail = %+v", got)
	}
	e.must(t, http.StatusNotFound, nil, superTok, "GET", "/v1/admin/blocks/nope", "")

	for _, tc := range []struct{ q, want string }{
		{"203.0.113.99", rng.ID}, // inside the banned range
		{"198.51.100.7", ipBan.ID},
		{"u-42", user.ID},
	} {
		var l blockList
		e.must(t, http.StatusOK, &l, superTok, "GET", "/v1/admin/blocks/search?q="+url.QueryEscape(tc.q), "")
		if !slices.Equal(ids(l.Blocks), []string{tc.want}) {
			t.Errorf("search %s = %q, want %s", tc.q, ids(l.Blocks), tc.want)
		}
	}
	p := decodeProblem(t, e.must(t, http.StatusBadRequest, nil, superTok, "GET", "/v1/admin/blocks/search", ""))
	if !slices.Equal(p.fields(), []string{"q"}) {
		t.Errorf("fields = %q", p.fields())
	}
}

func TestAdminCreateErrorsStoreNothing(t *testing.T) {
	e := newStaffEnv(t)
	e.create(t, `{"user_id": "u-1", "period": "1h", "reason_category": "spam"}`)
	before := e.blockCount(t)
	for _, tc := range []struct {
		name, body string
		status     int
		fields     []string
	}{
		{"bad JSON", `{"user_id": `, 400, nil},
		{"unknown field", `{"user_id": "u-2", "period": "1h", "reason_category": "spam", "color": "red"}`, 400, nil},
		{"bad ip", `{"ip": "300.1.2.3", "period": "1h", "reason_category": "spam"}`, 422, []string{"ip"}},
		{"loopback ip", `{"ip": "127.0.0.1", "period": "1h", "reason_category": "spam"}`, 422, []string{"ip"}},
		{"bad range", `{"range": "10.0.0.0/33", "period": "1h", "reason_category": "spam"}`, 422, []string{"range"}},
		{"range over a private network", `{"range": "10.0.0.0/8", "period": "1h", "reason_category": "spam"}`, 422, []string{"range"}},
		{"period too long", `{"user_id": "u-2", "period": "4000d", "reason_category": "spam"}`, 422, []string{"period"}},
		{"sub-minute period and bad category", `{"user_id": "u-2", "period": "90s", "reason_category": "rude"}`, 422, []string{"period", "reason_category"}},
		{"unknown kind", `{"kind": "email", "period": "1h", "reason_category": "spam"}`, 422, []string{"kind"}},
		{"bad channel", `{"user_id": "u-2", "channels": ["sms"], "period": "1h", "reason_category": "spam"}`, 422, []string{"channels[0]"}},
		{"duplicate", `{"user_id": "u-1", "period": "1h", "reason_category": "spam"}`, 422, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := decodeProblem(t, e.must(t, tc.status, nil, adminTok, "POST", "/v1/admin/blocks", tc.body))
			got := p.fields()
			slices.Sort(got)
			if tc.fields != nil && !slices.Equal(got, tc.fields) {
				t.Errorf("fields = %q, want %q (%s)", got, tc.fields, p.Detail)
			}
			if tc.status == 422 && len(p.Errors) == 0 {
				t.Errorf("no errors array: %+v", p)
			}
			if n := e.blockCount(t); n != before {
				t.Errorf("%d blocks stored, want %d", n, before)
			}
		})
	}
}

func TestAdminChangeBlock(t *testing.T) {
	e := newStaffEnv(t)
	b := e.create(t, `{"user_id": "u-7", "period": "1h", "reason_category": "spam"}`)
	path := "/v1/admin/blocks/" + b.ID
	var got blockOut
	e.must(t, http.StatusOK, &got, superTok, "POST", path+"/renew", `{"period": "1d", "notes": "again"}`)
	if *got.TimeLeftSeconds != 86400 || !strings.Contains(got.Notes, "again") {
		t.Errorf("renewed = %+v", got)
	}
	got = blockOut{}
	e.must(t, http.StatusOK, &got, superTok, "PATCH", path, `{"reason_category": "fraud", "channels": ["live_chat", "forum"], "until": "2026-02-01T00:00:00Z"}`)
	if got.ReasonCategory != "fraud" || !slices.Equal(got.Channels, []string{"forum", "live_chat"}) || *got.Until != "2026-02-01T00:00:00Z" {
		t.Errorf("edited = %+v", got)
	}
	// Refused changes leave the block as it was.
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"renew too long", "POST", path + "/renew", `{"period": "999999999"}`, 422},
		{"renew zero", "POST", path + "/renew", `{"period": "0"}`, 422},
		{"renew unknown", "POST", "/v1/admin/blocks/nope/renew", `{"period": "1h"}`, 404},
		{"edit until in the past", "PATCH", path, `{"until": "2025-01-01T00:00:00Z"}`, 422},
		{"edit until garbage", "PATCH", path, `{"until": "tomorrow"}`, 422},
		{"edit bad channel", "PATCH", path, `{"channels": ["sms"]}`, 422},
		{"edit unknown field", "PATCH", path, `{"reason_cat": "spam"}`, 400},
		{"edit unknown", "PATCH", "/v1/admin/blocks/nope", `{"notes": "x"}`, 404},
		{"lift unknown", "POST", "/v1/admin/blocks/nope/lift", `{"notes": "x"}`, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.must(t, tc.status, nil, superTok, tc.method, tc.path, tc.body)
			var now blockOut
			e.must(t, http.StatusOK, &now, superTok, "GET", path, "")
			if *now.Until != "2026-02-01T00:00:00Z" || now.ReasonCategory != "fraud" {
				t.Errorf("block changed: %+v", now)
			}
		})
	}
	got = blockOut{}
	e.must(t, http.StatusOK, &got, superTok, "POST", path+"/lift", `{"notes": "apologised"}`)
	if got.Status != "lifted" || got.LiftedBy != "sam@acme.test" || got.LiftNotes != "apologised" {
		t.Errorf("lifted = %+v", got)
	}
	e.must(t, http.StatusConflict, nil, superTok, "POST", path+"/lift", `{}`)
	e.must(t, http.StatusConflict, nil, superTok, "POST", path+"/renew", `{"period": "1h"}`)
}

func TestAdminUserUnblock(t *testing.T) {
	e := newStaffEnv(t)
	e.must(t, http.StatusNotFound, nil, superTok, "GET", "/v1/admin/users/u-9", "")
	e.create(t, `{"user_id": "u-9", "channels": ["live_chat"], "period": "1w", "reason_category": "abusive_language"}`)
	e.create(t, `{"user_id": "u-9", "channels": ["forum"], "period": "1d", "reason_category": "spam"}`)
	var u struct {
		Blacklist []blockOut `json:"blacklist"`
	}
	e.must(t, http.StatusOK, &u, superTok, "GET", "/v1/admin/users/u-9", "")
	if len(u.Blacklist) != 2 {
		t.Fatalf("blacklist = %+v", u.Blacklist)
	}
	var res struct{ Lifted int }
	e.must(t, http.StatusOK, &res, superTok, "POST", "/v1/admin/users/u-9/unblock", `{"notes": "appeal accepted"}`)
	if res.Lifted != 2 {
		t.Errorf("lifted %d, want 2", res.Lifted)
	}
	var active blockList
	e.must(t, http.StatusOK, &active, superTok, "GET", "/v1/admin/blocks?status=active", "")
	if len(active.Blocks) != 0 {
		t.Errorf("still active: %q", ids(active.Blocks))
	}
	e.must(t, http.StatusForbidden, nil, agentTok, "POST", "/v1/admin/users/u-9/unblock", `{}`)
}

func TestAdminListFiltersAndPages(t *testing.T) {
	e := newStaffEnv(t)
	var all []string
	for i, body := range []string{
		`{"user_id": "a", "period": "1h", "reason_category": "spam"}`,
		`{"user_id": "b", "period": "1d", "reason_category": "fraud", "channels": ["forum"]}`,
		`{"conversation_id": "c", "period": "1h", "reason_category": "spam"}`,
		`{"ip": "198.51.100.1", "period": "1h", "reason_category": "spam"}`,
		`{"user_id": "d", "period": "1w", "reason_category": "spam"}`,
	} {
		all = append(all, e.create(t, body).ID)
		if i == 1 {
			e.clk.Advance(time.Hour + time.Minute) // the first block expires
		}
	}
	list := func(q string) blockList {
		t.Helper()
		var l blockList
		e.must(t, http.StatusOK, &l, superTok, "GET", "/v1/admin/blocks"+q, "")
		return l
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", all},
		{"?status=ended", all[:1]},
		{"?status=active&kind=user", []string{all[1], all[4]}},
		{"?reason_category=fraud", all[1:2]},
		{"?channel=live_chat&kind=user", []string{all[0], all[4]}},
		{"?kind=conversation&status=active", all[2:3]},
		{"?created_from=2026-01-05T11:00:00Z", all[2:]},
		{"?created_to=2026-01-05T11:00:00Z&created_by=ada@acme.test", all[:2]},
		{"?created_by=nobody", []string{}},
	} {
		if got := ids(list(tc.q).Blocks); !slices.Equal(got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.q, got, tc.want)
		}
	}
	var paged []string
	l := list("?limit=2")
	for pages := 1; ; pages++ {
		paged = append(paged, ids(l.Blocks)...)
		if l.Next == "" {
			if pages != 3 {
				t.Errorf("%d pages of 2 for 5 blocks", pages)
			}
			break
		}
		l = list("?limit=2&after=" + l.Next)
	}
	if !slices.Equal(paged, all) {
		t.Errorf("paged = %q, want %q", paged, all)
	}
	p := decodeProblem(t, e.must(t, http.StatusBadRequest, nil, superTok, "GET", "/v1/admin/blocks?status=gone&created_from=yesterday&limit=0&colour=red", ""))
	got := p.fields()
	slices.Sort(got)
	if want := []string{"colour", "created_from", "limit", "status"}; !slices.Equal(got, want) {
		t.Errorf("fields = %q, want %q", got, want)
	}
}

func TestAdminAudit(t *testing.T) {
	e := newStaffEnv(t)
	b := e.create(t, `{"user_id": "a", "period": "1h", "reason_category": "spam"}`)
	e.must(t, http.StatusOK, nil, superTok, "POST", "/v1/admin/blocks/"+b.ID+"/lift", `{}`)
	e.must(t, http.StatusForbidden, nil, agentTok, "GET", "/v1/admin/audit", "")
	type events struct {
		Events []struct{ Actor, Action string } `json:"events"`
		Next   string                           `json:"next"`
	}
	var page events
	e.must(t, http.StatusOK, &page, superTok, "GET", "/v1/admin/audit?limit=2", "")
	if len(page.Events) != 2 || page.Events[0].Action != "block.create" || page.Events[1].Action != "block.lift" || page.Next == "" {
		t.Fatalf("page 1 = %+v", page)
	}
	next := page.Next
	page = events{}
	e.must(t, http.StatusOK, &page, superTok, "GET", "/v1/admin/audit?limit=2&after="+next, "")
	if len(page.Events) != 1 || page.Events[0].Action != "auth.deny" || page.Events[0].Actor != "ann@acme.test" || page.Next != "" {
		t.Errorf("page 2 = %+v", page)
	}
	page = events{}
	e.must(t, http.StatusOK, &page, superTok, "GET", "/v1/admin/audit?action=block.lift", "")
	if len(page.Events) != 1 || page.Events[0].Actor != "sam@acme.test" {
		t.Errorf("lifts = %+v", page)
	}
	e.must(t, http.StatusBadRequest, nil, superTok, "GET", "/v1/admin/audit?from=monday", "")
}

func TestAdminBlocksCSV(t *testing.T) {
	e := newStaffEnv(t)
	tricky := "said \"you're useless\", then\nleft"
	b := e.create(t, `{"user_id": "u-1", "period": "1h", "reason_category": "spam", "reason": "said \"you're useless\", then\nleft"}`)
	e.create(t, `{"ip": "198.51.100.3", "period": "permanent", "reason_category": "fraud"}`)
	r := e.must(t, http.StatusOK, nil, superTok, "GET", "/v1/admin/blocks.csv", "")
	if !strings.HasPrefix(r.ctype, "text/csv") {
		t.Errorf("Content-Type %q", r.ctype)
	}
	if !strings.Contains(r.body, `"said ""you're useless"", then`+"\n"+`left"`) {
		t.Errorf("reason not quoted per RFC 4180:\n%s", r.body)
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "id" || rows[1][0] != b.ID {
		t.Fatalf("rows = %q", rows)
	}
	col := slices.Index(rows[0], "reason")
	if rows[1][col] != tricky {
		t.Errorf("reason read back = %q", rows[1][col])
	}
	if c := slices.Index(rows[0], "created_at"); rows[1][c] != "2026-01-05T10:00:00Z" {
		t.Errorf("created_at = %q", rows[1][c])
	}
	if c := slices.Index(rows[0], "ip"); rows[2][c] != "198.51.100.3" {
		t.Errorf("ip = %q", rows[2][c])
	}
	if c := slices.Index(rows[0], "until"); rows[2][c] != "permanent" {
		t.Errorf("until = %q", rows[2][c])
	}
	r = e.must(t, http.StatusOK, nil, superTok, "GET", "/v1/admin/blocks.csv?kind=ip", "")
	if rows, _ := csv.NewReader(strings.NewReader(r.body)).ReadAll(); len(rows) != 2 {
		t.Errorf("kind=ip: %d rows", len(rows))
	}
	e.must(t, http.StatusBadRequest, nil, superTok, "GET", "/v1/admin/blocks.csv?kind=email", "")
}

// TestEndToEndBlockAndLift is the whole story over loopback HTTP: a
// visitor asks for an agent, the agent takes the chat and disconnects
// with block feedback, the visitor is refused neutrally, an agent may not
// lift the block, a supervisor finds it by filter and lifts it, and the
// visitor is queued again. No visitor response carries the reason.
func TestEndToEndBlockAndLift(t *testing.T) {
	e := newStaffEnv(t)
	var visitorBodies []string
	say := func(id, text string) []string {
		t.Helper()
		var tr turn
		visitorBodies = append(visitorBodies, e.mustVisitor(t, http.StatusOK, &tr, "POST", "/v1/conversations/"+id+"/messages", `{"text": "`+text+`"}`))
		return tr.Replies
	}
	var start turn
	visitorBodies = append(visitorBodies, e.mustVisitor(t, http.StatusCreated, &start, "POST", "/v1/conversations", `{"channel": "live_chat"}`))
	id := start.ID
	if r := say(id, "hello"); !slices.Equal(r, []string{faq}) {
		t.Fatalf("replies = %q", r)
	}
	if r := say(id, "I want an agent"); !slices.Equal(r, []string{queued}) {
		t.Fatalf("replies = %q, want queued", r)
	}

	var took struct{ ID string }
	e.must(t, http.StatusOK, &took, agentTok, "POST", "/v1/agent/queues/support/take", "")
	if took.ID != id {
		t.Fatalf("took %s, want %s", took.ID, id)
	}
	say(id, "you are all useless")
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+id+"/messages", `{"text": "Please stay polite."}`)
	var disc struct {
		Blocked bool `json:"blocked"`
	}
	e.must(t, http.StatusOK, &disc, agentTok, "POST", "/v1/agent/conversations/"+id+"/disconnect",
		`{"block": true, "reason_category": "abusive_language", "notes": "insulted-the-agent-7f3a", "minutes": 60}`)
	if !disc.Blocked {
		t.Fatal("the disconnect did not block the visitor")
	}

	if r := say(id, "agent please"); !slices.Equal(r, []string{blocked}) {
		t.Errorf("blocked visitor: replies = %q, want the neutral refusal", r)
	}
	visitorBodies = append(visitorBodies, e.mustVisitor(t, http.StatusOK, nil, "GET", "/v1/conversations/"+id+"/messages", ""))

	var found blockList
	e.must(t, http.StatusOK, &found, superTok, "GET", "/v1/admin/blocks?kind=conversation&status=active", "")
	if len(found.Blocks) != 1 || found.Blocks[0].ConversationID != id || found.Blocks[0].CreatedBy != "ann@acme.test" {
		t.Fatalf("active conversation blocks = %+v", found.Blocks)
	}
	blk := found.Blocks[0]

	e.must(t, http.StatusForbidden, nil, agentTok, "POST", "/v1/admin/blocks/"+blk.ID+"/lift", `{"notes": "let me"}`)
	var denials struct {
		Events []struct {
			Actor   string            `json:"actor"`
			Subject string            `json:"subject"`
			Details map[string]string `json:"details"`
		} `json:"events"`
	}
	e.must(t, http.StatusOK, &denials, superTok, "GET", "/v1/admin/audit?action=auth.deny", "")
	if len(denials.Events) != 1 || denials.Events[0].Actor != "ann@acme.test" || denials.Events[0].Subject != blk.ID || denials.Events[0].Details["action"] != "block.lift" {
		t.Errorf("auth.deny events = %+v", denials.Events)
	}

	var lifted blockOut
	e.must(t, http.StatusOK, &lifted, superTok, "POST", "/v1/admin/blocks/"+blk.ID+"/lift", `{"notes": "customer apologised by email"}`)
	if lifted.Status != "lifted" || lifted.LiftNotes != "customer apologised by email" {
		t.Errorf("lifted = %+v", lifted)
	}
	if r := say(id, "agent"); !slices.Equal(r, []string{queued}) {
		t.Errorf("after the lift: replies = %q, want queued", r)
	}
	var q struct {
		Waiting []struct {
			ConversationID string `json:"conversation_id"`
		} `json:"waiting"`
	}
	e.must(t, http.StatusOK, &q, agentTok, "GET", "/v1/agent/queues/support", "")
	if len(q.Waiting) != 1 || q.Waiting[0].ConversationID != id {
		t.Errorf("queue = %+v", q.Waiting)
	}
	for _, b := range visitorBodies {
		for _, secret := range []string{"abusive", "insulted-the-agent-7f3a"} {
			if strings.Contains(b, secret) {
				t.Errorf("a visitor response reveals the block reason (%q): %s", secret, b)
			}
		}
	}
	m := e.call(t, "", "GET", "/metrics", "").body
	for _, want := range []string{`chatflow_blocks_created_total{kind="conversation"} 1`, `chatflow_blocks_lifted_total{kind="conversation"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAdminBlocksCSVPages: the export streams past one page of the store.
func TestAdminBlocksCSVPages(t *testing.T) {
	e := newStaffEnv(t)
	const n = 501 // one more than a page
	for i := range n {
		if _, err := e.app.Blocking.Create(t.Context(), blocking.NewBlock{
			UserID: "u-" + strconv.Itoa(i), Period: blocking.Period{Minutes: 60}, ReasonCategory: "spam", Actor: "ada@acme.test",
		}); err != nil {
			t.Fatal(err)
		}
	}
	r := e.must(t, http.StatusOK, nil, superTok, "GET", "/v1/admin/blocks.csv?status=active", "")
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 {
		t.Fatalf("%d rows, want a header and %d blocks", len(rows), n)
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		if seen[row[0]] {
			t.Fatalf("block %s exported twice", row[0])
		}
		seen[row[0]] = true
	}
}

// TestRealAuthService runs the staff APIs with the real internal/auth
// service: accounts' tokens authenticate with their roles, and an agent's
// refused lift is an "auth.deny" event in the audit log.
func TestRealAuthService(t *testing.T) {
	store := memory.New()
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	a, err := app.New(t.Context(), app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	as, err := auth.New(store, auth.Options{Clock: clk.Now, BootstrapAdminToken: "bootstrap-token-0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := as.Authenticate(t.Context(), "bootstrap-token-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	_, agent, err := as.CreateAccount(t.Context(), boot, "Ann", "ann@acme.test", auth.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	_, super, err := as.CreateAccount(t.Context(), boot, "Sam", "sam@acme.test", auth.RoleSupervisor)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(a, nil, server.WithAuth(as)))
	t.Cleanup(srv.Close)
	e := &staffEnv{srv: srv, app: a, store: store, clk: clk}
	b, err := a.Blocking.Create(t.Context(), blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 60}, ReasonCategory: "spam", Actor: "sam@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	e.must(t, http.StatusUnauthorized, nil, "not-a-token", "GET", "/v1/admin/blocks", "")
	e.must(t, http.StatusOK, nil, agent, "GET", "/v1/agent/queues/support", "")
	e.must(t, http.StatusForbidden, nil, agent, "POST", "/v1/admin/blocks/"+b.ID+"/lift", `{}`)
	var evs struct {
		Events []struct {
			Actor   string            `json:"actor"`
			Subject string            `json:"subject"`
			Details map[string]string `json:"details"`
		} `json:"events"`
	}
	e.must(t, http.StatusOK, &evs, super, "GET", "/v1/admin/audit?action=auth.deny", "")
	if len(evs.Events) != 1 || evs.Events[0].Actor != "ann@acme.test" || evs.Events[0].Subject != b.ID || evs.Events[0].Details["action"] != "block.lift" {
		t.Errorf("auth.deny events = %+v", evs.Events)
	}
	var lifted blockOut
	e.must(t, http.StatusOK, &lifted, super, "POST", "/v1/admin/blocks/"+b.ID+"/lift", `{"notes": "ok"}`)
	if lifted.LiftedBy != "sam@acme.test" {
		t.Errorf("lifted by %q", lifted.LiftedBy)
	}
}
