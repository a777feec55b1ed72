package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestPagesLoad opens each page in the browser at desktop and phone width:
// it loads its script and stylesheet under the Content-Security-Policy
// without a JavaScript error (the tab fails the test on one).
func TestPagesLoad(t *testing.T) {
	e := newUI(t)
	for _, path := range []string{"/chat", "/agent", "/admin"} {
		for _, ctx := range []context.Context{e.desktop(), e.phone()} {
			e.open(ctx, path, "#main")
			title := evalJS[string](e, ctx, "document.title")
			if !strings.Contains(title, "chatflow") {
				t.Errorf("%s: title %q", path, title)
			}
		}
		resp := e.get(path, "")
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy = %q", path, csp)
		}
	}
	for _, path := range []string{"/static/chat.html", "/static/../web.go", "/static/nope.js"} {
		if resp := e.get(path, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}
