package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/server"
)

// The demo staff of the tests.
var demoStaff = []server.DemoStaff{
	{Role: server.RoleAgent, Name: "Demo Agent", Email: "agent@demo.chatflow.test", Token: "demo-agent-token-0123456789"},
	{Role: server.RoleSupervisor, Name: "Demo Supervisor", Email: "supervisor@demo.chatflow.test", Token: "demo-super-token-0123456789"},
	{Role: server.RoleAdmin, Name: "Demo Admin", Email: "admin@demo.chatflow.test", Token: "demo-admin-token-0123456789"},
}

// newDemoEnv is a staffEnv whose server runs in demo mode with the given
// extra options (e.g. a visitor secret).
func newDemoEnv(t *testing.T, opts ...server.Option) *staffEnv {
	t.Helper()
	e := newStaffEnv(t)
	opts = append([]server.Option{server.WithAuth(e.auth), server.WithDemo(demoStaff)}, opts...)
	e.srv = httptest.NewServer(server.New(e.app, nil, opts...))
	t.Cleanup(e.srv.Close)
	return e
}

type meOut struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Email            string   `json:"email"`
	Role             string   `json:"role"`
	ReasonCategories []string `json:"reason_categories"`
	Channels         []string `json:"channels"`
	Periods          []struct {
		Name  string `json:"name"`
		Label string `json:"label"`
	} `json:"periods"`
	Queues []string `json:"queues"`
}

// TestMe: every role gets its identity and the form lists; no token 401.
func TestMe(t *testing.T) {
	e := newStaffEnv(t)
	for _, tc := range []struct{ tok, id, email, role string }{
		{agentTok, "u1", "ann@acme.test", "agent"},
		{superTok, "u2", "sam@acme.test", "supervisor"},
		{adminTok, "u3", "ada@acme.test", "admin"},
	} {
		var me meOut
		e.must(t, http.StatusOK, &me, tc.tok, "GET", "/v1/me", "")
		if me.ID != tc.id || me.Email != tc.email || me.Role != tc.role || me.Name == "" {
			t.Errorf("%s: me = %+v", tc.role, me)
		}
		if !slices.Equal(me.ReasonCategories, blocking.Categories()) || !slices.Equal(me.Channels, blocking.Channels()) {
			t.Errorf("%s: categories %q, channels %q", tc.role, me.ReasonCategories, me.Channels)
		}
		if len(me.Periods) != len(blocking.Presets()) || me.Periods[0].Name != "1h" || me.Periods[0].Label != "1 hour" || me.Periods[len(me.Periods)-1].Name != "permanent" {
			t.Errorf("%s: periods = %+v", tc.role, me.Periods)
		}
		if len(me.Queues) == 0 || me.Queues[0] != "default" {
			t.Errorf("%s: queues = %q", tc.role, me.Queues)
		}
	}
	e.must(t, http.StatusUnauthorized, nil, "", "GET", "/v1/me", "")
	e.must(t, http.StatusUnauthorized, nil, "wrong", "GET", "/v1/me", "")
}

// TestDemoAuth: demo tokens sign in as the demo staff, a wrong token does
// not, normal accounts still work, and roles still apply.
func TestDemoAuth(t *testing.T) {
	e := newDemoEnv(t)
	for _, d := range demoStaff {
		var me meOut
		e.must(t, http.StatusOK, &me, d.Token, "GET", "/v1/me", "")
		if me.ID != "demo-"+string(d.Role) || me.Name != d.Name || me.Email != d.Email || me.Role != string(d.Role) {
			t.Errorf("demo %s: me = %+v", d.Role, me)
		}
	}
	e.must(t, http.StatusUnauthorized, nil, "demo-agent-token-012345678", "GET", "/v1/me", "")
	e.must(t, http.StatusUnauthorized, nil, "demo-agent-token-0123456789x", "GET", "/v1/me", "")
	var me meOut
	e.must(t, http.StatusOK, &me, superTok, "GET", "/v1/me", "")
	if me.ID != "u2" {
		t.Errorf("normal account: me = %+v", me)
	}
	// The demo agent is still only an agent.
	e.must(t, http.StatusForbidden, nil, demoStaff[0].Token, "GET", "/v1/admin/blocks", "")
	e.must(t, http.StatusOK, nil, demoStaff[1].Token, "GET", "/v1/admin/blocks", "")
	if d := e.auth.denials(); !slices.Contains(d, "agent@demo.chatflow.test block.list ") {
		t.Errorf("denials = %q, want the demo agent's", d)
	}

	// Demo mode without an Authenticator: demo tokens only.
	only := newStaffEnv(t)
	only.srv = httptest.NewServer(server.New(only.app, nil, server.WithDemo(demoStaff)))
	t.Cleanup(only.srv.Close)
	only.must(t, http.StatusOK, nil, demoStaff[2].Token, "GET", "/v1/me", "")
	only.must(t, http.StatusUnauthorized, nil, adminTok, "GET", "/v1/me", "")
	only.must(t, http.StatusForbidden, nil, demoStaff[0].Token, "GET", "/v1/admin/blocks", "")
}

type demoInfo struct {
	Staff []struct {
		Role, Name, Email, Token string
	} `json:"staff"`
	VisitorTokens bool `json:"visitor_tokens"`
}

// TestDemoInfo: /v1/demo is 404 without WithDemo, and lists the staff
// with their tokens with it.
func TestDemoInfo(t *testing.T) {
	off := newStaffEnv(t)
	p := decodeProblem(t, off.must(t, http.StatusNotFound, nil, "", "GET", "/v1/demo", ""))
	if p.Title != "demo mode is off" {
		t.Errorf("title = %q", p.Title)
	}
	off.must(t, http.StatusNotFound, nil, "", "POST", "/v1/demo/visitor-token", `{"user_id": "u-1"}`)
	// Demo tokens mean nothing without demo mode.
	off.must(t, http.StatusUnauthorized, nil, demoStaff[2].Token, "GET", "/v1/me", "")

	e := newDemoEnv(t)
	var info demoInfo
	e.must(t, http.StatusOK, &info, "", "GET", "/v1/demo", "")
	if len(info.Staff) != 3 || info.VisitorTokens {
		t.Fatalf("demo info = %+v", info)
	}
	for i, d := range demoStaff {
		if s := info.Staff[i]; s.Role != string(d.Role) || s.Name != d.Name || s.Email != d.Email || s.Token != d.Token {
			t.Errorf("staff[%d] = %+v, want %+v", i, s, d)
		}
	}
	p = decodeProblem(t, e.must(t, http.StatusNotFound, nil, "", "POST", "/v1/demo/visitor-token", `{"user_id": "u-1"}`))
	if p.Title != "no visitor token secret" {
		t.Errorf("title = %q", p.Title)
	}
}

// TestDemoVisitorToken: a token the demo endpoint signs starts an
// authenticated conversation; bad user ids are 422.
func TestDemoVisitorToken(t *testing.T) {
	e := newDemoEnv(t, server.WithVisitorTokenSecret(hostSecret))
	var info demoInfo
	e.must(t, http.StatusOK, &info, "", "GET", "/v1/demo", "")
	if !info.VisitorTokens {
		t.Error("visitor_tokens = false with a secret")
	}
	var tok struct {
		UserToken string `json:"user_token"`
	}
	e.must(t, http.StatusCreated, &tok, "", "POST", "/v1/demo/visitor-token", `{"user_id": "jane.doe@example", "name": "Jane Doe", "email": "jane@example.com"}`)
	var tr turn
	e.mustVisitor(t, http.StatusCreated, &tr, "POST", "/v1/conversations", `{"channel": "live_chat", "user_token": "`+tok.UserToken+`"}`)
	c, err := e.store.GetConversation(t.Context(), tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.User.IsAuthenticated || c.User.UserID != "jane.doe@example" || c.User.Name != "Jane Doe" || c.User.Email != "jane@example.com" {
		t.Errorf("user = %+v", c.User)
	}
	for _, body := range []string{`{}`, `{"user_id": ""}`, `{"user_id": "has space"}`, `{"user_id": "` + strings.Repeat("a", 65) + `"}`, `{"user_id": "ü"}`} {
		p := decodeProblem(t, e.must(t, http.StatusUnprocessableEntity, nil, "", "POST", "/v1/demo/visitor-token", body))
		if !slices.Equal(p.fields(), []string{"user_id"}) {
			t.Errorf("%s: fields = %q", body, p.fields())
		}
	}
	e.must(t, http.StatusBadRequest, nil, "", "POST", "/v1/demo/visitor-token", `{"user_id": "u", "role": "admin"}`)
}

// visitorFrom starts a conversation from a visitor whose address a
// trusted proxy reports as ip, and asks for an agent.
func (e *staffEnv) visitorFrom(t *testing.T, ip string) string {
	t.Helper()
	var tr turn
	for i, body := range []string{`{"channel": "live_chat"}`, `{"text": "I want an agent"}`} {
		path := "/v1/conversations"
		if i > 0 {
			path += "/" + tr.ID + "/messages"
		}
		req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", ip)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := json.NewDecoder(res.Body).Decode(&tr); err != nil {
				t.Fatal(err)
			}
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %d", path, res.StatusCode)
		}
	}
	return tr.ID
}

// TestAgentQueues: every known queue with its number of waiting
// conversations.
func TestAgentQueues(t *testing.T) {
	e := newStaffEnv(t)
	type queues struct {
		Queues []struct {
			Name    string `json:"name"`
			Waiting int    `json:"waiting"`
		} `json:"queues"`
	}
	count := func() map[string]int {
		var q queues
		e.must(t, http.StatusOK, &q, agentTok, "GET", "/v1/agent/queues", "")
		m := map[string]int{}
		for _, x := range q.Queues {
			m[x.Name] = x.Waiting
		}
		return m
	}
	if got := count(); len(got) < 2 || got["default"] != 0 || got["support"] != 0 {
		t.Errorf("empty queues = %v", got)
	}
	e.visitor(t)
	e.visitor(t)
	if got := count(); got["support"] != 2 || got["default"] != 0 {
		t.Errorf("queues = %v, want support 2", got)
	}
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	if got := count(); got["support"] != 1 {
		t.Errorf("after a take: queues = %v, want support 1", got)
	}
	e.must(t, http.StatusUnauthorized, nil, "", "GET", "/v1/agent/queues", "")
}

type agentView struct {
	ID         string `json:"id"`
	Channel    string `json:"channel"`
	State      string `json:"state"`
	AgentEmail string `json:"agent_email"`
	User       struct {
		Authenticated bool   `json:"authenticated"`
		UserID        string `json:"user_id"`
		Name          string `json:"name"`
	} `json:"user"`
	Messages []struct{ From, Text string } `json:"messages"`
}

// TestAgentViewConversation: the connected agent and supervisors read the
// conversation; another agent gets 403, a plain agent 409 when nobody is
// connected, unknown ids 404; the visitor IP never appears.
func TestAgentViewConversation(t *testing.T) {
	e := newStaffEnv(t, netip.MustParsePrefix("127.0.0.0/8"))
	const ip = "198.51.100.77"
	first := e.visitorFrom(t, ip)
	second := e.visitorFrom(t, ip)
	if got := openedIP(t, e.app, e.stored(t, first)); got != ip {
		t.Fatalf("stored visitor IP = %q, want %q (test setup)", got, ip)
	}
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+first+"/messages", `{"text": "Hello, I'm Ann."}`)

	var v agentView
	r := e.must(t, http.StatusOK, &v, agentTok, "GET", "/v1/agent/conversations/"+first, "")
	if v.ID != first || v.Channel != "live_chat" || v.State != "agent_joined" || v.AgentEmail != "ann@acme.test" || v.User.Authenticated || v.User.UserID != "" {
		t.Errorf("view = %+v", v)
	}
	froms := []string{}
	for _, m := range v.Messages {
		froms = append(froms, m.From)
	}
	if !slices.Contains(froms, "system") || froms[len(froms)-1] != "agent" || !slices.Contains(froms, "user") {
		t.Errorf("messages from %q, want user, system and agent lines", froms)
	}
	var views []string
	views = append(views, r.body)
	// A supervisor may read any conversation, taken or not.
	v = agentView{}
	views = append(views, e.must(t, http.StatusOK, &v, superTok, "GET", "/v1/agent/conversations/"+second, "").body)
	if v.State != "queued" || v.AgentEmail != "" {
		t.Errorf("supervisor's view of a waiting conversation = %+v", v)
	}
	for _, b := range views {
		if strings.Contains(b, ip) || strings.Contains(b, "visitor_ip") {
			t.Errorf("the agent view shows the visitor IP: %s", b)
		}
	}
	// Errors.
	p := decodeProblem(t, e.must(t, http.StatusConflict, nil, agentTok, "GET", "/v1/agent/conversations/"+second, ""))
	if p.Title != "no agent connected" {
		t.Errorf("title = %q", p.Title)
	}
	e.must(t, http.StatusNotFound, nil, agentTok, "GET", "/v1/agent/conversations/nope", "")
	e.auth.tokens["tok-bob"] = server.Principal{ID: "u9", Email: "bob@acme.test", Role: server.RoleAgent}
	e.must(t, http.StatusForbidden, nil, "tok-bob", "GET", "/v1/agent/conversations/"+first, "")
	if d := e.auth.denials(); !slices.Contains(d, "bob@acme.test conversation.view ") {
		t.Errorf("denials = %q", d)
	}
	// After the disconnect the agent console's poll gets 409.
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+first+"/disconnect", `{}`)
	e.must(t, http.StatusConflict, nil, agentTok, "GET", "/v1/agent/conversations/"+first, "")
}

type disconnected struct {
	Blocked bool   `json:"blocked"`
	BlockID string `json:"block_id"`
}

// TestDisconnectPeriod: period sets the block length; permanent makes
// this turn's block record permanent and syncs the visitor's context.
func TestDisconnectPeriod(t *testing.T) {
	t.Run("anonymous, permanent", func(t *testing.T) {
		e := newStaffEnv(t)
		id := e.visitor(t)
		e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
		var d disconnected
		e.must(t, http.StatusOK, &d, agentTok, "POST", "/v1/agent/conversations/"+id+"/disconnect", `{"block": true, "reason_category": "spam", "notes": "links", "period": "permanent"}`)
		if !d.Blocked || d.BlockID == "" {
			t.Fatalf("disconnect = %+v", d)
		}
		var b blockOut
		e.must(t, http.StatusOK, &b, superTok, "GET", "/v1/admin/blocks/"+d.BlockID, "")
		if b.Kind != "conversation" || b.ConversationID != id || b.Until != nil || b.Status != "active" || b.CreatedBy != "ann@acme.test" {
			t.Errorf("block = %+v, want a permanent conversation block by ann", b)
		}
		c := e.stored(t, id)
		if c.Info.LiveChatBlockedUntil == nil || !c.Info.LiveChatBlockedUntil.Equal(blocking.PermanentUntil()) {
			t.Errorf("LiveChatBlockedUntil = %v, want %v", c.Info.LiveChatBlockedUntil, blocking.PermanentUntil())
		}
		// Still blocked ten years and a day later.
		e.clk.Advance((blocking.MaxMinutes + blocking.MinutesPerDay) * time.Minute)
		e.must(t, http.StatusOK, &b, superTok, "GET", "/v1/admin/blocks/"+d.BlockID, "")
		if b.Status != "active" {
			t.Errorf("after ten years: status %q", b.Status)
		}
	})
	t.Run("authenticated, permanent", func(t *testing.T) {
		e := newVisitorEnv(t)
		var tr turn
		e.mustVisitor(t, http.StatusCreated, &tr, "POST", "/v1/conversations", `{"channel": "live_chat", "user_token": "`+userToken(t, e, hostSecret, "u-7", time.Hour)+`"}`)
		e.mustVisitor(t, http.StatusOK, nil, "POST", "/v1/conversations/"+tr.ID+"/messages", `{"text": "I want an agent"}`)
		e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
		var d disconnected
		e.must(t, http.StatusOK, &d, agentTok, "POST", "/v1/agent/conversations/"+tr.ID+"/disconnect", `{"block": true, "reason_category": "harassment", "period": "permanent"}`)
		if !d.Blocked || d.BlockID == "" {
			t.Fatalf("disconnect = %+v", d)
		}
		var u struct {
			Blacklist []blockOut `json:"blacklist"`
			Activity  *struct {
				Until *string `json:"live_chat_blocked_until"`
			} `json:"chat_activity_data"`
		}
		e.must(t, http.StatusOK, &u, superTok, "GET", "/v1/admin/users/u-7", "")
		if len(u.Blacklist) != 1 || u.Blacklist[0].ID != d.BlockID || u.Blacklist[0].Until != nil || u.Blacklist[0].Kind != "user" {
			t.Errorf("blacklist = %+v, want one permanent entry %s", u.Blacklist, d.BlockID)
		}
		if u.Activity == nil || u.Activity.Until == nil || *u.Activity.Until != "9999-12-31T23:59:59Z" {
			t.Errorf("chat activity data = %+v, want until 9999-12-31T23:59:59Z", u.Activity)
		}
	})
	t.Run("1d", func(t *testing.T) {
		e := newStaffEnv(t)
		id := e.visitor(t)
		e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
		var d disconnected
		e.must(t, http.StatusOK, &d, agentTok, "POST", "/v1/agent/conversations/"+id+"/disconnect", `{"block": true, "reason_category": "spam", "period": "1d"}`)
		var b blockOut
		e.must(t, http.StatusOK, &b, superTok, "GET", "/v1/admin/blocks/"+d.BlockID, "")
		if b.Until == nil || *b.Until != "2026-01-06T10:00:00Z" {
			t.Errorf("until = %v, want a day later", b.Until)
		}
		if c := e.stored(t, id); c.Info.LiveChatBlockedUntil == nil || !c.Info.LiveChatBlockedUntil.Equal(e.clk.Now().Add(24*time.Hour)) {
			t.Errorf("LiveChatBlockedUntil = %v", c.Info.LiveChatBlockedUntil)
		}
	})
	t.Run("minutes still work, no block no block_id", func(t *testing.T) {
		e := newStaffEnv(t)
		id := e.visitor(t)
		e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
		var d disconnected
		e.must(t, http.StatusOK, &d, agentTok, "POST", "/v1/agent/conversations/"+id+"/disconnect", `{"block": true, "reason_category": "spam", "minutes": 90}`)
		var b blockOut
		e.must(t, http.StatusOK, &b, superTok, "GET", "/v1/admin/blocks/"+d.BlockID, "")
		if !d.Blocked || b.Until == nil || *b.Until != "2026-01-05T11:30:00Z" {
			t.Errorf("disconnect %+v, block until %v", d, b.Until)
		}
		other := e.visitor(t)
		e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
		r := e.must(t, http.StatusOK, &d, agentTok, "POST", "/v1/agent/conversations/"+other+"/disconnect", `{"rating": 4, "period": "1h"}`)
		if d.Blocked || strings.Contains(r.body, "block_id") {
			t.Errorf("disconnect without block: %s", r.body)
		}
	})
	t.Run("errors", func(t *testing.T) {
		e := newStaffEnv(t)
		id := e.visitor(t)
		e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
		disc := "/v1/agent/conversations/" + id + "/disconnect"
		before := e.blockCount(t)
		for _, body := range []string{
			`{"block": true, "reason_category": "spam", "period": "1d", "minutes": 60}`,
			`{"block": true, "reason_category": "spam", "period": "90s"}`,
			`{"block": true, "reason_category": "spam", "period": "soon"}`,
		} {
			p := decodeProblem(t, e.must(t, http.StatusUnprocessableEntity, nil, agentTok, "POST", disc, body))
			if !slices.Equal(p.fields(), []string{"period"}) {
				t.Errorf("%s: fields %q", body, p.fields())
			}
		}
		e.must(t, http.StatusBadRequest, nil, agentTok, "POST", disc, `{"period": 60}`)
		if n := e.blockCount(t); n != before {
			t.Errorf("%d blocks after refused disconnects, want %d", n, before)
		}
		if c := e.stored(t, id); !c.Helpdesk.AgentConnected {
			t.Error("a refused disconnect disconnected the agent")
		}
	})
}

type convRow struct {
	ID                   string  `json:"id"`
	Channel              string  `json:"channel"`
	StartedAt            string  `json:"started_at"`
	Authenticated        bool    `json:"authenticated"`
	UserID               string  `json:"user_id"`
	UserName             string  `json:"user_name"`
	Blocked              bool    `json:"blocked"`
	MarkedSpam           bool    `json:"marked_spam"`
	LiveChatBlockedUntil *string `json:"live_chat_blocked_until"`
	BlockStatus          string  `json:"block_status"`
	BlockReasonCategory  string  `json:"block_reason_category"`
	MessagesCount        int     `json:"messages_count"`
}

type convList struct {
	Conversations []convRow `json:"conversations"`
	Next          string    `json:"next"`
}

// pages follows next from query to the end and returns the ids in order
// and the number of pages.
func (e *staffEnv) pages(t *testing.T, query string) ([]string, int) {
	t.Helper()
	var out []string
	after := ""
	for n := 1; ; n++ {
		q := query
		if after != "" {
			q += "&after=" + after
		}
		var l convList
		e.must(t, http.StatusOK, &l, superTok, "GET", "/v1/admin/conversations?"+q, "")
		for _, c := range l.Conversations {
			out = append(out, c.ID)
		}
		if l.Next == "" {
			return out, n
		}
		if n > 100 {
			t.Fatal("no end of pages")
		}
		after = l.Next
	}
}

// TestAdminListConversations: rows with their block status, filters,
// pagination in id order, and query errors.
func TestAdminListConversations(t *testing.T) {
	e := newStaffEnv(t)
	var all []string
	for range 7 {
		all = append(all, e.visitor(t))
	}
	slices.Sort(all)
	// An agent blocks one when leaving it (Info.Blocked); an admin blocks
	// two others, and lifts one of those blocks.
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	var took string
	var others []string
	for _, id := range all {
		if e.stored(t, id).Helpdesk.AgentConnected {
			took = id
		} else {
			others = append(others, id)
		}
	}
	active, ended := others[1], others[4]
	e.create(t, `{"kind": "conversation", "conversation_id": "`+active+`", "period": "1d", "reason_category": "fraud"}`)
	lifted := e.create(t, `{"kind": "conversation", "conversation_id": "`+ended+`", "period": "1d", "reason_category": "spam"}`)
	e.must(t, http.StatusOK, nil, adminTok, "POST", "/v1/admin/blocks/"+lifted.ID+"/lift", `{}`)
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+took+"/disconnect", `{"block": true, "reason_category": "abusive_language", "spam": true, "period": "1w"}`)

	var l convList
	e.must(t, http.StatusOK, &l, superTok, "GET", "/v1/admin/conversations", "")
	if len(l.Conversations) != 7 || l.Next != "" {
		t.Fatalf("list = %d rows, next %q", len(l.Conversations), l.Next)
	}
	rows := map[string]convRow{}
	for i, c := range l.Conversations {
		if c.ID != all[i] {
			t.Errorf("row %d = %s, want %s (id order)", i, c.ID, all[i])
		}
		rows[c.ID] = c
	}
	if r := rows[active]; r.BlockStatus != "active" || r.BlockReasonCategory != "fraud" || r.LiveChatBlockedUntil == nil || r.Channel != "live_chat" || r.MessagesCount == 0 || r.StartedAt != "2026-01-05T10:00:00Z" {
		t.Errorf("actively blocked row = %+v", r)
	}
	if r := rows[ended]; r.BlockStatus != "ended" || r.BlockReasonCategory != "spam" || r.LiveChatBlockedUntil != nil {
		t.Errorf("lifted row = %+v", r)
	}
	if r := rows[took]; r.BlockStatus != "active" || !r.Blocked || !r.MarkedSpam || r.BlockReasonCategory != "abusive_language" {
		t.Errorf("blocked-on-disconnect row = %+v", r)
	}
	if r := rows[others[5]]; r.BlockStatus != "none" || r.Blocked || r.BlockReasonCategory != "" || r.LiveChatBlockedUntil != nil {
		t.Errorf("unblocked row = %+v", r)
	}

	got, n := e.pages(t, "limit=3")
	if !slices.Equal(got, all) || n != 3 {
		t.Errorf("limit=3: %d pages %q, want 3 pages of %q", n, got, all)
	}
	wantActive := []string{active, took}
	slices.Sort(wantActive)
	if got, _ := e.pages(t, "block_status=active&limit=1"); !slices.Equal(got, wantActive) {
		t.Errorf("block_status=active: %q, want %q", got, wantActive)
	}
	if got, _ := e.pages(t, "block_status=ended&limit=1"); !slices.Equal(got, []string{ended}) {
		t.Errorf("block_status=ended: %q", got)
	}
	var none []string
	for _, id := range all {
		if id != active && id != ended && id != took {
			none = append(none, id)
		}
	}
	if got, _ := e.pages(t, "block_status=none&limit=2"); !slices.Equal(got, none) {
		t.Errorf("block_status=none: %q, want %q", got, none)
	}
	// Every sanction marks the conversations it covers blocked (the admin's
	// blocks as much as the agent's), and the mark stays after a lift:
	// reports keep it.
	wantMarked := []string{active, ended, took}
	slices.Sort(wantMarked)
	if got, _ := e.pages(t, "blocked=true"); !slices.Equal(got, wantMarked) {
		t.Errorf("blocked=true: %q, want %q", got, wantMarked)
	}
	if got, _ := e.pages(t, "blocked=false&block_status=active"); len(got) != 0 {
		t.Errorf("blocked=false&block_status=active: %q, want none", got)
	}

	for _, q := range []string{"?foo=1", "?block_status=blocked", "?blocked=yes", "?limit=0", "?limit=501", "?limit=x"} {
		e.must(t, http.StatusBadRequest, nil, superTok, "GET", "/v1/admin/conversations"+q, "")
	}
	e.must(t, http.StatusForbidden, nil, agentTok, "GET", "/v1/admin/conversations", "")
	e.must(t, http.StatusUnauthorized, nil, "", "GET", "/v1/admin/conversations", "")
}

// TestAdminListConversationsAcrossStorePages: with block_status the
// server reads further store pages (of 500) until the page is filled.
func TestAdminListConversationsAcrossStorePages(t *testing.T) {
	e := newStaffEnv(t)
	now := e.clk.Now()
	for i := range 520 {
		c := &contextstore.Conversation{ID: fmt.Sprintf("c%04d", i), CreatedAt: now, UpdatedAt: now,
			Info: contextstore.ConversationInfo{Channel: "live_chat", StartedAt: now}}
		if err := e.store.PutConversation(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"c0010", "c0510", "c0515"} {
		e.create(t, `{"kind": "conversation", "conversation_id": "`+id+`", "period": "1h", "reason_category": "spam"}`)
	}
	var l convList
	e.must(t, http.StatusOK, &l, superTok, "GET", "/v1/admin/conversations?block_status=active&limit=2", "")
	if len(l.Conversations) != 2 || l.Conversations[0].ID != "c0010" || l.Conversations[1].ID != "c0510" || l.Next != "c0510" {
		t.Fatalf("first page = %+v", l)
	}
	l = convList{}
	e.must(t, http.StatusOK, &l, superTok, "GET", "/v1/admin/conversations?block_status=active&limit=2&after=c0510", "")
	if len(l.Conversations) != 1 || l.Conversations[0].ID != "c0515" || l.Next != "" {
		t.Fatalf("second page = %+v", l)
	}
	got, n := e.pages(t, "limit=500")
	if len(got) != 520 || n != 2 || got[519] != "c0519" {
		t.Errorf("all: %d ids in %d pages", len(got), n)
	}
}

// TestAdminGetConversation: the row with the whole transcript and the
// block records; 404 and 403.
func TestAdminGetConversation(t *testing.T) {
	e := newVisitorEnv(t)
	var tr turn
	e.mustVisitor(t, http.StatusCreated, &tr, "POST", "/v1/conversations", `{"channel": "live_chat", "user_token": "`+userToken(t, e, hostSecret, "u-5", time.Hour)+`"}`)
	e.mustVisitor(t, http.StatusOK, nil, "POST", "/v1/conversations/"+tr.ID+"/messages", `{"text": "I want an agent"}`)
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	var d disconnected
	e.must(t, http.StatusOK, &d, agentTok, "POST", "/v1/agent/conversations/"+tr.ID+"/disconnect", `{"block": true, "reason_category": "fraud", "period": "1d"}`)
	var got struct {
		convRow
		Messages []struct{ From, Text string } `json:"messages"`
		Blocks   []blockOut                    `json:"blocks"`
	}
	e.must(t, http.StatusOK, &got, superTok, "GET", "/v1/admin/conversations/"+tr.ID, "")
	if got.ID != tr.ID || !got.Authenticated || got.UserID != "u-5" || got.UserName != "Ann Lee" || got.BlockStatus != "active" || !got.Blocked || got.BlockReasonCategory != "fraud" {
		t.Errorf("row = %+v", got.convRow)
	}
	if got.MessagesCount != len(got.Messages) || !slices.ContainsFunc(got.Messages, func(m struct{ From, Text string }) bool { return m.From == "system" }) {
		t.Errorf("messages (%d counted) = %+v, want system lines too", got.MessagesCount, got.Messages)
	}
	if len(got.Blocks) != 1 || got.Blocks[0].ID != d.BlockID || got.Blocks[0].Kind != "user" {
		t.Errorf("blocks = %+v, want %s", got.Blocks, d.BlockID)
	}
	e.must(t, http.StatusNotFound, nil, superTok, "GET", "/v1/admin/conversations/nope", "")
	e.must(t, http.StatusForbidden, nil, agentTok, "GET", "/v1/admin/conversations/"+tr.ID, "")
}

// stored reads a conversation from the store.
func (e *staffEnv) stored(t *testing.T, id string) *contextstore.Conversation {
	t.Helper()
	c, err := e.store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
