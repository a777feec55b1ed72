package flowtest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/flowtest"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got []string
		diff      string
	}{
		{"both empty", nil, nil, "    (no replies)"},
		{"equal", []string{"a", "b"}, []string{"a", "b"}, "    \"a\"\n    \"b\""},
		{"changed line", []string{"a", "b"}, []string{"a", "c"}, "    \"a\"\n  - \"b\"\n  + \"c\""},
		{"missing reply", []string{"a"}, nil, "  - \"a\""},
		{"extra reply", nil, []string{"hi"}, "  + \"hi\""},
		{"longer actual", []string{"a"}, []string{"x", "y"}, "  - \"a\"\n  + \"x\"\n  + \"y\""},
		{"quotes control characters", []string{"a\nb"}, []string{"a\tb"}, "  - \"a\\nb\"\n  + \"a\\tb\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := flowtest.Diff(tc.want, tc.got); got != tc.diff {
				t.Errorf("Diff(%q, %q) =\n%s\nwant\n%s", tc.want, tc.got, got, tc.diff)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	at := time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)
	var nilTime *time.Time
	var nilUser *contextstore.ChatUser
	for _, tc := range []struct {
		name      string
		got, want any
		equal     bool
	}{
		{"time = same instant as RFC 3339", at, "2026-01-06T10:00:00Z", true},
		{"time = same instant in another offset", at, "2026-01-06T12:00:00+02:00", true},
		{"time = RFC 3339 with fraction", at.Add(500 * time.Millisecond), "2026-01-06T10:00:00.5Z", true},
		{"time != other instant", at, "2026-01-06T10:00:01Z", false},
		{"time != not a time", at, "tomorrow", false},
		{"time != null", at, nil, false},
		{"time != number", at, 1.0, false},
		{"time = time in another location", at, at.In(time.FixedZone("X", 3600)), true},
		{"*time.Time = RFC 3339", &at, "2026-01-06T10:00:00Z", true},
		{"nil *time.Time = null", nilTime, nil, true},
		{"nil *time.Time != time string", nilTime, "2026-01-06T10:00:00Z", false},
		{"nil struct pointer = null", nilUser, nil, true},
		{"int = float", 60, 60.0, true},
		{"int64 = int", int64(3), 3, true},
		{"int != other float", 60, 60.5, false},
		{"number != numeric string", 5, "5", false},
		{"string = string", "spam", "spam", true},
		{"string != string", "spam", "Spam", false},
		{"bool", true, true, true},
		{"bool != null", false, nil, false},
		{"empty string != null", "", nil, false},
		{"map numbers", map[string]any{"a": 1, "b": []int{2}}, map[string]any{"a": 1.0, "b": []any{2.0}}, true},
		{"map differs", map[string]any{"a": 1}, map[string]any{"a": 2}, false},
		{"list of strings", []string{"x", "y"}, []any{"x", "y"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := flowtest.Equal(tc.got, tc.want); got != tc.equal {
				t.Errorf("Equal(%#v, %#v) = %v, want %v", tc.got, tc.want, got, tc.equal)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "90m", want: 90 * time.Minute},
		{in: "24h", want: 24 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1d", want: 24 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "2w", want: 14 * 24 * time.Hour},
		{in: " 7d ", want: 7 * 24 * time.Hour},
		{in: "-1d", want: -24 * time.Hour},
		{in: "0", want: 0},
		{in: "1h2d", want: 49 * time.Hour},
		{in: "3 days", want: 72 * time.Hour},
		{in: "", wantErr: `invalid duration "": empty (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "1y", wantErr: `invalid duration "1y": unknown unit "y" (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "ten minutes", wantErr: `invalid duration "ten minutes": "ten" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "d", wantErr: `invalid duration "d": "d" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "xd", wantErr: `invalid duration "xd": "xd" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "NaNd", wantErr: `invalid duration "NaNd": "nand" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "Infw", wantErr: `invalid duration "Infw": "infw" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "1e300d", wantErr: `invalid duration "1e300d": unknown unit "e" (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "-x", wantErr: `invalid duration "-x": "x" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := flowtest.ParseDuration(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestIsScript(t *testing.T) {
	for name, want := range map[string]bool{
		"a.test.yaml":      true,
		"dir/b.test.yml":   true,
		"a.flow.yaml":      false,
		"test.yaml":        false,
		"a.test.yaml.bak":  false,
		"a.test.json":      false,
		"a_test.yaml":      false,
		"a.test.yaml/":     false,
		"config.test.YAML": false,
	} {
		if got := flowtest.IsScript(name); got != want {
			t.Errorf("IsScript(%q) = %v, want %v", name, got, want)
		}
	}
}

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.test.yaml", "a.test.yml", "sub/c.test.yaml", "flows/x.flow.yaml", "notes.yaml", "sub/deeper/d.test.yaml"} {
		writeFile(t, filepath.Join(dir, f), "steps: []\n")
	}
	single := filepath.Join(dir, "notes.yaml")

	got, err := flowtest.Files(filepath.Join(dir, "sub"), dir, single)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "a.test.yml"),
		filepath.Join(dir, "b.test.yaml"),
		single, // a file named explicitly is taken whatever its name
		filepath.Join(dir, "sub/c.test.yaml"),
		filepath.Join(dir, "sub/c.test.yaml"),
		filepath.Join(dir, "sub/deeper/d.test.yaml"),
		filepath.Join(dir, "sub/deeper/d.test.yaml"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("Files =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	if _, err := flowtest.Files(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Files(missing) error = %v, want ErrNotExist", err)
	}
	if got, err := flowtest.Files(filepath.Join(dir, "flows")); err != nil || len(got) != 0 {
		t.Errorf("Files(dir without scripts) = %q, %v; want none", got, err)
	}
}

func TestPathsYAML(t *testing.T) {
	for _, tc := range []struct {
		name    string
		src     string
		want    flowtest.Paths
		wantErr bool
	}{
		{"string", "flows: ../flows", flowtest.Paths{"../flows"}, false},
		{"list", "flows: [../flows, variants]", flowtest.Paths{"../flows", "variants"}, false},
		{"block list", "flows:\n  - a\n  - b\n", flowtest.Paths{"a", "b"}, false},
		{"absent", "name: x", nil, false},
		{"null", "flows: ~", nil, false},
		{"map", "flows: {a: b}", nil, true},
		{"list of maps", "flows: [{a: b}]", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v struct {
				Flows flowtest.Paths `yaml:"flows"`
			}
			err := yaml.Unmarshal([]byte(tc.src), &v)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && !slices.Equal(v.Flows, tc.want) {
				t.Errorf("Paths = %q, want %q", v.Flows, tc.want)
			}
		})
	}
}

// --- the runner, against a hand-made System ---------------------------------

const (
	startFlow = `id: welcome
version: 1
trigger: start
steps:
  - say: "Welcome ${[[ChatUser]].Name}"
`
	echoFlow = `id: echo
version: 1
trigger: message
steps:
  - branch:
      - if: "=@LastUserMessage == 'boom'"
        goto: boom
      - if: "=@LastUserMessage == 'two'"
        goto: two
    else: hello
  - id: hello
    say: "Hello ${@LastUserMessage}"
  - end: true
  - id: two
    say: one
  - say: two
  - end: true
  - id: boom
    action: Test.Boom
`
	byeFlow = `id: bye
version: 1
trigger: agent_disconnected
steps:
  - say: "Bye from ${[[AgentFeedback]].AgentEmail}"
`
)

// boom is an action that always fails, to make an event fail.
type boom struct{}

func (boom) Run(context.Context, *actions.Call) (actions.Result, error) {
	return actions.Result{}, errors.New("kaboom")
}

// harness builds Systems over flows in a temporary directory and records
// what the runner asked of it.
type harness struct {
	dir    string
	specs  []flowtest.Spec
	custom []string // args the "custom" command saw, in order
}

func newHarness(t *testing.T) *harness {
	h := &harness{dir: t.TempDir()}
	writeFile(t, filepath.Join(h.dir, "flows/welcome.flow.yaml"), startFlow)
	writeFile(t, filepath.Join(h.dir, "flows/echo.flow.yaml"), echoFlow)
	writeFile(t, filepath.Join(h.dir, "flows/bye.flow.yaml"), byeFlow)
	return h
}

// fakeIPSealer stands in for the service's sealer: a 64-digit "hash".
type fakeIPSealer struct{}

func (fakeIPSealer) SealVisitorIP(ip string) ([]byte, string, error) {
	return []byte{0x01}, fmt.Sprintf("%064x", len(ip)), nil
}

func (h *harness) build(_ context.Context, spec flowtest.Spec, clk *clock.Fake) (*flowtest.System, error) {
	h.specs = append(h.specs, spec)
	reg := actions.NewRegistry()
	reg.Register(actions.Spec{Name: "Test.Boom", New: func() actions.Action { return boom{} }})
	l, err := flows.NewLoader(reg)
	if err != nil {
		return nil, err
	}
	set, probs := l.Load(spec.Flows...)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	store := memory.New()
	hooks := append([]flows.Hook{fakeIPSealer{}}, spec.Hooks...)
	ex, err := flows.NewExecutor(set, flows.Options{Store: store, Registry: reg, Clock: clk.Now, Hooks: hooks})
	if err != nil {
		return nil, err
	}
	return &flowtest.System{Executor: ex, Store: store, Clock: clk, Commands: map[string]flowtest.Command{
		"custom": func(_ context.Context, _ *flowtest.Session, arg *yaml.Node) error {
			h.custom = append(h.custom, arg.Value)
			if arg.Value == "fail" {
				return errors.New("custom said no")
			}
			return nil
		},
	}}, nil
}

func (h *harness) script(t *testing.T, name, body string) string {
	t.Helper()
	return writeFile(t, filepath.Join(h.dir, "tests", name), body)
}

func (h *harness) run(t *testing.T, file string) flowtest.Result {
	t.Helper()
	r := &flowtest.Runner{Build: h.build, Out: &bytes.Buffer{}}
	return r.RunFile(t.Context(), file)
}

func TestRunFilePasses(t *testing.T) {
	h := newHarness(t)
	f := h.script(t, "ok.test.yaml", `name: every built-in command
steps:
  - start: true
  - bot: "Welcome "
  - user: hi
  - bot: [Hello hi]
  - bot_contains: llo h
  - bot_not_contains: spam
  - user: two
  - bot: [one, two]
  - expect:
      "@LastUserMessage": two
      "[[ConversationInfo]].ConversationID": c1
      "[[ConversationInfo]].StartedAt": 2026-01-05T10:00:00Z
      "[[ConversationInfo]].LiveChatBlockedUntil": null
      "[[ChatUser]].IsAuthenticated": false
      "GetDate()": "=[[ConversationInfo]].StartedAt"
  - assert: "=[[ConversationInfo]].Channel == 'live_chat'"
  - advance: 1d
  - expect: {"GetDate()": 2026-01-06T10:00:00Z}
  - custom: first
  - agent_disconnected: {agent: ann@acme.test, block: true, reason: spam, notes: links, minutes: 60, rating: 2}
  - bot: Bye from ann@acme.test
  - expect:
      "[[AgentFeedback]].Block": true
      "[[AgentFeedback]].ReasonCategory": spam
      "[[AgentFeedback]].Notes": links
      "[[AgentFeedback]].BlockIntervalMinutes": 60
      "[[AgentFeedback]].Rating": 2
  - conversation: {id: c2, ip: 203.0.113.9, user: {id: u-1, name: Ann, email: ann@example.com}}
  - bot: []
  - start: true
  - bot: Welcome Ann
  - expect:
      "len([[ConversationInfo]].VisitorIPHash)": 64
      "[[ChatUser]].UserID": u-1
      "[[ChatUser]].Email": ann@example.com
      "[[ChatUser]].IsAuthenticated": true
  - conversation: {id: c1}
  - user: back
  - bot: Hello back
  - expect: {"[[ConversationInfo]].ConversationID": c1, "[[ChatUser]].IsAuthenticated": false}
  - user: boom
  - expect_error: kaboom
  - end: true
  - user: after the end
  - expect_error: conversation ended
  - custom: last
`)
	res := h.run(t, f)
	if res.Failed {
		t.Fatalf("script failed: %s", res.Failure)
	}
	if res.Name != "every built-in command" || res.File != f {
		t.Errorf("Name, File = %q, %q", res.Name, res.File)
	}
	if res.Steps != 31 {
		t.Errorf("Steps = %d, want 31", res.Steps)
	}
	if !slices.Equal(h.custom, []string{"first", "last"}) {
		t.Errorf("custom command saw %q", h.custom)
	}
}

func TestRunFileSpec(t *testing.T) {
	h := newHarness(t)
	abs := filepath.Join(h.dir, "flows")
	for _, tc := range []struct {
		name, body string
		want       flowtest.Spec
	}{
		{"default flows", "steps: []\n", flowtest.Spec{Flows: []string{filepath.Join(h.dir, "flows")}}},
		{"relative list and config", "flows: [../flows, extra]\nconfig: ../chatflow.yaml\nsteps: []\n",
			flowtest.Spec{Flows: []string{filepath.Join(h.dir, "flows"), filepath.Join(h.dir, "tests/extra")}, Config: filepath.Join(h.dir, "chatflow.yaml")}},
		{"absolute", "flows: " + abs + "\nsteps: []\n", flowtest.Spec{Flows: []string{abs}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.specs = nil
			writeFile(t, filepath.Join(h.dir, "tests/extra/x.flow.yaml"), "id: x\nversion: 1\ntrigger: message\nwhen: \"=@LastUserMessage == 'x'\"\nsteps:\n  - say: x\n")
			res := h.run(t, h.script(t, "spec.test.yaml", tc.body))
			if res.Failed {
				t.Fatalf("failed: %s", res.Failure)
			}
			if len(h.specs) != 1 || !slices.Equal(h.specs[0].Flows, tc.want.Flows) || h.specs[0].Config != tc.want.Config {
				t.Errorf("Build got %+v, want %+v", h.specs, tc.want)
			}
		})
	}
}

func TestRunFileClockAndConversation(t *testing.T) {
	h := newHarness(t)
	f := h.script(t, "clock.test.yaml", `clock: 2026-03-01T08:30:00+01:00
conversation: {id: web-7, ip: 198.51.100.1, channel: contact_form}
steps:
  - user: hi
  - expect:
      "GetDate()": 2026-03-01T07:30:00Z
      "[[ConversationInfo]].ConversationID": web-7
      "len([[ConversationInfo]].VisitorIPHash)": 64
      "[[ConversationInfo]].Channel": contact_form
`)
	if res := h.run(t, f); res.Failed {
		t.Fatal(res.Failure)
	}
	// Without a name the result is named after the file.
	if res := h.run(t, f); res.Name != "clock.test.yaml" {
		t.Errorf("Name = %q", res.Name)
	}
}

func TestRunFileFailures(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name    string
		body    string
		failure string // %s is the script's path
		steps   int
		custom  []string // the custom commands that ran
	}{
		{
			name: "bot differs, later steps do not run",
			body: "steps:\n  - user: hi\n  - bot: Goodbye\n  - custom: after\n",
			failure: "%s:3:5: step 2 (bot): bot replies differ (- expected, + actual):\n" +
				"  - \"Goodbye\"\n  + \"Hello hi\"",
			steps: 1,
		},
		{
			name:    "bot_contains",
			body:    "steps:\n  - user: hi\n  - bot_contains: Bye\n",
			failure: "%s:3:5: step 2 (bot_contains): no bot reply contains \"Bye\"; replies were:\n  + \"Hello hi\"",
			steps:   1,
		},
		{
			name:    "bot_not_contains",
			body:    "steps:\n  - user: secret\n  - bot_not_contains: secret\n",
			failure: "%s:3:5: step 2 (bot_not_contains): a bot reply contains \"secret\": \"Hello secret\"",
			steps:   1,
		},
		{
			name: "expect",
			body: "steps:\n  - user: hi\n  - expect: {\"@LastUserMessage\": ho, \"[[ConversationInfo]].LiveChatBlockedUntil\": 2026-01-05T10:00:00Z, \"[[ConversationInfo]].ConversationID\": c1}\n",
			failure: "%s:3:5: step 2 (expect): context differs (- expected, + actual):\n" +
				"@LastUserMessage:\n  - \"ho\"\n  + \"hi\"\n" +
				"[[ConversationInfo]].LiveChatBlockedUntil:\n  - 2026-01-05T10:00:00Z\n  + null",
			steps: 1,
		},
		{
			name:    "expect of a misspelt field",
			body:    "steps:\n  - user: hi\n  - expect: {\"[[ConversationInfo]].Nope\": 1}\n",
			failure: "%s:3:5: step 2 (expect): [[ConversationInfo]].Nope: ",
			steps:   1,
		},
		{
			name:    "assert false",
			body:    "steps:\n  - user: hi\n  - assert: \"=@LastUserMessage == 'ho'\"\n",
			failure: "%s:3:5: step 2 (assert): assertion =@LastUserMessage == 'ho' is false",
			steps:   1,
		},
		{
			name:    "assert not a bool",
			body:    "steps:\n  - user: hi\n  - assert: \"=@LastUserMessage\"\n",
			failure: "%s:3:5: step 2 (assert): assertion =@LastUserMessage is \"hi\"",
			steps:   1,
		},
		{
			name: "unknown command",
			body: "steps:\n  - user: hi\n  - frobnicate: true\n  - custom: after\n",
			// the known commands are checked below
			failure: "%s:3:5: step 2: unknown command \"frobnicate\" (known: ",
			steps:   1,
		},
		{
			name:    "failing event",
			body:    "steps:\n  - user: hi\n  - user: boom\n  - custom: after\n",
			failure: "%s:3:5: step 2 (user): flow echo v1 step ",
			steps:   1,
		},
		{
			name:    "expect_error after a success",
			body:    "steps:\n  - user: hi\n  - expect_error: kaboom\n",
			failure: "%s:3:5: step 2 (expect_error): expected the last event to fail with \"kaboom\", but it succeeded",
			steps:   1,
		},
		{
			name:    "expect_error with another message",
			body:    "steps:\n  - user: boom\n  - expect_error: timeout\n",
			failure: "%s:3:5: step 2 (expect_error): expected an error containing \"timeout\", got: flow echo v1 step ",
			steps:   1,
		},
		{
			name:    "expect_error consumes the error",
			body:    "steps:\n  - user: boom\n  - expect_error: kaboom\n  - expect_error: kaboom\n",
			failure: "%s:4:5: step 3 (expect_error): expected the last event to fail with \"kaboom\", but it succeeded",
			steps:   2,
		},
		{
			name:    "a command fails",
			body:    "steps:\n  - custom: fail\n  - custom: after\n",
			failure: "%s:2:5: step 1 (custom): custom said no",
			steps:   0,
			custom:  []string{"fail"},
		},
		{
			name:    "bad duration",
			body:    "steps:\n  - advance: soon\n",
			failure: "%s:2:5: step 1 (advance): invalid duration \"soon\": \"soon\" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)",
		},
		{
			name:    "conversation without id",
			body:    "steps:\n  - conversation: {ip: 203.0.113.1}\n",
			failure: "%s:2:5: step 1 (conversation): conversation needs an id",
		},
		{
			name:    "step with two keys",
			body:    "steps:\n  - user: hi\n    bot: hi\n",
			failure: "%s:2:5: step 1: a step is a map with one key",
		},
		{
			name:    "step not a map",
			body:    "steps:\n  - user\n",
			failure: "%s:2:5: step 1: a step is a map with one key",
		},
		{
			name:    "steps not a list",
			body:    "steps: {user: hi}\n",
			failure: "%s: a script needs a list of steps",
		},
		{
			name:    "no steps",
			body:    "name: empty\n",
			failure: "%s: a script needs a list of steps",
		},
		{
			name:    "invalid YAML",
			body:    "steps: [\n",
			failure: "%s: invalid script: yaml: line 1: did not find expected node content",
		},
		{
			name:    "flows do not load",
			body:    "flows: nowhere\nsteps: []\n",
			failure: "%s: ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.custom = nil
			f := h.script(t, "fail.test.yaml", tc.body)
			res := h.run(t, f)
			if !res.Failed {
				t.Fatalf("script passed; want failure %q", tc.failure)
			}
			want := strings.ReplaceAll(tc.failure, "%s", f)
			if strings.HasSuffix(want, ": ") || strings.HasSuffix(want, "(known: ") || strings.HasSuffix(want, " step ") {
				if !strings.HasPrefix(res.Failure, want) {
					t.Errorf("Failure =\n%s\nwant prefix\n%s", res.Failure, want)
				}
			} else if res.Failure != want {
				t.Errorf("Failure =\n%s\nwant\n%s", res.Failure, want)
			}
			if res.Steps != tc.steps {
				t.Errorf("Steps = %d, want %d", res.Steps, tc.steps)
			}
			if !slices.Equal(h.custom, tc.custom) {
				t.Errorf("custom commands run: %q, want %q (a failure stops the script)", h.custom, tc.custom)
			}
		})
	}
}

func TestRunFileFailingEventNamesTheError(t *testing.T) {
	h := newHarness(t)
	f := h.script(t, "boom.test.yaml", "steps:\n  - user: boom\n")
	res := h.run(t, f)
	want := f + ":2:5: step 1 (user): flow echo v1 step boom (" + filepath.Join(h.dir, "flows/echo.flow.yaml") + ":18:5): kaboom"
	if !res.Failed || res.Failure != want {
		t.Errorf("Failure =\n%s\nwant\n%s", res.Failure, want)
	}
}

func TestRunFileUnknownCommandListsKnown(t *testing.T) {
	h := newHarness(t)
	f := h.script(t, "unknown.test.yaml", "steps:\n  - frobnicate: true\n")
	res := h.run(t, f)
	prefix := f + ":2:5: step 1: unknown command \"frobnicate\" (known: "
	rest, ok := strings.CutPrefix(res.Failure, prefix)
	if !ok || !strings.HasSuffix(rest, ")") {
		t.Fatalf("Failure = %q, want prefix %q", res.Failure, prefix)
	}
	known := strings.Split(strings.TrimSuffix(rest, ")"), ", ")
	if !slices.IsSorted(known) {
		t.Errorf("known commands are not sorted: %q", known)
	}
	for _, want := range []string{"advance", "agent_disconnected", "assert", "bot", "bot_contains", "bot_not_contains",
		"conversation", "custom", "end", "expect", "expect_error", "start", "user"} {
		if !slices.Contains(known, want) {
			t.Errorf("known commands %q lack %q", known, want)
		}
	}
}

func TestRunFileMissing(t *testing.T) {
	h := newHarness(t)
	res := h.run(t, filepath.Join(h.dir, "tests/none.test.yaml"))
	if !res.Failed || !strings.Contains(res.Failure, "no such file or directory") {
		t.Errorf("Failed=%v Failure=%q", res.Failed, res.Failure)
	}
}

func TestRunAll(t *testing.T) {
	h := newHarness(t)
	pass := h.script(t, "a.test.yaml", "name: greets\nsteps:\n  - user: hi\n  - bot: Hello hi\n")
	fail := h.script(t, "b.test.yaml", "name: wrong greeting\nsteps:\n  - user: hi\n  - bot: [Hi, there]\n")
	var out bytes.Buffer
	r := &flowtest.Runner{Build: h.build, Out: &out}
	results := r.RunAll(t.Context(), []string{pass, fail})
	if len(results) != 2 || results[0].Failed || !results[1].Failed {
		t.Fatalf("results = %+v", results)
	}
	want := "PASS greets (" + pass + ", 2 steps)\n" +
		"FAIL wrong greeting (" + fail + ")\n" +
		"    " + fail + ":4:5: step 2 (bot): bot replies differ (- expected, + actual):\n" +
		"      - \"Hi\"\n" +
		"      + \"Hello hi\"\n" +
		"      - \"there\"\n" +
		"1 passed, 1 failed\n"
	if out.String() != want {
		t.Errorf("output =\n%s\nwant\n%s", out.String(), want)
	}
}

func TestRunAllNothing(t *testing.T) {
	var out bytes.Buffer
	r := &flowtest.Runner{Build: newHarness(t).build, Out: &out}
	if res := r.RunAll(t.Context(), nil); len(res) != 0 || out.String() != "0 passed, 0 failed\n" {
		t.Errorf("RunAll(nil) = %v, output %q", res, out.String())
	}
}

// Each script gets a fresh System: state does not leak between scripts.
func TestRunAllIsolatesScripts(t *testing.T) {
	h := newHarness(t)
	first := h.script(t, "1.test.yaml", "steps:\n  - user: hi\n  - end: true\n")
	second := h.script(t, "2.test.yaml", "steps:\n  - user: hi\n  - bot: Hello hi\n")
	r := &flowtest.Runner{Build: h.build, Out: &bytes.Buffer{}}
	for _, res := range r.RunAll(t.Context(), []string{first, second}) {
		if res.Failed {
			t.Errorf("%s: %s", res.File, res.Failure)
		}
	}
	if len(h.specs) != 2 {
		t.Errorf("Build called %d times, want once per script", len(h.specs))
	}
}
