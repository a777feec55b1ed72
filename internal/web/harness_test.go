package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/bolt"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/auth"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/moderation"
	"github.com/chatflow/chatflow/internal/server"
	"github.com/chatflow/chatflow/internal/visitortoken"
)

// The browser tests drive the pages in a real headless Chromium. They
// look for it in CHATFLOW_CHROMIUM, then chromium, chromium-browser and
// google-chrome on PATH. Without one they are skipped, unless
// CHATFLOW_BROWSER_TESTS=required (CI sets it): then they fail.
var browser struct {
	once  sync.Once
	path  string
	alloc context.Context // the context of the shared browser; tabs derive from it
	stop  context.CancelFunc
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.stop != nil {
		browser.stop()
	}
	os.Exit(code)
}

// chromiumPath finds the browser binary.
func chromiumPath() (string, error) {
	if p := os.Getenv("CHATFLOW_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install chromium, or set CHATFLOW_CHROMIUM)")
}

// needBrowser returns the context of the shared headless browser,
// skipping or failing t when there is none.
func needBrowser(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		browser.path, browser.err = chromiumPath()
		if browser.err != nil {
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(browser.path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("lang", "en-US"),
			chromedp.WindowSize(1280, 900),
		}
		alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		browser.stop = func() { cancel(); stopAlloc() }
		// Start the browser now: tabs made from ctx share it.
		if browser.err = chromedp.Do(ctx); browser.err != nil {
			browser.err = fmt.Errorf("starting %s: %w", browser.path, browser.err)
			return
		}
		browser.alloc = ctx
	})
	if browser.err != nil {
		if os.Getenv("CHATFLOW_BROWSER_TESTS") == "required" {
			t.Fatalf("browser tests are required: %v", browser.err)
		}
		t.Skipf("skipping the browser test: %v", browser.err)
	}
	return browser.alloc
}

// Staff accounts of every UI test server.
const (
	agentEmail      = "ann@acme.test"
	supervisorEmail = "sam@acme.test"
	adminEmail      = "ada@acme.test"
	bootstrapToken  = "bootstrap-admin-token-0123456789"
)

// visitorSecret signs the test visitors' user tokens.
var visitorSecret = []byte("host-site-shared-secret")

// uiEnv is one chatflow server on loopback, with the example flows and
// configuration on the embedded (bolt) store, a fake clock (Monday 5
// January 2026, 10:00 UTC: within the example working hours), staff
// accounts, and a headless browser to drive its pages.
type uiEnv struct {
	t      *testing.T
	url    string
	clk    *clock.Fake
	store  contextstore.Store
	app    *app.App
	tokens map[string]string // by role: "agent", "supervisor", "admin"
	alloc  context.Context
}

// newUI starts the server and the browser for t; opts are added to the
// server's options. t runs in parallel with the other browser tests: each
// has its own server, store, clock and browser contexts, and most of a
// test's time is spent waiting on the browser and the server, so two (or
// -parallel) of them share the machine well.
func newUI(t *testing.T, opts ...server.Option) *uiEnv {
	t.Helper()
	t.Parallel()
	alloc := needBrowser(t)
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	store, err := bolt.Open(filepath.Join(t.TempDir(), "chatflow.db"), bolt.Options{Clock: clk.Now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The agent console polls every pagePollMS here, ten times its
	// default, and the fake clock never refills a bucket: the example's
	// staff limit (a burst of 120) would run out within a long test.
	cfg.Moderation.Limits.Staff = &moderation.Limit{Rate: 600, Burst: 1_000_000, Per: moderation.Duration(time.Minute)}
	a, err := app.New(t.Context(), app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, Config: cfg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	authSvc, err := auth.New(store, auth.Options{Clock: clk.Now, BootstrapAdminToken: bootstrapToken})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := authSvc.Authenticate(t.Context(), bootstrapToken)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, acc := range []struct{ name, email, role string }{
		{"Ann Agent", agentEmail, "agent"}, {"Sam Supervisor", supervisorEmail, "supervisor"}, {"Ada Admin", adminEmail, "admin"},
	} {
		_, tok, err := authSvc.CreateAccount(t.Context(), boot, acc.name, acc.email, auth.Role(acc.role))
		if err != nil {
			t.Fatal(err)
		}
		tokens[acc.role] = tok
	}
	opts = append([]server.Option{server.WithAuth(authSvc), server.WithVisitorTokenSecret(visitorSecret),
		server.WithBlockedText(cfg.BlockedMessage.For("en")), server.WithEventPoll(100 * time.Millisecond), server.WithLogger(log)}, opts...)
	// Loopback is a trusted proxy, so a tab can come "from" another
	// address with X-Forwarded-For (see fromIP); without the header the
	// visitor is 127.0.0.1 as before.
	srv := server.New(a, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, opts...)
	ts := httptest.NewUnstartedServer(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return &uiEnv{t: t, url: ts.URL, clk: clk, store: store, app: a, tokens: tokens, alloc: alloc}
}

// userToken signs a visitor token for an authenticated user, as the host
// site would.
func (e *uiEnv) userToken(userID, name string) string {
	e.t.Helper()
	tok, err := visitortoken.Sign(visitorSecret, visitortoken.Claims{Subject: userID, Name: name, Expires: e.clk.Now().Add(time.Hour).Unix()})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// tab opens a browser tab in a browser context of its own (separate
// cookies and storage, like another person's browser) with the given
// viewport. Uncaught JavaScript exceptions and console.error calls on the
// page fail the test.
func (e *uiEnv) tab(width, height int64) context.Context {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.alloc, chromedp.WithNewBrowserContext())
	e.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height), pollFast); err != nil {
		e.t.Fatalf("opening a browser tab: %v", err)
	}
	e.failOnPageErrors(ctx, cancel)
	return ctx
}

// failOnPageErrors makes uncaught JavaScript exceptions and
// console.error calls in ctx's target (a tab or a frame) fail the test;
// cancel ends ctx.
func (e *uiEnv) failOnPageErrors(ctx context.Context, cancel context.CancelFunc) {
	e.t.Helper()
	var mu sync.Mutex
	var problems []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			// Browser log entries (no Args) include the console lines of
			// expected 4xx answers; only the page's own errors count.
			if m.Type == chromedp.ConsoleException || (m.Type == chromedp.ConsoleError && len(m.Args) > 0) {
				mu.Lock()
				problems = append(problems, string(m.Type)+": "+m.Text)
				mu.Unlock()
			}
		}
	}()
	e.t.Cleanup(func() {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			e.t.Errorf("page error: %s", p)
		}
	})
}

// pagePollMS is the agent console's poll interval in the tests
// (localStorage "chatflow.poll_ms", see agent.js), like the server's
// event poll (server.WithEventPoll): the tests wait on conditions, not on
// the console's 1 s and 2 s timers.
const pagePollMS = 100

// pollFast sets pagePollMS in every document of the tab before its
// scripts run.
var pollFast = chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
	_, err := cdp.Call(c, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: fmt.Sprintf(`try { localStorage.setItem("chatflow.poll_ms", "%d"); } catch {}`, pagePollMS),
	})
	return err
})

// fromIP makes every request of the tab ctx come from ip, as the server's
// trusted proxy reports it (X-Forwarded-For).
func (e *uiEnv) fromIP(ctx context.Context, ip string) {
	e.t.Helper()
	e.do(ctx, "coming from "+ip, chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(c, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(c, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"X-Forwarded-For": ip}})
		return err
	}))
}

// desktop and phone are the viewports the pages must work at.
func (e *uiEnv) desktop() context.Context { return e.tab(1280, 900) }
func (e *uiEnv) phone() context.Context   { return e.tab(390, 844) }

// do runs browser actions with a time limit, failing the test with what
// (a short description of the step) and a screenshot when they fail.
func (e *uiEnv) do(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		e.shot(ctx, "FAILED-"+sanitize(e.t.Name()+"-"+what))
		e.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates ctx to path of the server and waits until sel is visible.
func (e *uiEnv) open(ctx context.Context, path, sel string) {
	e.t.Helper()
	e.do(ctx, "open "+path, chromedp.Navigate(e.url+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// reload reloads the page and waits until sel is visible.
func (e *uiEnv) reload(ctx context.Context, sel string) {
	e.t.Helper()
	e.do(ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// click clicks the first element matching the CSS selector sel once it is
// visible.
func (e *uiEnv) click(ctx context.Context, sel string) {
	e.t.Helper()
	e.do(ctx, "click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// fill replaces the value of the input, textarea or select matching sel
// with value, as typed by the user (input and change events fire).
func (e *uiEnv) fill(ctx context.Context, sel, value string) {
	e.t.Helper()
	js := fmt.Sprintf(`(() => {
		const n = document.querySelector(%q);
		if (!n) throw new Error("no element " + %q);
		n.focus();
		const proto = n instanceof HTMLSelectElement ? HTMLSelectElement.prototype : n instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
		Object.getOwnPropertyDescriptor(proto, "value").set.call(n, %q);
		n.dispatchEvent(new Event("input", {bubbles: true}));
		n.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, sel, sel, value)
	e.do(ctx, "fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(c, tg)
		return err
	}))
}

// typeKeys types text into sel with real key events (keyboard use).
func (e *uiEnv) typeKeys(ctx context.Context, sel, text string) {
	e.t.Helper()
	e.do(ctx, "type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// key presses a key (a kb constant such as kb.Escape, or text) with real
// key events: on the element matching sel, focused first, or on whatever
// has the focus when sel is "".
func (e *uiEnv) key(ctx context.Context, sel, key string) {
	e.t.Helper()
	if sel == "" {
		e.do(ctx, "press a key", chromedp.KeyEvent(key))
		return
	}
	e.do(ctx, "press a key on "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(key))
}

// waitVisible waits until an element matching sel is visible.
func (e *uiEnv) waitVisible(ctx context.Context, sel string) {
	e.t.Helper()
	e.do(ctx, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitGone waits until no element matches sel.
func (e *uiEnv) waitGone(ctx context.Context, sel string) {
	e.t.Helper()
	e.do(ctx, "wait until "+sel+" is gone", chromedp.WaitNotPresent(chromedp.CSS(sel)))
}

// waitJS waits until the JavaScript expression js is truthy.
func (e *uiEnv) waitJS(ctx context.Context, what, js string) {
	e.t.Helper()
	e.do(ctx, "wait until "+what, chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[any](js, chromedp.WithPollingInterval(50*time.Millisecond))(c, tg)
		return err
	}))
}

// evalJS evaluates the JavaScript expression js in ctx's page (or frame,
// see uiEnv.frame) and returns its JSON value decoded into T.
func evalJS[T any](e *uiEnv, ctx context.Context, js string) T {
	e.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](js))
	if err != nil {
		e.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// shotDir is where screenshots go: testout/screenshots at the repository
// root (ignored by git), or CHATFLOW_SCREENSHOTS.
func shotDir() string {
	if d := os.Getenv("CHATFLOW_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "testout", "screenshots")
}

// shot saves a full-page PNG screenshot of ctx's page as name.png.
func (e *uiEnv) shot(ctx context.Context, name string) {
	e.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100)) // quality 100 is PNG; lower is JPEG
	if err != nil {
		e.t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := shotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("screenshot: %s", path)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

// confirm answers the open confirmation dialog of common.js's
// confirmDialog: OK (typing notes first when not "") or Cancel.
func (e *uiEnv) confirm(ctx context.Context, ok bool, notes string) {
	e.t.Helper()
	e.waitVisible(ctx, "dialog.confirm")
	if notes != "" {
		e.typeKeys(ctx, "dialog.confirm textarea", notes)
	}
	if ok {
		e.click(ctx, "dialog.confirm button[value=ok]")
	} else {
		e.click(ctx, "dialog.confirm button[value=cancel]")
	}
	e.waitGone(ctx, "dialog.confirm")
}

// checkLabels fails unless every visible control of the page (and of an
// open dialog) has an accessible name: a <label>, aria-label or
// aria-labelledby for inputs, selects and textareas; text or aria-label
// for buttons; text for links. where names the screen in the failure.
func (e *uiEnv) checkLabels(ctx context.Context, where string) {
	e.t.Helper()
	unnamed := evalJS[[]string](e, ctx, `(() => {
		const visible = (n) => !!(n.offsetWidth || n.offsetHeight || n.getClientRects().length);
		const bad = [];
		for (const n of document.querySelectorAll("input, select, textarea, button, a[href]")) {
			if (!visible(n) || n.type === "hidden") continue;
			let name = n.getAttribute("aria-label") || "";
			const by = n.getAttribute("aria-labelledby");
			if (by) name += by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || "").join(" ");
			if (n.labels) for (const l of n.labels) name += l.textContent;
			if (n.matches("button, a")) name += n.textContent;
			if (!name.trim()) bad.push(n.outerHTML.slice(0, 120));
		}
		return bad;
	})()`)
	for _, n := range unnamed {
		e.t.Errorf("%s: a control has no accessible name: %s", where, n)
	}
	e.axe(ctx, where)
}

// axeRuns numbers the axe runs (see axe); the tests run in parallel.
var axeRuns atomic.Int64

// axeScript is axe-core (testdata/axe/node_modules, installed by `make
// axe` at the version pinned in testdata/axe/package.json), read once.
var axeScript = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	return string(b), err
})

// axe runs axe-core (WCAG 2.2 A and AA rules) on ctx's page as it is now
// and fails the test on every serious or critical violation. Frames are
// checked on their own (see frame): axe would wait for a copy of itself in
// them. Without axe-core the check is skipped, unless the browser tests
// are required.
func (e *uiEnv) axe(ctx context.Context, where string) {
	e.t.Helper()
	src, err := axeScript()
	if err != nil {
		if os.Getenv("CHATFLOW_BROWSER_TESTS") == "required" {
			e.t.Fatalf("axe-core is required with the browser tests (run make axe): %v", err)
		}
		e.t.Logf("%s: no axe-core, accessibility rules not checked: %v", where, err)
		return
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	poll := chromedp.WithPollingInterval(50 * time.Millisecond)
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](`typeof window.axe === "object" || (function(){`+src+`
		return true; })()`, poll)); err != nil {
		e.t.Fatalf("%s: injecting axe-core: %v", where, err)
	}
	run := axeRuns.Add(1)
	type violation struct {
		ID, Impact, Help string
		Nodes            []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		}
	}
	// One run per call (a token), its result kept on the page until read.
	out, err := chromedp.Run(tctx, chromedp.Poll[string](fmt.Sprintf(`(() => {
		if (window.__axeTok !== %d) {
			window.__axeTok = %d;
			window.__axeOut = "";
			axe.run(document, {
				iframes: false,
				runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
				resultTypes: ["violations"],
			}).then((r) => {
				window.__axeOut = JSON.stringify(r.violations.filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "landmark-unique")
					.map((v) => ({ID: v.id, Impact: v.impact, Help: v.help, Nodes: v.nodes.slice(0, 5).map((n) => ({target: n.target, html: n.html.slice(0, 160)}))})));
			}, (err) => { window.__axeOut = JSON.stringify([{ID: "axe-error", Impact: "critical", Help: String(err), Nodes: [{}]}]); });
		}
		return window.__axeOut;
	})()`, run, run), poll))
	if err != nil {
		e.t.Fatalf("%s: running axe-core: %v", where, err)
	}
	var got []violation
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		e.t.Fatalf("%s: axe-core result: %v", where, err)
	}
	for _, v := range got {
		for _, n := range v.Nodes {
			e.t.Errorf("%s: axe %s (%s): %s: %v %s", where, v.ID, v.Impact, v.Help, n.Target, n.HTML)
		}
	}
}

// text returns the text content of the first element matching sel.
func (e *uiEnv) text(ctx context.Context, sel string) string {
	e.t.Helper()
	return evalJS[string](e, ctx, fmt.Sprintf(`(() => { const n = document.querySelector(%q); return n ? n.textContent : ""; })()`, sel))
}

// waitText waits until the text of the first element matching sel
// contains want.
func (e *uiEnv) waitText(ctx context.Context, sel, want string) {
	e.t.Helper()
	e.waitJS(ctx, fmt.Sprintf("%q is in %s", want, sel),
		fmt.Sprintf(`(() => { const n = document.querySelector(%q); return !!n && n.textContent.includes(%q); })()`, sel, want))
}

// call calls the API directly (to set up data, or to check what a page
// does not show): method path with body (JSON text, "" for none) and the
// bearer token (none when ""). It fails the test unless the status is
// want, decodes the answer into out when out is not nil, and returns the
// body.
func (e *uiEnv) call(method, path, token, body string, want int, out any) string {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return string(b)
}

// get calls the API directly (for checks the page does not show).
func (e *uiEnv) get(path, token string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), "GET", e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}
