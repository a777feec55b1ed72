package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/server"
)

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIMatchesRoutes fails when a route is registered but not
// documented in /openapi.json, or documented but not registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/openapi.json", "")
	if r.status != http.StatusOK || r.ctype != "application/json" {
		t.Fatalf("/openapi.json: status %d, Content-Type %q", r.status, r.ctype)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi = %q, want 3.x", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	var documented []string
	for path, item := range paths {
		for m := range item.(map[string]any) {
			if slices.Contains(httpMethods, m) {
				documented = append(documented, strings.ToUpper(m)+" "+path)
			}
		}
	}
	registered := server.New(e.app, nil).Routes()
	if len(registered) == 0 {
		t.Fatal("no routes registered")
	}
	for _, rt := range registered {
		if !slices.Contains(documented, rt) {
			t.Errorf("route %s is registered but not documented in openapi.json", rt)
		}
	}
	for _, op := range documented {
		if !slices.Contains(registered, op) {
			t.Errorf("operation %s is documented in openapi.json but not registered", op)
		}
	}
}

// TestOpenAPIWellFormed checks what a client generator relies on: every
// $ref resolves, every operation has an id and a success response, and
// every error response is problem+json.
func TestOpenAPIWellFormed(t *testing.T) {
	e := newEnv(t)
	var doc map[string]any
	if err := json.Unmarshal([]byte(e.do(t, "GET", "/openapi.json", "").body), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if _, err := resolve(doc, ref); err != "" {
					t.Errorf("%s: $ref %s: %s", at, ref, err)
				}
			}
			for k, y := range x {
				walk(at+"/"+k, y)
			}
		case []any:
			for i, y := range x {
				walk(at+"/"+strconv.Itoa(i), y)
			}
		}
	}
	walk("#", doc)

	ids := map[string]string{}
	for path, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			if !slices.Contains(httpMethods, m) {
				continue
			}
			name := strings.ToUpper(m) + " " + path
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", name)
			} else if prev, dup := ids[id]; dup {
				t.Errorf("%s and %s share operationId %s", name, prev, id)
			}
			ids[id] = name
			success := false
			for code, resp := range o["responses"].(map[string]any) {
				if ref, ok := resp.(map[string]any)["$ref"].(string); ok {
					resp, _ = resolve(doc, ref)
				}
				content, _ := resp.(map[string]any)["content"].(map[string]any)
				switch {
				case strings.HasPrefix(code, "2"):
					success = true
				case strings.HasPrefix(code, "4"), strings.HasPrefix(code, "5"):
					if _, ok := content["application/problem+json"]; !ok || len(content) != 1 {
						t.Errorf("%s response %s is not application/problem+json", name, code)
					}
				}
			}
			if !success {
				t.Errorf("%s documents no 2xx response", name)
			}
		}
	}
}

// resolve follows a local JSON pointer ("#/components/...").
func resolve(doc map[string]any, ref string) (any, string) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, "not a local reference"
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, "does not resolve"
		}
		if cur, ok = m[tok]; !ok {
			return nil, "does not resolve"
		}
	}
	return cur, ""
}

// Routes lists what New registers, with ServeMux's "/{$}" as "/".
func TestRoutes(t *testing.T) {
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}})
	if err != nil {
		t.Fatal(err)
	}
	got := server.New(a, nil).Routes()
	for _, want := range []string{"GET /", "GET /metrics", "GET /openapi.json", "POST /v1/conversations/{id}/messages"} {
		if !slices.Contains(got, want) {
			t.Errorf("Routes() = %q, missing %q", got, want)
		}
	}
}
