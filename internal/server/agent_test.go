package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/server"
)

// fakeAuth is an Authenticator over fixed tokens; Deny writes the
// "auth.deny" audit event the real auth service writes.
type fakeAuth struct {
	store  contextstore.AuditLog
	tokens map[string]server.Principal
	mu     sync.Mutex
	denied []string // "email action target"
}

func (f *fakeAuth) Authenticate(_ context.Context, bearer string) (server.Principal, error) {
	p, ok := f.tokens[bearer]
	if !ok {
		return server.Principal{}, fmt.Errorf("token: %w", server.ErrUnauthenticated)
	}
	return p, nil
}

func (f *fakeAuth) Deny(ctx context.Context, p server.Principal, action, target string) {
	f.mu.Lock()
	f.denied = append(f.denied, p.Email+" "+action+" "+target)
	f.mu.Unlock()
	_ = f.store.AppendAudit(ctx, &contextstore.AuditEvent{At: time.Now(), Actor: p.Email, Action: "auth.deny", Subject: target,
		Details: map[string]string{"action": action, "role": string(p.Role), "actor_id": p.ID}})
}

func (f *fakeAuth) denials() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.denied)
}

// brokenAuth cannot reach its store.
type brokenAuth struct{}

func (brokenAuth) Authenticate(context.Context, string) (server.Principal, error) {
	return server.Principal{}, fmt.Errorf("reading accounts: %w", contextstore.ErrUnavailable)
}

func (brokenAuth) Deny(context.Context, server.Principal, string, string) {}

// The staff of the tests and their tokens.
const (
	agentTok = "tok-agent"
	superTok = "tok-super"
	adminTok = "tok-admin"
)

// staffEnv is a server with the example flows and configuration, a fake
// clock, staff auth, and a check of every response against /openapi.json.
type staffEnv struct {
	srv   *httptest.Server
	app   *app.App
	store *memory.Store
	clk   *clock.Fake
	auth  *fakeAuth
	doc   map[string]any
	sch   *jsonschema.Compiler
}

func newStaffEnv(t *testing.T, trusted ...netip.Prefix) *staffEnv {
	t.Helper()
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := &staffEnv{store: memory.New(), clk: clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))}
	e.app, err = app.New(t.Context(), app.Options{Store: e.store, FlowPaths: []string{"../../examples/flows"}, Clock: e.clk.Now, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	e.auth = &fakeAuth{store: e.store, tokens: map[string]server.Principal{
		agentTok: {ID: "u1", Name: "Ann Agent", Email: "ann@acme.test", Role: server.RoleAgent},
		superTok: {ID: "u2", Name: "Sam Super", Email: "sam@acme.test", Role: server.RoleSupervisor},
		adminTok: {ID: "u3", Name: "Ada Admin", Email: "ada@acme.test", Role: server.RoleAdmin},
	}}
	e.srv = httptest.NewServer(server.New(e.app, trusted, server.WithAuth(e.auth)))
	t.Cleanup(e.srv.Close)
	e.loadContract(t)
	return e
}

// loadContract reads the server's /openapi.json, so that call checks
// every /v1/ response against it.
func (e *staffEnv) loadContract(t *testing.T) {
	t.Helper()
	raw := e.call(t, "", "GET", "/openapi.json", "").body
	if err := json.Unmarshal([]byte(raw), &e.doc); err != nil {
		t.Fatal(err)
	}
	e.sch = jsonschema.NewCompiler()
	e.sch.Draft = jsonschema.Draft2020
	if err := e.sch.AddResource("openapi.json", strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
}

// call sends a request with a bearer token (none when tok is "") and,
// for /v1/ routes, checks the response against /openapi.json.
func (e *staffEnv) call(t *testing.T, tok, method, path, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
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
	r := response{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), body: string(b)}
	if strings.HasPrefix(path, "/v1/") && e.doc != nil {
		e.conforms(t, method, path, r)
	}
	return r
}

// conforms checks that the status is documented for the operation and the
// body matches its schema.
func (e *staffEnv) conforms(t *testing.T, method, path string, r response) {
	t.Helper()
	path, _, _ = strings.Cut(path, "?")
	route, best := "", -1
	for tmpl := range e.doc["paths"].(map[string]any) {
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[a-z_]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), "[^/]+") + "$")
		if re.MatchString(path) {
			if lit := strings.Count(tmpl, "/") - strings.Count(tmpl, "{"); lit > best {
				route, best = tmpl, lit
			}
		}
	}
	name := fmt.Sprintf("%s %s %d", method, path, r.status)
	ptr := "#/paths/" + pointerEscape(route) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(r.status)
	resp, msg := resolve(e.doc, ptr)
	if msg != "" {
		t.Errorf("%s: status not documented at %s: %s", name, ptr, r.body)
		return
	}
	if ref, ok := resp.(map[string]any)["$ref"].(string); ok {
		resp, _ = resolve(e.doc, ref)
		ptr = ref
	}
	if _, ok := resp.(map[string]any)["content"]; !ok {
		if r.body != "" {
			t.Errorf("%s: documented without content, got %q", name, r.body)
		}
		return
	}
	media, _, err := mime.ParseMediaType(r.ctype)
	if err != nil {
		t.Errorf("%s: Content-Type %q: %v", name, r.ctype, err)
		return
	}
	content, _ := resp.(map[string]any)["content"].(map[string]any)
	if _, ok := content[media]; !ok {
		t.Errorf("%s: media type %s not documented", name, media)
		return
	}
	if !strings.HasSuffix(media, "json") {
		return
	}
	sch, err := e.sch.Compile("openapi.json" + ptr + "/content/" + pointerEscape(media) + "/schema")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var v any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Errorf("%s: not JSON: %v", name, err)
		return
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s: body does not match the schema: %v\n%s", name, err, r.body)
	}
}

// must calls and fails unless the status is want; it decodes the body into v.
func (e *staffEnv) must(t *testing.T, want int, v any, tok, method, path, body string) response {
	t.Helper()
	r := e.call(t, tok, method, path, body)
	if r.status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(r.body), v); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, r.body)
		}
	}
	return r
}

// visitor starts a conversation and asks for an agent.
func (e *staffEnv) visitor(t *testing.T) string {
	t.Helper()
	var tr turn
	e.mustVisitor(t, http.StatusCreated, &tr, "POST", "/v1/conversations", `{"channel": "live_chat"}`)
	e.mustVisitor(t, http.StatusOK, nil, "POST", "/v1/conversations/"+tr.ID+"/messages", `{"text": "I want an agent"}`)
	return tr.ID
}

// mustVisitor sends a visitor's request (no token) and fails unless the
// status is want; it decodes the body into v and returns it.
func (e *staffEnv) mustVisitor(t *testing.T, want int, v any, method, path, body string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, b.String())
	}
	if v != nil {
		if err := json.Unmarshal(b.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// problemBody is a decoded problem+json answer.
type problemBody struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, r response) problemBody {
	t.Helper()
	if r.ctype != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", r.ctype, r.body)
	}
	var p problemBody
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p problemBody) fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func TestStaffAuth(t *testing.T) {
	t.Run("without WithAuth", func(t *testing.T) {
		e := newEnv(t)
		r := e.do(t, "GET", "/v1/agent/queues/support", "", "Authorization", "Bearer x")
		if r.status != http.StatusUnauthorized || r.ctype != "application/problem+json" {
			t.Errorf("got %d %s: %s", r.status, r.ctype, r.body)
		}
	})
	e := newStaffEnv(t)
	for _, tc := range []struct {
		name, tok string
		status    int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"unknown token", "nope", http.StatusUnauthorized},
		{"agent", agentTok, http.StatusOK},
		{"supervisor", superTok, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, tc.tok, "GET", "/v1/agent/queues/support", "")
			if r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	t.Run("store down while checking the token", func(t *testing.T) {
		srv := httptest.NewServer(server.New(e.app, nil, server.WithAuth(brokenAuth{})))
		defer srv.Close()
		e2 := &staffEnv{srv: srv, doc: e.doc, sch: e.sch}
		e2.must(t, http.StatusServiceUnavailable, nil, agentTok, "GET", "/v1/agent/queues/support", "")
	})
	t.Run("agent on an admin route", func(t *testing.T) {
		p := decodeProblem(t, e.must(t, http.StatusForbidden, nil, agentTok, "GET", "/v1/admin/blocks", ""))
		if !strings.Contains(p.Detail, "supervisor") {
			t.Errorf("detail %q does not name the role needed", p.Detail)
		}
		if d := e.auth.denials(); !slices.Contains(d, "ann@acme.test block.list ") {
			t.Errorf("denials = %q", d)
		}
	})
	t.Run("supervisor creating a range ban", func(t *testing.T) {
		e.must(t, http.StatusForbidden, nil, superTok, "POST", "/v1/admin/blocks", `{"range": "203.0.113.0/24", "period": "1d", "reason_category": "spam"}`)
		e.must(t, http.StatusCreated, nil, adminTok, "POST", "/v1/admin/blocks", `{"range": "203.0.113.0/24", "period": "1d", "reason_category": "spam"}`)
	})
}

func TestAgentQueueTakeSay(t *testing.T) {
	e := newStaffEnv(t)
	e.must(t, http.StatusNotFound, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	first := e.visitor(t)
	e.clk.Advance(2 * time.Minute)
	second := e.visitor(t)
	var q struct {
		Waiting []struct {
			ConversationID string `json:"conversation_id"`
			EnqueuedAt     string `json:"enqueued_at"`
			WaitingSeconds int64  `json:"waiting_seconds"`
		} `json:"waiting"`
	}
	e.must(t, http.StatusOK, &q, agentTok, "GET", "/v1/agent/queues/support", "")
	if len(q.Waiting) != 2 || q.Waiting[0].ConversationID != first || q.Waiting[1].ConversationID != second {
		t.Fatalf("queue = %+v, want %s then %s", q.Waiting, first, second)
	}
	if q.Waiting[0].WaitingSeconds != 120 || q.Waiting[0].EnqueuedAt != "2026-01-05T10:00:00Z" {
		t.Errorf("first entry = %+v, want waiting 120 s since 10:00", q.Waiting[0])
	}
	var took struct {
		ID       string `json:"id"`
		Messages []struct{ From, Text string }
	}
	e.must(t, http.StatusOK, &took, agentTok, "POST", "/v1/agent/queues/support/take", "")
	if took.ID != first || len(took.Messages) == 0 || took.Messages[0].From != "bot" {
		t.Fatalf("took %+v", took)
	}
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+first+"/messages", `{"text": "Hello, I'm Ann."}`)
	var tr struct{ Messages []struct{ From, Text string } }
	e.mustVisitor(t, http.StatusOK, &tr, "GET", "/v1/conversations/"+first+"/messages", "")
	if last := tr.Messages[len(tr.Messages)-1]; last.From != "agent" || last.Text != "Hello, I'm Ann." {
		t.Errorf("visitor sees %+v last", last)
	}
	// Errors: not connected, unknown, empty, bad JSON.
	e.must(t, http.StatusConflict, nil, agentTok, "POST", "/v1/agent/conversations/"+second+"/messages", `{"text": "hi"}`)
	e.must(t, http.StatusNotFound, nil, agentTok, "POST", "/v1/agent/conversations/nope/messages", `{"text": "hi"}`)
	p := decodeProblem(t, e.must(t, http.StatusUnprocessableEntity, nil, agentTok, "POST", "/v1/agent/conversations/"+first+"/messages", `{"text": " "}`))
	if !slices.Equal(p.fields(), []string{"text"}) {
		t.Errorf("fields = %q", p.fields())
	}
	e.must(t, http.StatusBadRequest, nil, agentTok, "POST", "/v1/agent/conversations/"+first+"/messages", `{"text": "hi", "urgent": true}`)
	// Another agent may not write into Ann's chat.
	e.auth.tokens["tok-bob"] = server.Principal{Email: "bob@acme.test", Role: server.RoleAgent}
	e.must(t, http.StatusForbidden, nil, "tok-bob", "POST", "/v1/agent/conversations/"+first+"/messages", `{"text": "hi"}`)
	e.must(t, http.StatusForbidden, nil, "tok-bob", "POST", "/v1/agent/conversations/"+first+"/disconnect", `{}`)
	// Disconnecting a chat nobody took is a conflict; Ann's own works.
	e.must(t, http.StatusConflict, nil, agentTok, "POST", "/v1/agent/conversations/"+second+"/disconnect", `{}`)
	var d struct {
		Replies []string `json:"replies"`
		Blocked bool     `json:"blocked"`
	}
	e.must(t, http.StatusOK, &d, agentTok, "POST", "/v1/agent/conversations/"+first+"/disconnect", `{"rating": 5}`)
	if d.Blocked || len(d.Replies) == 0 {
		t.Errorf("disconnect without block = %+v", d)
	}
	e.must(t, http.StatusConflict, nil, agentTok, "POST", "/v1/agent/conversations/"+first+"/messages", `{"text": "still there?"}`)
}

// blockCount lists every block through the admin API.
func (e *staffEnv) blockCount(t *testing.T) int {
	t.Helper()
	var l struct{ Blocks []json.RawMessage }
	e.must(t, http.StatusOK, &l, superTok, "GET", "/v1/admin/blocks?limit=500", "")
	return len(l.Blocks)
}

func TestAgentDisconnectAndBlockErrors(t *testing.T) {
	e := newStaffEnv(t)
	id := e.visitor(t)
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	before := e.blockCount(t)
	disc := "/v1/agent/conversations/" + id + "/disconnect"
	blk := "/v1/agent/conversations/" + id + "/block"
	for _, tc := range []struct {
		name, path, body string
		status           int
		fields           []string
	}{
		{"bad JSON", disc, `{"block": tru`, 400, nil},
		{"unknown field", disc, `{"block": true, "why": "x"}`, 400, nil},
		{"no category", disc, `{"block": true, "minutes": 60}`, 422, []string{"reason_category"}},
		{"minutes out of range", disc, `{"block": true, "reason_category": "spam", "minutes": 99999999, "rating": 9}`, 422, []string{"minutes", "rating"}},
		{"negative minutes", disc, `{"block": true, "reason_category": "spam", "minutes": -5}`, 422, []string{"minutes"}},
		{"unknown conversation", "/v1/agent/conversations/nope/disconnect", `{}`, 404, nil},
		{"bad target and period", blk, `{"target": "email", "period": "2y", "reason_category": "spam"}`, 422, []string{"period", "target"}},
		{"period too long", blk, `{"target": "conversation", "period": "99999999", "reason_category": "spam"}`, 422, []string{"period"}},
		{"anonymous user", blk, `{"target": "user", "period": "1h", "reason_category": "spam"}`, 422, []string{"target"}},
		{"loopback ip is never blocked", blk, `{"target": "ip", "period": "1h", "reason_category": "spam"}`, 422, []string{"ip"}},
		{"unknown category", blk, `{"target": "conversation", "period": "1h", "reason_category": "rude"}`, 422, []string{"reason_category"}},
		{"ip in the body", blk, `{"target": "ip", "ip": "198.51.100.9", "period": "1h", "reason_category": "spam"}`, 400, nil},
		{"unknown conversation block", "/v1/agent/conversations/nope/block", `{"target": "conversation", "period": "1h", "reason_category": "spam"}`, 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := decodeProblem(t, e.must(t, tc.status, nil, agentTok, "POST", tc.path, tc.body))
			got := p.fields()
			slices.Sort(got)
			if tc.fields != nil && !slices.Equal(got, tc.fields) {
				t.Errorf("fields = %q, want %q (%s)", got, tc.fields, p.Detail)
			}
			if n := e.blockCount(t); n != before {
				t.Errorf("%d blocks stored, want %d", n, before)
			}
		})
	}
	c, err := e.store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Helpdesk.AgentConnected || c.Info.LiveChatBlockedUntil != nil {
		t.Errorf("a refused request changed the conversation: %+v %+v", c.Helpdesk, c.Info)
	}
	var b struct{ Kind, Status string }
	e.must(t, http.StatusCreated, &b, agentTok, "POST", blk, `{"target": "conversation", "period": "1d", "reason_category": "spam", "notes": "links"}`)
	if b.Kind != "conversation" || b.Status != "active" {
		t.Errorf("block = %+v", b)
	}
	if n := e.blockCount(t); n != before+1 {
		t.Errorf("%d blocks after a direct block, want %d", n, before+1)
	}
}

// TestEveryStaffRouteNeedsAuth: every agent and admin route answers 401
// without a token, and every admin route 403 to an agent, with a denial
// recorded for each.
func TestEveryStaffRouteNeedsAuth(t *testing.T) {
	e := newStaffEnv(t)
	n := 0
	for _, rt := range server.New(e.app, nil).Routes() {
		method, path, _ := strings.Cut(rt, " ")
		if !strings.HasPrefix(path, "/v1/agent/") && !strings.HasPrefix(path, "/v1/admin/") {
			continue
		}
		path = strings.NewReplacer("{id}", "x1", "{queue}", "support").Replace(path)
		body := ""
		if method != "GET" {
			body = "{}"
		}
		if r := e.call(t, "", method, path, body); r.status != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d", rt, r.status)
		}
		if r := e.call(t, "wrong", method, path, body); r.status != http.StatusUnauthorized {
			t.Errorf("%s with an unknown token: %d", rt, r.status)
		}
		if strings.HasPrefix(path, "/v1/admin/") {
			n++
			if r := e.call(t, agentTok, method, path, body); r.status != http.StatusForbidden {
				t.Errorf("%s as an agent: %d, want 403", rt, r.status)
			}
		}
	}
	if got := len(e.auth.denials()); got != n || n != 29 { // 23 + the 6 webhook routes
		t.Errorf("%d denials recorded for %d admin routes", got, n)
	}
}

// TestAgentBlockByStoredIP: an IP block bans the visitor IP stored with
// the conversation (here from X-Forwarded-For behind a trusted proxy),
// whatever the agent's own request says.
func TestAgentBlockByStoredIP(t *testing.T) {
	e := newStaffEnv(t, netip.MustParsePrefix("127.0.0.0/8"))
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/v1/conversations", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", "198.51.100.20")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tr turn
	if err := json.NewDecoder(res.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var b struct {
		Kind string `json:"kind"`
		IP   string `json:"ip"`
	}
	req, err = http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/v1/agent/conversations/"+tr.ID+"/block",
		strings.NewReader(`{"target": "ip", "period": "1w", "reason_category": "spam"}`))
	if err != nil {
		t.Fatal(err)
	}
	// A supervisor may block any conversation, and sees the address (a
	// plain agent may block only a chat they hold, and never sees it: see
	// TestAgentBlockOnlyTheirOwnChat).
	req.Header.Set("Authorization", "Bearer "+superTok)
	req.Header.Set("X-Forwarded-For", "203.0.113.50")
	res, err = e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	if b.Kind != "ip" || b.IP != "198.51.100.20" {
		t.Errorf("block = %+v, want an ip ban of 198.51.100.20", b)
	}
}
