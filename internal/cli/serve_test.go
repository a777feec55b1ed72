package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/metrics"
	"github.com/chatflow/chatflow/internal/server"
)

// TestServeAdminToken checks the handler chatflow serve builds: with
// CHATFLOW_ADMIN_TOKEN set the admin routes accept it, without it they
// answer 401 to every token.
func TestServeAdminToken(t *testing.T) {
	const token = "bootstrap-token-0123456789abcdef"
	for _, tc := range []struct {
		name, adminToken, bearer string
		want                     int
	}{
		{"token set and sent", token, token, http.StatusOK},
		{"token set, another sent", token, "wrong-token-0123456789abcdef", http.StatusUnauthorized},
		{"token set, none sent", token, "", http.StatusUnauthorized},
		{"token unset", "", token, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}})
			if err != nil {
				t.Fatal(err)
			}
			h, err := newHandler(a, nil, zap.NewNop(), metrics.New(zap.NewNop()), tc.adminToken)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/v1/admin/audit", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("GET /v1/admin/audit = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// TestServeDemoRefusesNonLoopback: --demo hands out admin tokens, so serve
// refuses it on an address other machines can reach, before opening
// anything; loopback addresses and localhost are accepted.
func TestServeDemoRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "192.0.2.10:8080", "[::]:8080", "example.com:8080"} {
		data := t.TempDir()
		err := (&commands{}).cmdServe(t.Context(), []string{"--demo", "--addr", addr, "--data", data, "--flows", "../../examples/flows"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("serve --demo --addr %s: err = %v, want a refusal naming loopback", addr, err)
		}
		if entries, _ := os.ReadDir(data); len(entries) != 0 {
			t.Errorf("serve --demo --addr %s wrote %d files before refusing", addr, len(entries))
		}
	}
	t.Setenv("CHATFLOW_DEMO", "1")
	if err := (&commands{}).cmdServe(t.Context(), []string{"--addr", "0.0.0.0:8080", "--data", t.TempDir()}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("CHATFLOW_DEMO=1 on 0.0.0.0: err = %v, want a refusal", err)
	}
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.2:0", "[::1]:8080", "localhost:8080"} {
		if err := demoAddrOK(addr); err != nil {
			t.Errorf("demoAddrOK(%q) = %v", addr, err)
		}
	}
}

// TestServeDemoHandler: the handler serve --demo builds lists three demo
// staff with fresh tokens that sign in, and signs visitor tokens with a
// random secret when none is configured.
func TestServeDemoHandler(t *testing.T) {
	staff, secret := demoSetup(nil)
	again, _ := demoSetup(nil)
	if len(staff) != 3 || len(secret) == 0 {
		t.Fatalf("demoSetup: %d staff, secret %q", len(staff), secret)
	}
	for i := range staff {
		if staff[i].Token == "" || staff[i].Token == again[i].Token {
			t.Errorf("staff %s: token %q is not fresh", staff[i].Role, staff[i].Token)
		}
	}
	if _, kept := demoSetup([]byte("configured")); string(kept) != "configured" {
		t.Errorf("a configured secret was replaced by %q", kept)
	}
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(a, nil, zap.NewNop(), metrics.New(zap.NewNop()), "", server.WithDemo(staff), server.WithVisitorTokenSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path, tok string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	code, info := get("/v1/demo", "")
	if code != http.StatusOK || info["visitor_tokens"] != true || len(info["staff"].([]any)) != 3 {
		t.Fatalf("GET /v1/demo = %d %v", code, info)
	}
	for _, s := range staff {
		if code, me := get("/v1/me", s.Token); code != http.StatusOK || me["role"] != string(s.Role) || me["email"] != s.Email {
			t.Errorf("%s: GET /v1/me = %d %v", s.Role, code, me)
		}
	}
	if code, _ := get("/v1/me", "demo-guess"); code != http.StatusUnauthorized {
		t.Errorf("a guessed token: %d", code)
	}
}
