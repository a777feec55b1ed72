package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/metrics"
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
