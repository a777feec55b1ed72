package server_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

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
