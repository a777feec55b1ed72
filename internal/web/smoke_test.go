package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestPagesLoad opens each page in the browser at desktop and phone width:
// it loads its script and stylesheet under the Content-Security-Policy
// without a JavaScript error (the tab fails the test on one).
func TestPagesLoad(t *testing.T) {
	e := newUI(t)
	for _, path := range []string{"/chat", "/agent", "/admin"} {
		for _, ctx := range []context.Context{e.desktop(), e.phone()} {
			e.open(ctx, path, "#main")
			e.waitJS(ctx, "the page script ran", `document.readyState === "complete"`)
			e.checkLabels(ctx, path)
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

// timeZone makes ctx's page run in the IANA time zone tz, as a viewer
// elsewhere would.
func (e *uiEnv) timeZone(ctx context.Context, tz string) {
	e.t.Helper()
	e.do(ctx, "time zone "+tz, chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(c, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tz})
		return err
	}))
}

// TestDatesInViewerTimeZone: a block created at 10:00 UTC shows as 19:00
// to a viewer in Tokyo and 05:00 in New York, with the UTC instant on
// hover in both.
func TestDatesInViewerTimeZone(t *testing.T) {
	e := newUI(t)
	e.admUserBlock(e.tokens["supervisor"], "u-7", "1d", "spam", "")
	for tz, want := range map[string]string{"Asia/Tokyo": "7:00 PM", "America/New_York": "5:00 AM"} {
		ctx := e.desktop()
		e.timeZone(ctx, tz)
		e.admSignIn(ctx, "supervisor")
		e.admWaitRows(ctx, 1, "")
		cell := evalJS[[]string](e, ctx, `(() => { const t = document.querySelector("#blocks-table tbody time"); return [t.textContent, t.title]; })()`)
		if !strings.Contains(cell[0], "Jan 5, 2026") || !strings.Contains(cell[0], want) || cell[1] != "2026-01-05 10:00:00 UTC" {
			t.Errorf("%s: created = %q (title %q), want %s on Jan 5, 2026 with the UTC time on hover", tz, cell[0], cell[1], want)
		}
	}
}
