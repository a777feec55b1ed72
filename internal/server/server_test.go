package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/server"
)

// The example bot's texts (examples/flows).
const (
	welcome = "Hi! I'm the Acme bot. Ask me anything, or type 'agent' to talk to a person."
	faq     = "I can help with orders, returns and invoices. Type 'agent' to talk to a person."
	queued  = "You're in the queue. An agent will be with you shortly."
	blocked = "Live chat isn't available for this conversation right now. I'm still here to help with your questions."
)

// flakyStore is a memory store whose Ping and PutConversation fail on demand.
type flakyStore struct {
	*memory.Store
	pingErr atomic.Pointer[error]
	putErr  atomic.Pointer[error]
	reads   atomic.Int64 // GetConversation calls
	getErr  atomic.Pointer[error]
}

func (s *flakyStore) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	s.reads.Add(1)
	if err := s.getErr.Load(); err != nil {
		return nil, *err
	}
	return s.Store.GetConversation(ctx, id)
}

func (s *flakyStore) Ping(ctx context.Context) error {
	if err := s.pingErr.Load(); err != nil {
		return *err
	}
	return s.Store.Ping(ctx)
}

func (s *flakyStore) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if err := s.putErr.Load(); err != nil {
		return *err
	}
	return s.Store.PutConversation(ctx, c)
}

type env struct {
	srv   *httptest.Server
	app   *app.App
	store *flakyStore
	clk   *clock.Fake
}

func newEnv(t *testing.T, trusted ...netip.Prefix) *env {
	t.Helper()
	e := &env{store: &flakyStore{Store: memory.New()}, clk: clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))}
	a, err := app.New(t.Context(), app.Options{Store: e.store, FlowPaths: []string{"../../examples/flows"}, Clock: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.app = a
	e.srv = httptest.NewServer(server.New(a, trusted)) // 127.0.0.1, a free port
	t.Cleanup(e.srv.Close)
	return e
}

type response struct {
	status int
	ctype  string
	body   string
}

func (e *env) do(t *testing.T, method, path, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), body: string(b)}
}

type turn struct {
	ID        string   `json:"id"`
	Replies   []string `json:"replies"`
	Waiting   bool     `json:"waiting_for_input"`
	Duplicate bool     `json:"duplicate"`
}

func decodeTurn(t *testing.T, r response, status int) turn {
	t.Helper()
	if r.status != status || r.ctype != "application/json" {
		t.Fatalf("status %d, Content-Type %q, body %s; want %d application/json", r.status, r.ctype, r.body, status)
	}
	var v turn
	d := json.NewDecoder(strings.NewReader(r.body))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return v
}

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// checkProblem asserts an RFC 9457 problem response.
func checkProblem(t *testing.T, r response, status int, title string) problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, body %s; want %d", r.status, r.body, status)
	}
	if r.ctype != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", r.ctype)
	}
	var p problem
	d := json.NewDecoder(strings.NewReader(r.body))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		t.Fatalf("decoding problem %s: %v", r.body, err)
	}
	if p.Type != "about:blank" || p.Title != title || p.Status != status || p.Detail == "" {
		t.Errorf("problem = %+v, want type about:blank, title %q, status %d and a detail", p, title, status)
	}
	return p
}

func (e *env) start(t *testing.T) string {
	t.Helper()
	v := decodeTurn(t, e.do(t, "POST", "/v1/conversations", `{"channel": "live_chat"}`), http.StatusCreated)
	return v.ID
}

func (e *env) message(t *testing.T, id, text, key string) response {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"text": text, "idempotency_key": key})
	return e.do(t, "POST", "/v1/conversations/"+id+"/messages", string(b))
}

func (e *env) conversations(t *testing.T) []*contextstore.Conversation {
	t.Helper()
	list, err := e.store.ListConversations(t.Context(), contextstore.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// visitorIP opens the sealed visitor address of conversation id ("" when
// none), checking that the context holds no clear address.
func (e *env) visitorIP(t *testing.T, id string) string {
	t.Helper()
	return openedIP(t, e.app, e.conv(t, id))
}

func openedIP(t *testing.T, a *app.App, c *contextstore.Conversation) string {
	t.Helper()
	if c.Info.LegacyVisitorIP != "" {
		t.Errorf("conversation %s holds a clear visitor ip %q", c.ID, c.Info.LegacyVisitorIP)
	}
	if ip := a.Blocking.VisitorIP(c); ip.IsValid() {
		return ip.String()
	}
	return ""
}

func (e *env) conv(t *testing.T, id string) *contextstore.Conversation {
	t.Helper()
	c, err := e.store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStartConversation(t *testing.T) {
	for _, tc := range []struct {
		name, body, channel string
	}{
		{"with channel", `{"channel": "contact_form"}`, "contact_form"},
		{"empty object", `{}`, "live_chat"},
		{"no body", "", "live_chat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			v := decodeTurn(t, e.do(t, "POST", "/v1/conversations", tc.body), http.StatusCreated)
			if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(v.ID) {
				t.Errorf("id = %q, want 24 hex digits", v.ID)
			}
			if !slices.Equal(v.Replies, []string{welcome}) || v.Waiting || v.Duplicate {
				t.Errorf("turn = %+v, want the welcome reply", v)
			}
			c := e.conv(t, v.ID)
			if c.Info.Channel != tc.channel || e.visitorIP(t, v.ID) != "127.0.0.1" {
				t.Errorf("stored Info = %+v, want channel %s from 127.0.0.1", c.Info, tc.channel)
			}
		})
	}
	t.Run("ids differ", func(t *testing.T) {
		e := newEnv(t)
		if a, b := e.start(t), e.start(t); a == b {
			t.Errorf("two conversations got the id %s", a)
		}
	})
}

func TestPostMessage(t *testing.T) {
	e := newEnv(t)
	id := e.start(t)
	v := decodeTurn(t, e.message(t, id, "where is my order?", ""), http.StatusOK)
	if v.ID != id || !slices.Equal(v.Replies, []string{faq}) || v.Duplicate {
		t.Errorf("turn = %+v, want the FAQ reply", v)
	}
	// The raw wire format: replies is always a list, duplicate omitted.
	r := e.message(t, id, "where is my order?", "")
	if want := `{"id":"` + id + `","replies":["` + faq + `"],"waiting_for_input":false}` + "\n"; r.body != want {
		t.Errorf("body = %s, want %s", r.body, want)
	}
}

func TestIdempotentRetry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		send   func(e *env, t *testing.T, id string) response
		header bool
	}{
		{"body key", func(e *env, t *testing.T, id string) response { return e.message(t, id, "I want an agent", "k-1") }, false},
		{"Idempotency-Key header", func(e *env, t *testing.T, id string) response {
			return e.do(t, "POST", "/v1/conversations/"+id+"/messages", `{"text": "I want an agent"}`, "Idempotency-Key", "k-1")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.start(t)
			first := decodeTurn(t, tc.send(e, t, id), http.StatusOK)
			if !slices.Equal(first.Replies, []string{queued}) || first.Duplicate {
				t.Fatalf("first = %+v", first)
			}
			before := e.conv(t, id)
			second := decodeTurn(t, tc.send(e, t, id), http.StatusOK)
			if !slices.Equal(second.Replies, first.Replies) || !second.Duplicate {
				t.Errorf("retry = %+v, want the same replies and duplicate: true", second)
			}
			after := e.conv(t, id)
			// Not executed again: nothing was saved, no message recorded.
			if after.Version != before.Version || len(after.Transcript) != len(before.Transcript) {
				t.Errorf("the retry ran a turn: version %d → %d, transcript %d → %d",
					before.Version, after.Version, len(before.Transcript), len(after.Transcript))
			}
			waiting, err := e.app.Queue.Waiting(t.Context(), "support")
			if err != nil || len(waiting) != 1 || waiting[0].ConversationID != id {
				t.Errorf("queue = %+v, %v; want one entry for %s", waiting, err, id)
			}
			// Another key is another message.
			third := decodeTurn(t, e.message(t, id, "I want an agent", "k-2"), http.StatusOK)
			if third.Duplicate {
				t.Errorf("a new key was taken for a retry")
			}
		})
	}
}

func TestUnknownConversation(t *testing.T) {
	e := newEnv(t)
	p := checkProblem(t, e.message(t, "nope", "hello", ""), http.StatusNotFound, "no such conversation")
	if want := `conversation "nope" does not exist; start one with POST /v1/conversations`; p.Detail != want {
		t.Errorf("detail = %q, want %q", p.Detail, want)
	}
	if n := len(e.conversations(t)); n != 0 {
		t.Errorf("%d conversations stored, want none: a message must not create one", n)
	}
}

func TestEndedConversation(t *testing.T) {
	e := newEnv(t)
	id := e.start(t)
	if _, err := e.app.Executor.Handle(t.Context(), flows.Event{Type: flows.EventEnd, ConversationID: id}); err != nil {
		t.Fatal(err)
	}
	checkProblem(t, e.message(t, id, "hello", ""), http.StatusConflict, "conversation ended")
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	id := e.start(t)
	msgs := "/v1/conversations/" + id + "/messages"
	for _, tc := range []struct {
		name, path, body string
		status           int
		title, detail    string
	}{
		{"start: bad JSON", "/v1/conversations", `{"channel":`, 400, "invalid JSON body", "unexpected EOF"},
		{"start: unknown field", "/v1/conversations", `{"chanel": "x"}`, 400, "invalid JSON body", `json: unknown field "chanel"`},
		{"start: wrong type", "/v1/conversations", `{"channel": 7}`, 400, "invalid JSON body", ""},
		{"message: bad JSON", msgs, `not json`, 400, "invalid JSON body", ""},
		{"message: unknown field", msgs, `{"text": "hi", "user_id": "admin"}`, 400, "invalid JSON body", `json: unknown field "user_id"`},
		{"message: no body", msgs, ``, 400, "invalid JSON body", "EOF"},
		{"message: two values", msgs, `{"text": "hi"}{"text": "again"}`, 400, "invalid JSON body", "trailing data after the JSON value: the body must be exactly one JSON value"},
		{"message: trailing garbage", msgs, `{"text": "hi"} x`, 400, "invalid JSON body", "trailing data after the JSON value: invalid character 'x' looking for beginning of value"},
		{"message: trailing bracket", msgs, `{"text": "hi"}}`, 400, "invalid JSON body", "trailing data after the JSON value: invalid character '}' looking for beginning of value"},
		{"start: two values", "/v1/conversations", `{} {}`, 400, "invalid JSON body", "trailing data after the JSON value: the body must be exactly one JSON value"},
		{"message: empty text", msgs, `{"text": ""}`, 422, "invalid message", "text: must not be empty"},
		{"message: no text", msgs, `{"idempotency_key": "k"}`, 422, "invalid message", "text: must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.conv(t, id)
			p := checkProblem(t, e.do(t, "POST", tc.path, tc.body), tc.status, tc.title)
			if tc.detail != "" && p.Detail != tc.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tc.detail)
			}
			if n := len(e.conversations(t)); n != 1 {
				t.Errorf("%d conversations stored, want only the first", n)
			}
			if after := e.conv(t, id); after.Version != before.Version {
				t.Errorf("a rejected request changed the conversation (version %d → %d)", before.Version, after.Version)
			}
		})
	}
}

// Whitespace around the one JSON value is not trailing data.
func TestDecodeWhitespace(t *testing.T) {
	e := newEnv(t)
	id := e.start(t)
	decodeTurn(t, e.do(t, "POST", "/v1/conversations/"+id+"/messages", " \n{\"text\": \"hello\"}\n\t \r\n"), http.StatusOK)
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	id := e.start(t)
	const limit = 64 << 10
	body := func(size int) string {
		pre, post := `{"text": "`, `"}`
		return pre + strings.Repeat("a", size-len(pre)-len(post)) + post
	}
	// At the limit: accepted.
	decodeTurn(t, e.do(t, "POST", "/v1/conversations/"+id+"/messages", body(limit)), http.StatusOK)
	before := e.conv(t, id)
	// One byte over: rejected, nothing stored.
	p := checkProblem(t, e.do(t, "POST", "/v1/conversations/"+id+"/messages", body(limit+1)), http.StatusRequestEntityTooLarge, "request body too large")
	if want := fmt.Sprintf("the request body must not exceed %d bytes", limit); p.Detail != want {
		t.Errorf("detail = %q, want %q", p.Detail, want)
	}
	checkProblem(t, e.do(t, "POST", "/v1/conversations", `{"channel": "`+strings.Repeat("x", limit)+`"}`), http.StatusRequestEntityTooLarge, "request body too large")
	if after := e.conv(t, id); after.Version != before.Version {
		t.Errorf("an oversized message changed the conversation")
	}
	if n := len(e.conversations(t)); n != 1 {
		t.Errorf("%d conversations, want 1", n)
	}
}

func TestProbes(t *testing.T) {
	e := newEnv(t)
	if r := e.do(t, "GET", "/healthz", ""); r.status != 200 || r.ctype != "application/json" || r.body != `{"status":"ok"}`+"\n" {
		t.Errorf("healthz = %+v", r)
	}
	if r := e.do(t, "GET", "/readyz", ""); r.status != 200 || r.body != `{"status":"ready"}`+"\n" {
		t.Errorf("readyz = %+v", r)
	}
	down := fmt.Errorf("dial tcp 10.0.0.9:6379: %w", contextstore.ErrUnavailable)
	e.store.pingErr.Store(&down)
	checkProblem(t, e.do(t, "GET", "/readyz", ""), http.StatusServiceUnavailable, "store unreachable")
	// The store answers pings but cannot serve a turn's read (a Cluster
	// node behind a standalone client answers MOVED): not ready, and why.
	e.store.pingErr.Store(nil)
	moved := fmt.Errorf("redis: get: MOVED 1234 10.0.0.7:6379: %w", contextstore.ErrUnavailable)
	e.store.getErr.Store(&moved)
	r := e.do(t, "GET", "/readyz", "")
	checkProblem(t, r, http.StatusServiceUnavailable, "store cannot serve turns")
	if !strings.Contains(r.body, "MOVED 1234") {
		t.Errorf("readyz body %s does not give the cause", r.body)
	}
	e.store.getErr.Store(nil)
	e.store.pingErr.Store(&down)
	// Liveness does not depend on the store.
	if r := e.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Errorf("healthz with the store down = %d", r.status)
	}
}

func TestIndex(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/", "")
	if r.status != 200 || r.ctype != "text/plain; charset=utf-8" || !strings.HasPrefix(r.body, "chatflow is running.") {
		t.Errorf("index = %+v", r)
	}
}

func TestTurnErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		title  string
		detail string
	}{
		{"store unavailable", fmt.Errorf("redis: %w", contextstore.ErrUnavailable), 503, "store unavailable", "please retry"},
		{"other failure", errors.New("internal detail: disk /var/lib/x full"), 500, "turn failed", "the bot could not answer; please retry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.start(t)
			e.store.putErr.Store(&tc.err)
			for _, r := range []response{
				e.message(t, id, "hello", ""),
				e.do(t, "POST", "/v1/conversations", `{}`),
			} {
				p := checkProblem(t, r, tc.status, tc.title)
				if p.Detail != tc.detail {
					t.Errorf("detail = %q, want %q", p.Detail, tc.detail)
				}
				if strings.Contains(r.body, "internal detail") || strings.Contains(r.body, "redis") {
					t.Errorf("the response reveals the internal error: %s", r.body)
				}
			}
		})
	}
}

func TestVisitorIP(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		xff     string
		want    string
	}{
		{"no proxy", nil, "", "127.0.0.1"},
		{"header from an untrusted peer is ignored", nil, "203.0.113.7", "127.0.0.1"},
		{"header from a trusted proxy is honoured", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.7", "203.0.113.7"},
		{"the client's own entries are not believed", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "198.51.100.1, 203.0.113.7", "203.0.113.7"},
		{"trusted, IPv6 client", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, "2001:db8::66", "2001:db8::66"},
		{"trusted, garbage entry", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, "unknown", ""},
		{"another network is trusted", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "203.0.113.7", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.trusted...)
			var hdr []string
			if tc.xff != "" {
				hdr = []string{"X-Forwarded-For", tc.xff}
			}
			v := decodeTurn(t, e.do(t, "POST", "/v1/conversations", `{}`, hdr...), http.StatusCreated)
			if got := e.visitorIP(t, v.ID); got != tc.want {
				t.Errorf("VisitorIP = %q, want %q", got, tc.want)
			}
		})
	}
}

// After an agent blocks the visitor, the API keeps answering with the
// flows' neutral texts: no response ever carries the block reason.
func TestBlockReasonNeverSent(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	id := e.start(t)
	var bodies []string
	send := func(text string) turn {
		t.Helper()
		r := e.message(t, id, text, "")
		bodies = append(bodies, r.body)
		return decodeTurn(t, r, http.StatusOK)
	}
	if v := send("I want an agent"); !slices.Equal(v.Replies, []string{queued}) {
		t.Fatalf("replies = %q", v.Replies)
	}
	if _, err := e.app.Desk.Take(ctx, "support", "ann@acme.test"); err != nil {
		t.Fatal(err)
	}
	if v := send("you are all useless"); len(v.Replies) != 0 {
		t.Errorf("the bot answered %q while an agent is connected", v.Replies)
	}
	if _, err := e.app.Desk.Disconnect(ctx, id, "", contextstore.AgentFeedback{
		Block: true, ReasonCategory: "abusive_language", Notes: "insulted-the-agent-7f3a", BlockIntervalMinutes: 60,
	}); err != nil {
		t.Fatal(err)
	}
	c := e.conv(t, id)
	if c.Info.LiveChatBlockedUntil == nil {
		t.Fatal("the visitor was not blocked")
	}
	if v := send("agent please"); !slices.Equal(v.Replies, []string{blocked}) {
		t.Errorf("replies = %q, want the neutral refusal", v.Replies)
	}
	send("why?")
	send("unblock me")
	send("no")
	e.clk.Advance(61 * time.Minute)
	if v := send("agent"); !slices.Equal(v.Replies, []string{queued}) {
		t.Errorf("after expiry: replies = %q, want queued", v.Replies)
	}
	bodies = append(bodies, e.do(t, "POST", "/v1/conversations", `{}`).body)
	for _, b := range bodies {
		for _, secret := range []string{"abusive", "insulted-the-agent-7f3a"} {
			if strings.Contains(b, secret) {
				t.Errorf("response reveals the block reason (%q): %s", secret, b)
			}
		}
	}
}

func TestUnknownRoute(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/v1/conversations", "")
	if p := checkProblem(t, r, http.StatusMethodNotAllowed, "method not allowed"); p.Detail != "GET is not allowed on this path; allowed: POST" {
		t.Errorf("405 detail = %q", p.Detail)
	}
	r = e.do(t, "DELETE", "/v1/conversations/x/messages", "")
	if p := checkProblem(t, r, http.StatusMethodNotAllowed, "method not allowed"); !strings.HasSuffix(p.Detail, "allowed: GET, HEAD, POST") {
		t.Errorf("405 detail = %q", p.Detail)
	}
	for _, path := range []string{"/nope", "/v1/conversations/x/nope", "/v1/admin/nope"} {
		if p := checkProblem(t, e.do(t, "GET", path, ""), http.StatusNotFound, "not found"); strings.Contains(p.Detail, "nope") {
			t.Errorf("404 detail echoes the path: %q", p.Detail)
		}
	}
}

// A path that is not clean is still redirected to its clean form, as the
// ServeMux does, even when the clean path has no route for the method.
func TestUncleanPathRedirect(t *testing.T) {
	e := newEnv(t)
	c := *e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, path := range []string{"/v1//conversations", "/v1/conversations/../conversations"} {
		req, err := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = path // keep the path as written
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode/100 != 3 || res.Header.Get("Location") != "/v1/conversations" {
			t.Errorf("GET %s = %d, Location %q; want a redirect to /v1/conversations", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// The Allow header of a 405 survives the problem+json answer.
func TestMethodNotAllowedAllow(t *testing.T) {
	e := newEnv(t)
	req, err := http.NewRequestWithContext(t.Context(), "PUT", e.srv.URL+"/v1/conversations", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
		t.Errorf("PUT /v1/conversations = %d, Allow %q; want 405 and Allow POST", res.StatusCode, res.Header.Get("Allow"))
	}
}

// TestOneReadPerMessageTurn: a visitor's message reads the conversation
// once (the executor's own read), and an unknown id is still a 404.
func TestOneReadPerMessageTurn(t *testing.T) {
	e := newEnv(t)
	id := e.start(t)
	before := e.store.reads.Load()
	decodeTurn(t, e.message(t, id, "where is my order?", "k1"), http.StatusOK)
	if n := e.store.reads.Load() - before; n != 1 {
		t.Errorf("a message turn read the conversation %d times, want 1", n)
	}
	checkProblem(t, e.message(t, "nope", "hello", ""), http.StatusNotFound, "no such conversation")
	if _, err := e.store.Store.GetConversation(t.Context(), "nope"); err == nil {
		t.Error("a message to an unknown id created the conversation")
	}
}
