package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/auth"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/server"
)

const bootTok = "bootstrap-token-0123456789abcdef"

// newAccountsEnv is a staffEnv over the real auth service, whose only
// principal at first is the bootstrap admin (bootstrap may be "").
func newAccountsEnv(t *testing.T, bootstrap string) (*staffEnv, *auth.Service) {
	t.Helper()
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := &staffEnv{store: memory.New(), clk: clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))}
	e.app, err = app.New(t.Context(), app.Options{Store: e.store, FlowPaths: []string{"../../examples/flows"}, Clock: e.clk.Now, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	as, err := auth.New(e.store, auth.Options{Clock: e.clk.Now, BootstrapAdminToken: bootstrap})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(server.New(e.app, nil, server.WithAuth(as)))
	t.Cleanup(e.srv.Close)
	raw := e.call(t, "", "GET", "/openapi.json", "").body
	if err := json.Unmarshal([]byte(raw), &e.doc); err != nil {
		t.Fatal(err)
	}
	e.sch = jsonschema.NewCompiler()
	e.sch.Draft = jsonschema.Draft2020
	if err := e.sch.AddResource("openapi.json", strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	return e, as
}

type createdAccount struct {
	Account struct {
		ID, Name, Email, Role string
		CreatedBy             string  `json:"created_by"`
		RevokedAt             *string `json:"revoked_at"`
	} `json:"account"`
	Token string `json:"token"`
}

// TestAccountsFlow: the bootstrap admin creates an agent and a supervisor
// through the API; the agent's token takes a chat, the supervisor's lifts
// a block; the agent may not create accounts (403, auth.deny); a revoked
// token is refused (401).
func TestAccountsFlow(t *testing.T) {
	e, _ := newAccountsEnv(t, bootTok)
	var agent, super createdAccount
	r := e.must(t, http.StatusCreated, &agent, bootTok, "POST", "/v1/admin/accounts", `{"name": "Ann", "email": "ann@acme.test", "role": "agent"}`)
	if agent.Token == "" || agent.Account.Role != "agent" || agent.Account.CreatedBy != auth.BootstrapAdminID || agent.Account.RevokedAt != nil {
		t.Fatalf("created %+v", agent)
	}
	if strings.Contains(r.body, "hash") {
		t.Errorf("the answer shows a token hash: %s", r.body)
	}
	e.must(t, http.StatusCreated, &super, bootTok, "POST", "/v1/admin/accounts", `{"name": "Sam", "email": "sam@acme.test", "role": "Supervisor"}`)

	var list struct {
		Accounts []struct{ ID, Email, Role string } `json:"accounts"`
	}
	r = e.must(t, http.StatusOK, &list, bootTok, "GET", "/v1/admin/accounts", "")
	if len(list.Accounts) != 2 || list.Accounts[0].Email != "ann@acme.test" || list.Accounts[1].Role != "supervisor" {
		t.Errorf("accounts = %+v", list.Accounts)
	}
	if strings.Contains(r.body, agent.Token) || strings.Contains(r.body, "hash") {
		t.Errorf("the list shows a token: %s", r.body)
	}

	// The agent's token takes a chat.
	conv := e.visitor(t)
	var took struct{ ID string }
	e.must(t, http.StatusOK, &took, agent.Token, "POST", "/v1/agent/queues/support/take", "")
	if took.ID != conv {
		t.Errorf("took %q, want %q", took.ID, conv)
	}

	// The supervisor lifts a block; the agent may not.
	b, err := e.app.Blocking.Create(t.Context(), blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 60}, ReasonCategory: "spam", Actor: "sam@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	e.must(t, http.StatusForbidden, nil, agent.Token, "POST", "/v1/admin/blocks/"+b.ID+"/lift", `{}`)
	e.must(t, http.StatusOK, nil, super.Token, "POST", "/v1/admin/blocks/"+b.ID+"/lift", `{"notes": "ok"}`)

	// Agents and supervisors may not manage accounts; each refusal is audited.
	e.must(t, http.StatusForbidden, nil, agent.Token, "POST", "/v1/admin/accounts", `{"name": "Eve", "email": "eve@acme.test", "role": "admin"}`)
	e.must(t, http.StatusForbidden, nil, super.Token, "GET", "/v1/admin/accounts", "")
	e.must(t, http.StatusForbidden, nil, agent.Token, "DELETE", "/v1/admin/accounts/"+super.Account.ID, "")
	var evs struct {
		Events []struct {
			Actor   string            `json:"actor"`
			Subject string            `json:"subject"`
			Details map[string]string `json:"details"`
		} `json:"events"`
	}
	e.must(t, http.StatusOK, &evs, super.Token, "GET", "/v1/admin/audit?action=auth.deny", "")
	var got []string
	for _, ev := range evs.Events {
		got = append(got, ev.Actor+" "+ev.Details["action"]+" "+ev.Subject)
	}
	for _, want := range []string{
		"ann@acme.test account.create ",
		"sam@acme.test account.list ",
		"ann@acme.test account.revoke " + super.Account.ID,
	} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("auth.deny events %q lack %q", got, want)
		}
	}
	e.must(t, http.StatusOK, &list, bootTok, "GET", "/v1/admin/accounts", "")
	if len(list.Accounts) != 2 {
		t.Errorf("a refused create stored something: %+v", list.Accounts)
	}

	// Revoked: the token is refused; revoking again is a no-op.
	e.must(t, http.StatusNoContent, nil, bootTok, "DELETE", "/v1/admin/accounts/"+agent.Account.ID, "")
	e.must(t, http.StatusUnauthorized, nil, agent.Token, "GET", "/v1/agent/queues/support", "")
	e.must(t, http.StatusNoContent, nil, bootTok, "DELETE", "/v1/admin/accounts/"+agent.Account.ID, "")
	e.must(t, http.StatusNotFound, nil, bootTok, "DELETE", "/v1/admin/accounts/nope", "")
}

// TestCreateAccountInvalid: every bad field is named at once (422), bad
// JSON is 400, and nothing is stored.
func TestCreateAccountInvalid(t *testing.T) {
	e, _ := newAccountsEnv(t, bootTok)
	e.must(t, http.StatusCreated, nil, bootTok, "POST", "/v1/admin/accounts", `{"name": "Ann", "email": "ann@acme.test", "role": "agent"}`)
	for _, tc := range []struct {
		name, body string
		status     int
		fields     []string
	}{
		{"all bad", `{"name": " ", "email": "not an email", "role": "root"}`, 422, []string{"name", "email", "role"}},
		{"empty", `{}`, 422, []string{"name", "email", "role"}},
		{"email taken", `{"name": "Ann 2", "email": "ANN@acme.test", "role": "agent"}`, 422, []string{"email"}},
		{"unknown field", `{"name": "X", "email": "x@acme.test", "role": "agent", "token": "mine"}`, 400, nil},
		{"not JSON", `{"name":`, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p problemBody
			e.must(t, tc.status, &p, bootTok, "POST", "/v1/admin/accounts", tc.body)
			var fields []string
			for _, fe := range p.Errors {
				fields = append(fields, fe.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields = %q, want %q (%s)", fields, tc.fields, p.Detail)
			}
		})
	}
	var list struct{ Accounts []json.RawMessage }
	e.must(t, http.StatusOK, &list, bootTok, "GET", "/v1/admin/accounts", "")
	if len(list.Accounts) != 1 {
		t.Errorf("%d accounts after refused creates, want 1", len(list.Accounts))
	}
}

// TestRevokeLastAdmin: without a bootstrap token the last active admin
// cannot be revoked (409).
func TestRevokeLastAdmin(t *testing.T) {
	e, as := newAccountsEnv(t, "")
	root := auth.Principal{ID: "setup", Role: auth.RoleAdmin}
	admin, tok, err := as.CreateAccount(t.Context(), root, "Ada", "ada@acme.test", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var p problemBody
	e.must(t, http.StatusConflict, &p, tok, "DELETE", "/v1/admin/accounts/"+admin.ID, "")
	e.must(t, http.StatusOK, nil, tok, "GET", "/v1/admin/accounts", "")
}

// TestAccountsWithoutManager: an Authenticator that cannot manage accounts
// answers 501.
func TestAccountsWithoutManager(t *testing.T) {
	e := newStaffEnv(t)
	e.must(t, http.StatusNotImplemented, nil, adminTok, "GET", "/v1/admin/accounts", "")
	e.must(t, http.StatusForbidden, nil, agentTok, "GET", "/v1/admin/accounts", "")
}
