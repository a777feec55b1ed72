package web_test

import (
	"context"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

// frame returns a context that drives the chat iframe of ctx's page. The
// iframe is cross-site, so Chromium runs it in a process and target of its
// own ("iframe" in Target.getTargets): the context attaches to that target
// (chromedp.WithTargetID), where queries, input, Evaluate and axe run in
// the chat's document. Its uncaught exceptions and console errors fail the
// test, as a tab's do.
func (e *uiEnv) frame(ctx context.Context) context.Context {
	e.t.Helper()
	var id target.ID
	e.waitJS(ctx, "the chat iframe is there", `!!document.querySelector("#chatflow-frame")`)
	e.do(ctx, "find the chat iframe's target", chromedp.Func(func(c context.Context, _ *chromedp.Target) error {
		// The target appears once the iframe's navigation commits; no
		// event tells it to a page that auto-attached it already, so look.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
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
			case <-tick.C:
			}
		}
	}))
	fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(id))
	e.t.Cleanup(cancel)
	// Attach with fctx itself, not with a context of one step (e.do's
	// time limit): the target's event loop lives as long as the context of
	// the first action, and ends with it.
	if err := chromedp.Do(fctx); err != nil {
		e.t.Fatalf("attaching to the chat iframe: %v", err)
	}
	e.waitJS(fctx, "the chat iframe's document is loaded", `document.readyState === "complete"`)
	e.failOnPageErrors(fctx, cancel)
	return fctx
}

// German texts of the story (examples/flows/live-chat.flow.yaml and the
// blocked_message of examples/chatflow.yaml).
const (
	deFAQAnswer   = "Ich helfe bei Bestellungen, Rücksendungen und Rechnungen."
	deQueued      = "Sie sind in der Warteschlange."
	deBlockedText = "Dieser Chat ist beendet. Vielen Dank, dass Sie Acme kontaktiert haben."
)

// checkDark fails unless the chat in ctx is in German and dark mode: the
// host's data-theme="dark" wins over the browser's light preference.
func checkDark(e *uiEnv, ctx context.Context, where string) {
	e.t.Helper()
	got := evalJS[[]string](e, ctx, `[document.documentElement.lang, document.documentElement.dataset.theme || "",
		getComputedStyle(document.body).colorScheme, getComputedStyle(document.body).backgroundColor]`)
	if got[0] != "de" || got[1] != "dark" || !strings.Contains(got[2], "dark") {
		e.t.Errorf("%s: lang, data-theme, color-scheme = %q, %q, %q; want de, dark, dark", where, got[0], got[1], got[2])
	}
	if got[3] == "rgb(255, 255, 255)" {
		e.t.Errorf("%s: the chat's background is white in dark mode", where)
	}
}

// TestWidgetEmbedded is the widget on a real site: a host page on another
// loopback origin (localhost, chatflow being 127.0.0.1: another site, so
// frame-ancestors decides) embeds it with one script tag, in German and
// dark mode, with the visitor signed in by a JWT of the host's backend.
// The visitor opens the launcher, chats in German in the iframe and asks
// for an agent; the agent takes the chat in the console and blocks the
// signed-in user with "Block now…"; the visitor sees only the German
// neutral text, still in dark mode; the launcher closes the widget again.
// Every state passes axe-core with no serious or critical violation.
func TestWidgetEmbedded(t *testing.T) {
	host := newHostSite(t)
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.BlockedMessage.For("de"); got != deBlockedText {
		t.Fatalf("examples/chatflow.yaml blocked_message.de = %q, want %q", got, deBlockedText)
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

	// In the iframe: the JWT signed the visitor in (the greeting has the
	// name), the chat is German and dark.
	chat := e.frame(ctx)
	e.waitVisible(chat, "#message")
	e.waitText(chat, "#transcript", "Hi Dana Weber!")
	checkDark(e, chat, "the widget's chat")
	e.checkLabels(chat, "the widget's chat")

	say(e, chat, "Hallo, ich habe eine Frage")
	e.waitText(chat, "#transcript", deFAQAnswer)
	say(e, chat, "Ich möchte mit einem Agent sprechen")
	e.waitText(chat, "#transcript", deQueued)
	e.checkLabels(chat, "the widget's chat, queued")
	e.shot(ctx, "widget-de-dark-1-queued")
	id := storedConversation(e, chat)
	c, err := e.store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.User.UserID != "u-de-1" || !c.User.IsAuthenticated || c.Info.Language != "de" {
		t.Errorf("the widget's conversation: user %+v, language %q; want u-de-1 signed in, de", c.User, c.Info.Language)
	}

	// The agent takes the chat and blocks the signed-in user.
	agent := e.desktop()
	agentSignIn(e, agent)
	e.waitText(agent, `[data-queue="support"] .badge`, "1 waiting")
	e.click(agent, `[data-queue="support"] button.take`)
	e.waitText(agent, "#transcript", "Ich möchte mit einem Agent sprechen")
	e.typeKeys(agent, "#message", "Hallo, hier ist Ann.\r")
	e.waitText(chat, "#transcript", "Hallo, hier ist Ann.")
	e.checkLabels(chat, "the widget's chat with the agent")
	say(e, chat, "Sie sind nutzlos!!")
	e.waitText(agent, "#transcript", "Sie sind nutzlos!!")

	e.click(agent, "#block-now")
	e.waitVisible(agent, "#block-dialog")
	e.click(agent, "#bk-target-user")
	e.fill(agent, "#bk-reason", "abusive_language")
	e.fill(agent, "#bk-period", "1d")
	e.fill(agent, "#bk-notes", "insulted-the-agent-7f3a")
	e.checkLabels(agent, "the agent's block dialog")
	e.click(agent, "#bk-submit")
	e.waitText(agent, "#status", "blocked for 1 day")

	checkBlockedText(e, chat, deBlockedText)
	checkDark(e, chat, "the widget's chat, blocked")
	e.checkLabels(chat, "the widget's chat, blocked")
	e.shot(ctx, "widget-de-dark-2-blocked")
	blocks := agentBlocks(e, id, "")
	if len(blocks) != 1 || blocks[0].Kind != "user" {
		t.Errorf("blocks of the widget's conversation = %+v, want one user block", blocks)
	}

	// The launcher closes the widget again; the focus goes back to it.
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
	// The browser says in the host page's log when it refuses the frame:
	// after that line the chat can never say it is ready.
	refused := make(chan struct{})
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if strings.Contains(m.Text, "frame-ancestors") {
				close(refused)
				return
			}
		}
	}()
	e.do(ctx, "open the host page", chromedp.Navigate(host.origin+"/"))
	e.waitJS(ctx, "the widget script ran", `!!document.querySelector("#chatflow-frame")`)
	select {
	case <-refused:
	case <-time.After(20 * time.Second):
		t.Fatal("the browser never reported refusing the frame (frame-ancestors)")
	}
	// The launcher shows only when the framed chat says it is ready.
	if vis := evalJS[bool](e, ctx, `!document.querySelector("#chatflow-launcher").hidden`); vis {
		t.Error("the launcher shows on a site that may not frame the chat")
	}
}
