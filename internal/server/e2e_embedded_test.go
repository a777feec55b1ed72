package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore/bolt"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/auth"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/server"
	"github.com/chatflow/chatflow/internal/visitortoken"
)

// TestEndToEndAuthenticatedVisitorOnEmbeddedStore is the HTTP story of an
// authenticated visitor on the embedded (bolt) store, with real staff
// accounts: the bootstrap admin creates an agent and a supervisor; the
// visitor (signed user token) asks for an agent; the agent takes the chat and
// disconnects with block feedback; the visitor is refused in a new
// conversation; the supervisor finds the user's blacklist entry and unblocks
// the user with a note; the visitor is queued again. No visitor response
// carries the reason.
func TestEndToEndAuthenticatedVisitorOnEmbeddedStore(t *testing.T) {
	const reason = "chargeback-scam-9c1e"
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	store, err := bolt.Open(filepath.Join(t.TempDir(), "chatflow.db"), bolt.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	const bootstrap = "bootstrap-admin-token-0123456789"
	authSvc, err := auth.New(store, auth.Options{Clock: clk.Now, BootstrapAdminToken: bootstrap})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("host-site-shared-secret")
	ts := httptest.NewServer(server.New(a, nil, server.WithAuth(authSvc), server.WithVisitorTokenSecret(secret)))
	defer ts.Close()

	var visitorBodies []string
	do := func(tok, method, path, body string, want int, out any) string {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, b)
			}
		}
		if tok == "" {
			visitorBodies = append(visitorBodies, string(b))
		}
		return string(b)
	}
	account := func(name, email, role string) string {
		var out struct{ Token string }
		do(bootstrap, "POST", "/v1/admin/accounts", `{"name":"`+name+`","email":"`+email+`","role":"`+role+`"}`, http.StatusCreated, &out)
		return out.Token
	}
	agent := account("Ann", "ann@acme.test", "agent")
	super := account("Sam", "sam@acme.test", "supervisor")

	userToken, err := visitortoken.Sign(secret, visitortoken.Claims{Subject: "u-42", Name: "Dana", Email: "dana@example.com", Expires: clk.Now().Add(24 * time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	type turn struct {
		ID      string   `json:"id"`
		Replies []string `json:"replies"`
	}
	start := func() string {
		var tr turn
		do("", "POST", "/v1/conversations", `{"channel":"live_chat","user_token":"`+userToken+`"}`, http.StatusCreated, &tr)
		return tr.ID
	}
	say := func(id, text string) []string {
		var tr turn
		do("", "POST", "/v1/conversations/"+id+"/messages", `{"text":"`+text+`"}`, http.StatusOK, &tr)
		return tr.Replies
	}

	c1 := start()
	if r := say(c1, "I want an agent"); !slices.Equal(r, []string{queued}) {
		t.Fatalf("replies = %q, want queued", r)
	}
	var took struct{ ID string }
	do(agent, "POST", "/v1/agent/queues/support/take", "", http.StatusOK, &took)
	if took.ID != c1 {
		t.Fatalf("agent took %s, want %s", took.ID, c1)
	}
	do(agent, "POST", "/v1/agent/conversations/"+c1+"/disconnect",
		`{"block":true,"reason_category":"fraud","notes":"`+reason+`","minutes":60}`, http.StatusOK, nil)

	// The blacklist follows the user into a new conversation.
	c2 := start()
	if r := say(c2, "agent please"); !slices.Equal(r, []string{blocked}) {
		t.Fatalf("blocked user: replies = %q, want the neutral refusal", r)
	}
	// Agents may not unblock; supervisors find the entry and unblock the user.
	do(agent, "POST", "/v1/admin/users/u-42/unblock", `{"notes":"x"}`, http.StatusForbidden, nil)
	var list struct {
		Blocks []struct {
			ID     string `json:"id"`
			UserID string `json:"user_id"`
			Reason string `json:"reason"`
		} `json:"blocks"`
	}
	do(super, "GET", "/v1/admin/blocks?kind=user&status=active", "", http.StatusOK, &list)
	if len(list.Blocks) != 1 || list.Blocks[0].UserID != "u-42" || !strings.Contains(list.Blocks[0].Reason, reason) {
		t.Fatalf("active user blocks = %+v", list.Blocks)
	}
	if body := do(super, "GET", "/v1/admin/users/u-42", "", http.StatusOK, nil); !strings.Contains(body, list.Blocks[0].ID) {
		t.Errorf("user page does not list the blacklist entry: %s", body)
	}
	do(super, "POST", "/v1/admin/users/u-42/unblock", `{"notes":"appeal accepted"}`, http.StatusOK, nil)
	do(super, "GET", "/v1/admin/blocks?kind=user&status=active", "", http.StatusOK, &list)
	if len(list.Blocks) != 0 {
		t.Fatalf("still active after unblock: %+v", list.Blocks)
	}
	if r := say(c2, "agent"); !slices.Equal(r, []string{queued}) {
		t.Fatalf("after unblock: replies = %q, want queued", r)
	}
	for _, b := range visitorBodies {
		if strings.Contains(b, reason) || strings.Contains(b, "fraud") {
			t.Fatalf("a visitor response carries the block reason: %s", b)
		}
	}
}
