package actions_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/chatflow/chatflow/actions"
)

// Shout is a third-party action: it upper-cases its Text parameter.
type Shout struct{}

// Interface guard: the compiler checks that Shout is an Action.
var _ actions.Action = (*Shout)(nil)

// Run implements actions.Action.
func (Shout) Run(_ context.Context, c *actions.Call) (actions.Result, error) {
	var p struct {
		Text  string
		Marks int
	}
	if err := c.Decode(&p); err != nil {
		return actions.Result{}, err
	}
	return actions.Result{Value: strings.ToUpper(p.Text) + strings.Repeat("!", p.Marks)}, nil
}

// A third party registers a custom action with a name, a parameter schema
// (defaults included) and a constructor; flows then call it with
// `action: Acme.Shout` and read @InternalActionResult.
func Example_registerCustomAction() {
	reg := actions.NewRegistry()
	reg.Register(actions.Spec{
		Name: "Acme.Shout",
		Doc:  "Upper-cases Text and appends Marks exclamation marks.",
		Params: []byte(`{"type": "object", "additionalProperties": false, "required": ["Text"],
			"properties": {"Text": {"type": "string"}, "Marks": {"type": "integer", "minimum": 0, "default": 1}}}`),
		New: func() actions.Action { return Shout{} },
	})

	res, err := reg.Invoke(context.Background(), &actions.Call{Action: "Acme.Shout", Params: map[string]any{"Text": "hello"}}, false)
	fmt.Println(res.Value, err)

	_, err = reg.Invoke(context.Background(), &actions.Call{Action: "Acme.Shout", Params: map[string]any{"Marks": -1.0}}, false)
	fmt.Println(err)
	// Output:
	// HELLO! <nil>
	// invalid params for Acme.Shout: (params): missing properties: 'Text'; /Marks: must be >= 0 but found -1
}
