package flows_test

import (
	"strings"
	"testing"
)

// TestVarTypesInferred: a variable's type comes from everything the flow
// puts in it; only a variable with one kind is checked.
func TestVarTypesInferred(t *testing.T) {
	tests := []struct {
		name string
		flow string
		want string // the first problem, or "" for none
	}{
		{
			name: "initial value",
			flow: "variables: {Flag: false}\nsteps:\n  - branch:\n      - if: \"=@Flag == 'false'\"\n        goto: x\n  - id: x\n    end: true\n",
			want: "t.flow.yaml:7:21: @Flag is a bool and never equals a string (write false, without quotes)",
		},
		{
			name: "set to a literal",
			flow: "steps:\n  - set: {\"@N\": 3}\n  - say: \"${@N == '3'}\"\n",
			want: "t.flow.yaml:6:16: @N is a number and never equals a string",
		},
		{
			name: "set to an expression",
			flow: "steps:\n  - set: {\"@Auth\": \"=[[ChatUser]].IsAuthenticated\"}\n  - say: \"${@Auth.toLowerCase()}\"\n",
			want: "t.flow.yaml:6:19: toLowerCase() works on text, but @Auth is a bool (write Lower(...) of a text value)",
		},
		{
			name: "ask answer is text",
			flow: "steps:\n  - ask: Age?\n    into: Age\n  - say: \"${@Age > 18 ? 'ok' : ''}\"\n",
			want: "",
		},
		{
			name: "ask answer against a number",
			flow: "steps:\n  - ask: Age?\n    into: Age\n  - say: \"${@Age == 18 ? 'ok' : ''}\"\n",
			want: "t.flow.yaml:7:18: @Age is a string and never equals an integer",
		},
		{
			name: "two kinds stay unchecked",
			flow: "variables: {X: false}\nsteps:\n  - set: {\"@X\": \"text\"}\n  - say: \"${@X == 'true'}\"\n",
			want: "",
		},
		{
			name: "null initial value tells nothing",
			flow: "variables: {X: null}\nsteps:\n  - set: {\"@X\": true}\n  - say: \"${@X == 'true'}\"\n",
			want: "t.flow.yaml:7:16: @X is a bool and never equals a string (write true, without quotes)",
		},
	}
	l := newLoader(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "id: t\nversion: 1\ntrigger: message\n" + tc.flow
			_, probs := l.LoadBytes("t.flow.yaml", []byte(src))
			got := ""
			if len(probs) > 0 {
				got, _, _ = strings.Cut(probs[0].String(), "\n")
			}
			if got != tc.want {
				t.Errorf("first problem = %q, want %q\n%s", got, tc.want, src)
			}
		})
	}
}
