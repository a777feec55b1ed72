package actions_test

import (
	"context"
	"errors"
	"testing"

	"github.com/chatflow/chatflow/actions"
)

type echo struct{ provisioned bool }

func (e *echo) Provision(context.Context) error { e.provisioned = true; return nil }

func (e *echo) Run(_ context.Context, c *actions.Call) (actions.Result, error) {
	var p struct {
		Text  string
		Times int
	}
	if err := c.Decode(&p); err != nil {
		return actions.Result{}, err
	}
	return actions.Result{Value: p.Text + map[bool]string{true: "!", false: "?"}[e.provisioned]}, nil
}

const echoSchema = `{"type":"object","additionalProperties":false,"required":["Text"],
  "properties":{"Text":{"type":"string","minLength":1},"Times":{"type":"integer","minimum":1,"default":2}}}`

func newRegistry() *actions.Registry {
	r := actions.NewRegistry()
	r.Register(actions.Spec{Name: "Test.Echo", Doc: "echoes", Params: []byte(echoSchema), New: func() actions.Action { return &echo{} }})
	return r
}

func TestRegisterPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec actions.Spec
		want string
	}{
		{"empty name", actions.Spec{New: func() actions.Action { return &echo{} }}, "actions: Register with an empty name"},
		{"nil constructor", actions.Spec{Name: "X"}, `actions: Register "X" with a nil constructor`},
		{"duplicate", actions.Spec{Name: "Test.Echo", New: func() actions.Action { return &echo{} }}, `actions: action "Test.Echo" registered twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry()
			defer func() {
				if got := recover(); got != tc.want {
					t.Errorf("panic = %v, want %q", got, tc.want)
				}
			}()
			r.Register(tc.spec)
		})
	}
}

func TestPrepare(t *testing.T) {
	r := newRegistry()
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"missing and wrong", map[string]any{"Times": 0.0, "Nope": 1.0}, "invalid params for Test.Echo: (params): additionalProperties 'Nope' not allowed; (params): missing properties: 'Text'; /Times: must be >= 1 but found 0"},
		{"wrong type", map[string]any{"Text": 5.0}, "invalid params for Test.Echo: /Text: expected string, but got number"},
		{"nil params", nil, "invalid params for Test.Echo: (params): missing properties: 'Text'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Prepare("Test.Echo", tc.params)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
			if !errors.Is(err, actions.ErrInvalidParams) {
				t.Errorf("errors.Is(ErrInvalidParams) = false")
			}
		})
	}
	p, err := r.Prepare("Test.Echo", map[string]any{"Text": "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if p["Times"] == nil || p["Text"] != "hi" {
		t.Errorf("defaults not applied: %v", p)
	}
	if _, err := r.Prepare("Test.Nope", nil); !errors.Is(err, actions.ErrUnknownAction) {
		t.Errorf("unknown action: err = %v", err)
	}
}

func TestInvokeValidatesAndProvisions(t *testing.T) {
	r := newRegistry()
	res, err := r.Invoke(t.Context(), &actions.Call{Action: "Test.Echo", Params: map[string]any{"Text": "hey"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Value != "hey!" {
		t.Errorf("Value = %v, want hey!", res.Value)
	}
	if _, err := r.Invoke(t.Context(), &actions.Call{Action: "Test.Echo", Params: map[string]any{}}, false); !errors.Is(err, actions.ErrInvalidParams) {
		t.Errorf("err = %v, want ErrInvalidParams", err)
	}
}

func TestSuggest(t *testing.T) {
	r := newRegistry()
	if got := r.Suggest("test.echo"); got != "Test.Echo" {
		t.Errorf("Suggest = %q", got)
	}
	if got := r.Suggest("Completely.Different"); got != "" {
		t.Errorf("Suggest = %q, want none", got)
	}
}
