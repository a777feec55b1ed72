package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/server"
)

// TestWidgetFraming: /chat may be framed by the configured origins only;
// the staff pages never; without configuration nothing may frame /chat.
func TestWidgetFraming(t *testing.T) {
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		origins []string
		path    string
		wantFA  string
		wantXFO string
	}{
		{"chat, no origins", nil, "/chat", "frame-ancestors 'none'", "DENY"},
		{"chat, two origins", []string{"https://www.acme.test", "http://localhost:8081"}, "/chat", "frame-ancestors https://www.acme.test http://localhost:8081;", ""},
		{"agent, origins", []string{"https://www.acme.test"}, "/agent", "frame-ancestors 'none'", "DENY"},
		{"admin, origins", []string{"https://www.acme.test"}, "/admin", "frame-ancestors 'none'", "DENY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := server.New(a, nil, server.WithWidget(server.WidgetOptions{AllowedOrigins: tc.origins}))
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, tc.wantFA) {
				t.Errorf("CSP = %q, want %q", csp, tc.wantFA)
			}
			if got := rec.Header().Get("X-Frame-Options"); got != tc.wantXFO {
				t.Errorf("X-Frame-Options = %q, want %q", got, tc.wantXFO)
			}
		})
	}
	srv := server.New(a, nil)
	for _, p := range []string{"/widget.js", "/favicon.ico"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", p, rec.Code)
		}
	}
}

// TestWidgetLanguage: data-lang (the lang parameter) first, then
// Accept-Language, then the first configured language; the catalog and
// the blocked text follow.
func TestWidgetLanguage(t *testing.T) {
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}})
	if err != nil {
		t.Fatal(err)
	}
	blocked := app.Texts{"en": "Chat is closed.", "de": "Der Chat ist geschlossen."}
	srv := server.New(a, nil, server.WithWidget(server.WidgetOptions{Languages: []string{"en", "de", "ro", "ar"}, BrandName: "Acme", BlockedText: blocked.For}))
	for _, tc := range []struct{ query, accept, lang, dir, send, blocked string }{
		{"", "", "en", "ltr", "Send", "Chat is closed."},
		{"?lang=de", "ro", "de", "ltr", "Senden", "Der Chat ist geschlossen."},
		{"", "fr-CH, de-AT;q=0.8", "de", "ltr", "Senden", "Der Chat ist geschlossen."},
		{"?lang=xx", "ro-RO", "ro", "ltr", "Trimite", "Chat is closed."},
		{"?lang=ar", "", "ar", "rtl", "Send", "Chat is closed."},
		{"", "ja", "en", "ltr", "Send", "Chat is closed."},
	} {
		req := httptest.NewRequest("GET", "/v1/widget"+tc.query, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var got struct {
			L        string            `json:"lang"`
			D        string            `json:"dir"`
			B        string            `json:"blocked_text"`
			Brand    string            `json:"brand_name"`
			Messages map[string]string `json:"messages"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v: %s", tc.query, err, rec.Body)
		}
		if got.L != tc.lang || got.D != tc.dir || got.Messages["send"] != tc.send || got.B != tc.blocked || got.Brand != "Acme" {
			t.Errorf("%q (Accept-Language %q): lang %q dir %q send %q blocked %q, want %q %q %q %q",
				tc.query, tc.accept, got.L, got.D, got.Messages["send"], got.B, tc.lang, tc.dir, tc.send, tc.blocked)
		}
	}
}
