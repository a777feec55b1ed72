package flows_test

import (
	"testing"
)

// TestExprErrorInBlockScalar: an error on a later line of a block scalar
// is located with the block's indentation added.
func TestExprErrorInBlockScalar(t *testing.T) {
	src := "id: t\nversion: 1\ntrigger: message\nsteps:\n  - branch:\n      - if: |\n          =[[ChatUser]].Name != '' &&\n            [[ChatUser]].Nmae != ''\n        goto: x\n  - id: x\n    end: true\n"
	_, probs := newLoader(t).LoadBytes("t.flow.yaml", []byte(src))
	want := "t.flow.yaml:8:26: [[ChatUser]] has no field Nmae (did you mean Name?)\n    |   [[ChatUser]].Nmae != ''\n    | ...............^"
	if len(probs) != 1 || probs[0].String() != want {
		t.Fatalf("problems = %v, want\n%s", probs, want)
	}
}
