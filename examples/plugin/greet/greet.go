// Package greet is a third-party internal action: Example.Greet greets the
// user by name in the language asked for, and returns the greeting in
// @InternalActionResult.
package greet

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatflow/chatflow/actions"
)

// Name is how flows call the action.
const Name = "Example.Greet"

// params is the JSON Schema of the action's parameters.
const params = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["Name"],
  "properties": {
    "Name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Who to greet."},
    "Language": {"type": "string", "enum": ["en", "de", "ro"], "default": "en", "description": "The greeting's language."}
  }
}`

// Spec registers the action (chatflow.WithAction(greet.Spec())).
func Spec() actions.Spec {
	return actions.Spec{
		Name:   Name,
		Doc:    "Greets the user by name (Name) in Language (en, de or ro; default en) and returns the greeting.",
		Params: []byte(params),
		New:    func() actions.Action { return &action{} },
	}
}

// action holds its greetings, loaded when the runtime provisions it.
type action struct{ hello map[string]string }

var (
	_ actions.Action      = (*action)(nil)
	_ actions.Provisioner = (*action)(nil)
)

// Provision loads the greetings at start-up (a real action would connect
// to its service here, with the runtime's context).
func (a *action) Provision(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.hello = map[string]string{"en": "Hello", "de": "Hallo", "ro": "Bună"}
	return nil
}

// Run greets.
func (a *action) Run(_ context.Context, call *actions.Call) (actions.Result, error) {
	var p struct{ Name, Language string }
	if err := call.Decode(&p); err != nil {
		return actions.Result{}, err
	}
	hello, ok := a.hello[p.Language]
	if !ok {
		return actions.Result{}, errors.New("the action was not provisioned")
	}
	return actions.Result{Value: fmt.Sprintf("%s, %s!", hello, p.Name)}, nil
}
