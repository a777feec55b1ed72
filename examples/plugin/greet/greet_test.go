package greet_test

import (
	"context"
	"testing"

	"github.com/chatflow/chatflow/actions"

	"example.com/chatflow-plugin/greet"
)

func TestGreet(t *testing.T) {
	reg := actions.NewRegistry()
	reg.Register(greet.Spec())
	if err := reg.Provision(t.Context()); err != nil {
		t.Fatal(err)
	}
	params, err := reg.Prepare(greet.Name, map[string]any{"Name": "Ana", "Language": "ro"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := reg.Invoke(context.Background(), &actions.Call{Action: greet.Name, Params: params}, true)
	if err != nil || res.Value != "Bună, Ana!" {
		t.Fatalf("Invoke = %v, %v; want Bună, Ana!", res.Value, err)
	}
	if _, err := reg.Prepare(greet.Name, map[string]any{"Language": "fr"}); err == nil {
		t.Fatal("params without Name and with an unknown language were accepted")
	}
}
