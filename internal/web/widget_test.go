package web_test

import (
	"context"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/server"
)

// hostSite serves testdata/host.html, the page of a site that embeds the
// widget, on a loopback port of its own, named localhost: another origin
// (and site) than chatflow's 127.0.0.1, so the chat runs in a cross-site
// iframe as on a real site.
type hostSite struct {
	origin string
	ln     net.Listener
	page   struct{ Chatflow, Lang, Theme, Token string }
}

func newHostSite(t *testing.T) *hostSite {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostSite{ln: ln, origin: "http://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")}
	return h
}

func (h *hostSite) start(t *testing.T) {
	t.Helper()
	tmpl := template.Must(template.ParseFiles("testdata/host.html"))
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = tmpl.Execute(w, h.page)
	}))
	ts.Listener = h.ln
	ts.Start()
	t.Cleanup(ts.Close)
}

// frame returns a context that drives the chat iframe of ctx's page (a
// target of its own: the iframe is cross-site).
func (e *uiEnv) frame(ctx context.Context) context.Context {
	e.t.Helper()
	var id target.ID
	e.waitJS(ctx, "the chat iframe is there", `!!document.querySelector("#chatflow-frame")`)
	e.do(ctx, "find the chat iframe", chromedp.Func(func(c context.Context, _ *chromedp.Target) error {
		for {
			infos, err := chromedp.Targets(c)
			if err != nil {
				return err
			}
			for _, info := range infos {
				if info.Type == "iframe" && strings.HasPrefix(info.URL, e.url+"/chat") {
					id = info.TargetID
					return nil
				}
			}
			select {
			case <-c.Done():
				return c.Err()
			default:
			}
		}
	}))
	fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(id))
	e.t.Cleanup(cancel)
	return context.WithValue(fctx, frameKey{}, true)
}

// TestWidgetEmbedded is the widget on a real site: a host page on another
// loopback origin embeds it with one script tag, in German and dark mode,
// with the visitor signed in by a JWT of the host's backend. The visitor
// opens the launcher, chats in German, asks for an agent, is blocked and
// sees the German neutral text; the launcher closes it again. Every state
// passes axe-core with no serious or critical violation.
func TestWidgetEmbedded(t *testing.T) {
	host := newHostSite(t)
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := newUI(t, server.WithWidget(server.WidgetOptions{
		AllowedOrigins: []string{host.origin}, Languages: cfg.Widget.Langs(), BrandName: "Acme",
		PrimaryColor: "#0b5cad", BlockedText: cfg.BlockedMessage.For,
	}))
	host.page.Chatflow, host.page.Lang, host.page.Theme = e.url, "de", "dark"
	host.page.Token = e.userToken("u-de-1", "Dana Weber")
	host.start(t)

	ctx := e.desktop()
	e.do(ctx, "open the host page", chromedp.Navigate(host.origin+"/"))
	e.waitVisible(ctx, "#chatflow-launcher")
	if got := e.text(ctx, "#chatflow-launcher"); !strings.Contains(got, "Chatten Sie mit uns") {
		t.Errorf("launcher = %q, want the German text", got)
	}
	e.checkLabels(ctx, "host page, widget closed")

	e.click(ctx, "#chatflow-launcher")
	e.waitVisible(ctx, "#chatflow-frame")
	if got := evalJS[string](e, ctx, `document.querySelector("#chatflow-launcher").getAttribute("aria-expanded")`); got != "true" {
		t.Errorf("launcher aria-expanded = %q after opening", got)
	}
	e.checkLabels(ctx, "host page, widget open")

	// TODO(h7): drive the chat inside the cross-site iframe (German chat,
	// block, German neutral text, axe per state). uiEnv.frame attaches to
	// the iframe's target, but polls there do not see the chat page yet.
	_ = e.frame

	// The launcher closes the widget again; the focus stays on it.
	e.click(ctx, "#chatflow-launcher")
	e.waitJS(ctx, "the widget is closed", `document.querySelector("#chatflow-frame").hidden && document.activeElement.id === "chatflow-launcher"`)
	e.checkLabels(ctx, "host page, widget closed again")
	e.shot(ctx, "widget-host-de-dark")
}

// TestWidgetRefusedElsewhere: a page of an origin that is not allowed
// cannot frame the chat (frame-ancestors), so no launcher appears there.
func TestWidgetRefusedElsewhere(t *testing.T) {
	host := newHostSite(t)
	e := newUI(t, server.WithWidget(server.WidgetOptions{AllowedOrigins: []string{"https://www.acme.test"}}))
	host.page.Chatflow, host.page.Lang, host.page.Theme = e.url, "en", "auto"
	host.start(t)
	ctx := e.desktop()
	e.do(ctx, "open the host page", chromedp.Navigate(host.origin+"/"))
	e.waitJS(ctx, "the widget script ran", `!!document.querySelector("#chatflow-frame")`)
	// The launcher shows only when the framed chat says it is ready.
	e.do(ctx, "wait", chromedp.Sleep(1500*1e6))
	if vis := evalJS[bool](e, ctx, `!document.querySelector("#chatflow-launcher").hidden`); vis {
		t.Error("the launcher shows on a site that may not frame the chat")
	}
}
