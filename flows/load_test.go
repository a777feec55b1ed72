package flows_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/schemas"
)

var update = flag.Bool("update", false, "rewrite golden files")

type nopAction struct{ v any }

func (a nopAction) Run(context.Context, *actions.Call) (actions.Result, error) {
	return actions.Result{Value: a.v}, nil
}

// testRegistry registers stand-ins for the helpdesk actions with their real
// parameter schemas, so lint checks params exactly as in production.
func testRegistry(t testing.TB) *actions.Registry {
	t.Helper()
	r := actions.NewRegistry()
	for _, name := range []string{"HelpdeskClient.IsBlockedForLiveChat", "ConnectToHelpdeskAgent"} {
		b, err := schemas.Action(name)
		if err != nil {
			t.Fatal(err)
		}
		r.Register(actions.Spec{Name: name, Params: b, New: func() actions.Action { return nopAction{v: true} }})
	}
	return r
}

func newLoader(t testing.TB) *flows.Loader {
	t.Helper()
	l, err := flows.NewLoader(testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLintGolden loads each file of testdata/lint and compares every
// reported problem with the file's .golden twin (go test -update rewrites).
func TestLintGolden(t *testing.T) {
	all, err := filepath.Glob("testdata/lint/*.flow.*")
	var files []string
	for _, f := range all {
		if flows.IsFlowFile(f) {
			files = append(files, f)
		}
	}
	if err != nil || len(files) == 0 {
		t.Fatalf("no lint fixtures: %v", err)
	}
	l := newLoader(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, probs := l.Load(f)
			var b strings.Builder
			for _, p := range probs {
				b.WriteString(p.String() + "\n")
			}
			golden := f + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./flows -update)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("problems differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestLoadDirAndSet(t *testing.T) {
	l := newLoader(t)
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a1.flow.yaml", "id: a\nversion: 1\ntrigger: message\nsteps:\n  - say: one\n")
	write("a2.flow.yaml", "id: a\nversion: 2\ntrigger: message\nsteps:\n  - say: two\n")
	write("notes.yaml", "this is not a flow: [")
	set, probs := l.Load(dir)
	if probs.HasErrors() {
		t.Fatalf("unexpected problems: %v", probs)
	}
	if f, _ := set.Latest("a"); f.Version != 2 {
		t.Errorf("latest version = %d, want 2", f.Version)
	}
	if _, ok := set.Version("a", 1); !ok {
		t.Errorf("version 1 not kept")
	}
	write("b.flow.yaml", "id: b\nversion: 1\ntrigger: message\nsteps:\n  - say: b\n")
	write("a2copy.flow.yaml", "id: a\nversion: 2\ntrigger: message\nsteps:\n  - say: again\n")
	_, probs = l.Load(dir)
	got := make([]string, len(probs))
	for i, p := range probs {
		got[i] = strings.TrimPrefix(p.String(), dir+string(filepath.Separator))
	}
	want := []string{
		`a2copy.flow.yaml:1:1: flow "a" version 2 is also defined in ` + filepath.Join(dir, "a2.flow.yaml"),
		`b.flow.yaml:1:1: trigger "message" already has a fallback flow "a" (` + filepath.Join(dir, "a2.flow.yaml") + `): give one of them a when condition`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDynamicParamsSatisfyRequired: a required parameter given by an
// expression is not reported missing at load, but a literal one of the
// wrong type still is.
func TestDynamicParamsSatisfyRequired(t *testing.T) {
	r := testRegistry(t)
	r.Register(actions.Spec{Name: "Test.Need", New: func() actions.Action { return nopAction{} },
		Params: []byte(`{"type":"object","required":["A","B"],"properties":{"A":{"type":"string"},"B":{"type":"integer"}}}`)})
	l, err := flows.NewLoader(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, params, want string }{
		{"both dynamic", `{A: "=Lower('x')", B: "=1 + 1"}`, ""},
		{"one missing", `{A: "=Lower('x')"}`, "f.flow.yaml:6:13: params of Test.Need at /: missing properties: 'B'\n"},
		{"literal wrong type", `{A: "=Lower('x')", B: "two"}`, "f.flow.yaml:7:29: params of Test.Need at /B: expected integer, but got string\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "id: f\nversion: 1\ntrigger: message\nsteps:\n  - action: Test.Need\n    params: " + tc.params + "\n"
			if tc.name == "literal wrong type" {
				src = "id: f\nversion: 1\ntrigger: message\nsteps:\n  - action: Test.Need\n    params:\n      {A: \"=Lower('x')\", B: \"two\"}\n"
			}
			_, probs := l.LoadBytes("f.flow.yaml", []byte(src))
			var got strings.Builder
			for _, p := range probs {
				got.WriteString(p.String() + "\n")
			}
			if got.String() != tc.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got.String(), tc.want)
			}
		})
	}
}
