package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/chatflow/chatflow/contextstore"
)

// pointerEscape escapes one JSON pointer token.
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// TestResponsesMatchOpenAPI sends a request for every route and every
// documented error, and checks each response against /openapi.json: its
// status is documented for the operation, its media type is one the
// document names, its body validates against the documented schema, and
// it carries X-Request-Id.
func TestResponsesMatchOpenAPI(t *testing.T) {
	e := newEnv(t)
	raw := e.do(t, "GET", "/openapi.json", "").body
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource("openapi.json", strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}

	id := e.start(t)
	msgs := "/v1/conversations/" + id + "/messages"
	tmpl := "/v1/conversations/{id}/messages"
	big := `{"text": "` + strings.Repeat("a", 64<<10) + `"}`
	storeDown := fmt.Errorf("redis: %w", contextstore.ErrUnavailable)
	turnFails := error(contextstore.ErrVersionConflict)
	type call struct {
		method, path, route, body string
		status                    int
		setup                     func()
	}
	calls := []call{
		{"GET", "/", "/", "", 200, nil},
		{"GET", "/healthz", "/healthz", "", 200, nil},
		{"GET", "/readyz", "/readyz", "", 200, nil},
		{"GET", "/metrics", "/metrics", "", 200, nil},
		{"GET", "/openapi.json", "/openapi.json", "", 200, nil},
		{"POST", "/v1/conversations", "/v1/conversations", `{"channel": "live_chat"}`, 201, nil},
		{"POST", "/v1/conversations", "/v1/conversations", `{"channel":`, 400, nil},
		{"POST", "/v1/conversations", "/v1/conversations", big, 413, nil},
		{"POST", "/v1/conversations", "/v1/conversations", `{"user_token": "a.b"}`, 401, nil},
		{"POST", msgs, tmpl, `{"text": "I want an agent", "idempotency_key": "k1"}`, 200, nil},
		{"POST", msgs, tmpl, `{"text": "I want an agent", "idempotency_key": "k1"}`, 200, nil}, // duplicate
		{"POST", msgs, tmpl, `{"text": 1}`, 400, nil},
		{"POST", "/v1/conversations/nope/messages", tmpl, `{"text": "hi"}`, 404, nil},
		{"POST", msgs, tmpl, big, 413, nil},
		{"POST", msgs, tmpl, `{"text": ""}`, 422, nil},
		{"GET", msgs, tmpl, "", 200, nil},
		{"GET", "/v1/conversations/nope/messages", tmpl, "", 404, nil},
		{"GET", "/v1/me", "/v1/me", "", 401, nil},
		{"GET", "/v1/demo", "/v1/demo", "", 404, nil},
		{"POST", "/v1/demo/visitor-token", "/v1/demo/visitor-token", `{"user_id": "u-1"}`, 404, nil},
		{"GET", "/v1/agent/queues", "/v1/agent/queues", "", 401, nil},
		{"GET", "/v1/agent/conversations/" + id, "/v1/agent/conversations/{id}", "", 401, nil},
		{"GET", "/v1/admin/conversations?block_status=active", "/v1/admin/conversations", "", 401, nil},
		{"GET", "/v1/admin/conversations/" + id, "/v1/admin/conversations/{id}", "", 401, nil},
		{"GET", "/readyz", "/readyz", "", 503, func() { e.store.pingErr.Store(&storeDown) }},
		{"POST", msgs, tmpl, `{"text": "hello"}`, 503, func() { e.store.putErr.Store(&storeDown) }},
		{"POST", "/v1/conversations", "/v1/conversations", `{}`, 503, nil},
		{"POST", msgs, tmpl, `{"text": "hello"}`, 500, func() { e.store.putErr.Store(&turnFails) }},
		{"POST", "/v1/conversations", "/v1/conversations", `{}`, 500, nil},
		{"POST", msgs, tmpl, `{"text": "hello"}`, 409, func() {
			e.store.putErr.Store(nil)
			c := e.conv(t, id)
			c.Ended = true
			if err := e.store.PutConversation(t.Context(), c); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, cl := range calls {
		name := fmt.Sprintf("%s %s %d", cl.method, cl.route, cl.status)
		if cl.setup != nil {
			cl.setup()
		}
		req, err := http.NewRequestWithContext(t.Context(), cl.method, e.srv.URL+cl.path, strings.NewReader(cl.body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != cl.status {
			t.Errorf("%s: got status %d: %s", name, res.StatusCode, body.String())
			continue
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id header", name)
		}
		ptr := "#/paths/" + pointerEscape(cl.route) + "/" + strings.ToLower(cl.method) + "/responses/" + strconv.Itoa(cl.status)
		resp, msg := resolve(doc, ptr)
		if msg != "" {
			t.Errorf("%s: status %d is not documented (%s)", name, cl.status, ptr)
			continue
		}
		if ref, ok := resp.(map[string]any)["$ref"].(string); ok {
			resp, _ = resolve(doc, ref)
			ptr = ref
		}
		media, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
		if err != nil {
			t.Errorf("%s: Content-Type %q: %v", name, res.Header.Get("Content-Type"), err)
			continue
		}
		content, _ := resp.(map[string]any)["content"].(map[string]any)
		if _, ok := content[media]; !ok {
			t.Errorf("%s: media type %s is not documented", name, media)
			continue
		}
		if !strings.HasSuffix(media, "json") {
			continue
		}
		sch, err := c.Compile("openapi.json" + ptr + "/content/" + pointerEscape(media) + "/schema")
		if err != nil {
			t.Fatalf("%s: compiling the documented schema: %v", name, err)
		}
		var v any
		if err := json.Unmarshal(body.Bytes(), &v); err != nil {
			t.Errorf("%s: body is not JSON: %v", name, err)
			continue
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: body does not match the documented schema: %v\n%s", name, err, body.String())
		}
	}
}
