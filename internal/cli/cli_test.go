package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/buildinfo"
	"github.com/chatflow/chatflow/internal/flowtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// cli runs the binary's run function in-process.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/chatflow -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cmd/chatflow -update rewrites it)\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestNoArgs(t *testing.T) {
	code, stdout, stderr := cli(t, "")
	if code != 2 || stdout != "" || stderr != usage {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", code, stdout, stderr)
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		code, stdout, stderr := cli(t, "", arg)
		if code != 0 || stdout != usage || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", arg, code, stdout, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	want := buildinfo.Read().String()
	if !strings.HasPrefix(want, "chatflow ") || !strings.Contains(want, "\nrevision: ") {
		t.Fatalf("version text %q", want)
	}
	for _, arg := range []string{"version", "--version", "-version"} {
		code, stdout, stderr := cli(t, "", arg)
		if code != 0 || stdout != want || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and %q", arg, code, stdout, stderr, want)
		}
	}
	if code, _, stderr := cli(t, "", "version", "extra"); code != 2 || !strings.HasPrefix(stderr, "chatflow: version takes no arguments\n") {
		t.Errorf("version extra: exit %d, stderr %q; want 2 and a usage error", code, stderr)
	}
}

// TestVersionOfBuiltBinary builds the binary as an operator would (go
// build in the checkout) and checks that it reports the checkout's commit.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git on PATH")
	}
	out, err := exec.Command(gitPath, "rev-parse", "--show-toplevel", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	top, head, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	// The go command finds the repository by a .git directory: in a git
	// worktree (.git is a file) it stamps nothing, without an error.
	if fi, err := os.Stat(filepath.Join(top, ".git")); err != nil || !fi.IsDir() {
		t.Skip("the checkout's .git is not a directory (a git worktree?): go build does not stamp the revision there")
	}
	goPath, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	bin := filepath.Join(t.TempDir(), "chatflow")
	build := exec.CommandContext(t.Context(), goPath, "build", "-buildvcs=true", "-o", bin, "../../cmd/chatflow")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err = exec.CommandContext(t.Context(), bin, "--version").Output()
	if err != nil {
		t.Fatalf("chatflow --version: %v", err)
	}
	lines := strings.Split(string(out), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "chatflow v") {
		t.Errorf("first line %q, want chatflow and a module version", lines[0])
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "revision: "+head) {
		t.Errorf("output %q, want revision %s", out, head)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		msg  string // the first line on stderr
	}{
		{"unknown command", []string{"frobnicate"}, `chatflow: unknown command "frobnicate"`},
		{"validate without paths", []string{"validate"}, "chatflow: validate needs at least one file or directory"},
		{"validate with a bad flag", []string{"validate", "-x", "."}, "chatflow: flag provided but not defined: -x"},
		{"test without paths", []string{"test"}, "chatflow: test needs at least one script or directory"},
		{"test on a directory without scripts", []string{"test", "../../examples/flows"}, "chatflow: no test scripts (*.test.yaml) found"},
		{"run without a directory", []string{"run"}, "chatflow: run needs a flow directory (e.g. examples/flows)"},
		{"actions with a bad flag", []string{"actions", "--yaml"}, "chatflow: flag provided but not defined: -yaml"},
		{"serve with a bad flag", []string{"serve", "--nope"}, "chatflow: flag provided but not defined: -nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, "", tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			// serve's flag set prints its own complaint first.
			if i := strings.Index(stderr, "chatflow: "); i < 0 || stderr[i:] != tc.msg+"\n\n"+usage {
				t.Errorf("stderr =\n%s\nwant it to end with\n%s\n\n%s", stderr, tc.msg, usage)
			}
		})
	}
}

// exampleCounts counts the flow files and test scripts under dir, as
// validate does.
func exampleCounts(t *testing.T, dir string) (nflows, nscripts int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir {
			// Another module (examples/plugin) is validated by its own binary.
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		if !d.IsDir() && flows.IsFlowFile(d.Name()) {
			nflows++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := flowtest.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	return nflows, len(scripts)
}

func TestValidateExamples(t *testing.T) {
	nflows, nscripts := exampleCounts(t, "../../examples")
	if nflows < 4 || nscripts < 8 {
		t.Fatalf("found %d flows and %d scripts in examples/", nflows, nscripts)
	}
	code, stdout, stderr := cli(t, "", "validate", "../../examples/")
	want := fmt.Sprintf("%d flows, %d test scripts: 0 errors, 0 warnings\n", nflows, nscripts)
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, want)
	}
	// -q prints nothing when all is well.
	if code, stdout, _ := cli(t, "", "validate", "-q", "../../examples/"); code != 0 || stdout != "" {
		t.Errorf("validate -q: exit %d, stdout %q; want 0 and nothing", code, stdout)
	}
}

const broken = "../../flows/testdata/lint/broken.flow.yaml"

// stable makes the paths in validate's output relative to the repository.
func stable(s string) string { return strings.ReplaceAll(s, "../../", "") }

func TestValidateBroken(t *testing.T) {
	code, stdout, stderr := cli(t, "", "validate", broken)
	if code != 1 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 1 and nothing on stderr", code, stderr)
	}
	golden(t, "validate-broken.golden", stable(stdout))
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "0 flows, 0 test scripts: ") || strings.Contains(last, ": 0 errors") {
		t.Errorf("summary line = %q, want errors counted", last)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, broken+":") && !strings.HasPrefix(l, "    | ") {
			t.Errorf("line %q is neither file:line:col: problem nor a caret snippet", l)
		}
	}
}

func TestValidateBrokenQuiet(t *testing.T) {
	_, full, _ := cli(t, "", "validate", broken)
	code, stdout, stderr := cli(t, "", "validate", "-q", broken)
	if code != 1 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 1", code, stderr)
	}
	golden(t, "validate-broken-q.golden", stable(stdout))
	if strings.Contains(stdout, "warning:") || strings.Contains(stdout, "test scripts:") {
		t.Errorf("-q printed warnings or the summary:\n%s", stdout)
	}
	if !strings.Contains(full, "warning:") {
		t.Fatalf("the fixture has no warning any more: -q is not tested")
	}
	if stdout == "" {
		t.Fatalf("-q printed nothing")
	}
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if !strings.Contains(full, l+"\n") {
			t.Errorf("-q line %q is not in the full output", l)
		}
	}
}

func TestValidateScripts(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "tests", "good.test.yaml")
	bad := filepath.Join(dir, "tests", "bad.test.yaml")
	for path, body := range map[string]string{
		good: "flows: ../flows\nsteps:\n  - user: hi\n",
		bad:  "flows: ../nowhere\nsteps:\n  - user: hi\n    bot: two keys\n",
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := cli(t, "", "validate", good, bad)
	want := fmt.Sprintf("%s:1:1: flows %q: stat %s: no such file or directory\n", bad, "../nowhere", filepath.Join(dir, "nowhere")) +
		fmt.Sprintf("%s:3:5: step 1: a step is a map with one key\n", bad) +
		"0 flows, 2 test scripts: 2 errors, 0 warnings\n"
	if code != 1 || stdout != want {
		t.Errorf("exit %d, stdout\n%s\nwant 1 and\n%s", code, stdout, want)
	}
}

func TestValidateMissingPath(t *testing.T) {
	code, stdout, stderr := cli(t, "", "validate", "../../examples/flows", "../../no-such-dir")
	if want := "chatflow: validate: stat ../../no-such-dir: no such file or directory\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
}

type actionEntry struct {
	Name   string          `json:"name"`
	Doc    string          `json:"doc"`
	Params json.RawMessage `json:"params"`
}

func TestActionsJSON(t *testing.T) {
	code, stdout, stderr := cli(t, "", "actions", "--json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var list []actionEntry
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&list); err != nil {
		t.Fatalf("not a JSON array of {name, doc, params}: %v\n%s", err, stdout)
	}
	byName := map[string]actionEntry{}
	var names []string
	for _, a := range list {
		byName[a.Name] = a
		names = append(names, a.Name)
		if a.Doc == "" {
			t.Errorf("%s has no doc", a.Name)
		}
	}
	for _, want := range []string{"HelpdeskClient.IsBlockedForLiveChat", "ConnectToHelpdeskAgent", "HelpdeskClient.IsOutsideWorkingHours"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("actions %v lack %s", names, want)
		}
	}

	type prop struct {
		Type    string `json:"type"`
		Default any    `json:"default"`
		Minimum *int   `json:"minimum"`
	}
	var schema struct {
		Type                 string          `json:"type"`
		AdditionalProperties *bool           `json:"additionalProperties"`
		Properties           map[string]prop `json:"properties"`
	}
	block := byName["HelpdeskClient.IsBlockedForLiveChat"]
	if err := json.Unmarshal(block.Params, &schema); err != nil {
		t.Fatal(err)
	}
	if p := schema.Properties["BlockIntervalMinutes"]; p.Type != "integer" || p.Default != 1440.0 || p.Minimum == nil || *p.Minimum != 1 {
		t.Errorf("BlockIntervalMinutes = %+v, want an integer ≥ 1 defaulting to 1440", p)
	}
	if p := schema.Properties["SaveToChatActivityData"]; p.Type != "boolean" || p.Default != false {
		t.Errorf("SaveToChatActivityData = %+v, want a boolean defaulting to false", p)
	}
	if p, ok := schema.Properties["BlockReason"]; !ok || p.Type != "string" || p.Default != nil {
		t.Errorf("BlockReason = %+v, want a string without default", p)
	}
	if schema.AdditionalProperties == nil || *schema.AdditionalProperties {
		t.Errorf("unknown params are not rejected by the schema")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, block.Params); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{`"default":1440`, `"default":false`} {
		if !bytes.Contains(compact.Bytes(), []byte(raw)) {
			t.Errorf("params lack %s: %s", raw, compact.Bytes())
		}
	}

	schema.Properties = nil
	if err := json.Unmarshal(byName["ConnectToHelpdeskAgent"].Params, &schema); err != nil {
		t.Fatal(err)
	}
	if p := schema.Properties["Queue"]; p.Type != "string" || p.Default != "default" {
		t.Errorf("Queue = %+v, want a string defaulting to \"default\"", p)
	}
	// IsOutsideWorkingHours names the queue whose hours count.
	schema.Properties = nil
	if err := json.Unmarshal(byName["HelpdeskClient.IsOutsideWorkingHours"].Params, &schema); err != nil {
		t.Fatal(err)
	}
	if p := schema.Properties["Queue"]; len(schema.Properties) != 1 || p.Type != "string" || p.Default != "default" {
		t.Errorf("IsOutsideWorkingHours params = %+v, want only Queue, a string defaulting to \"default\"", schema.Properties)
	}
}

func TestActionsMarkdown(t *testing.T) {
	code, stdout, stderr := cli(t, "", "actions")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "# Internal actions\n") {
		t.Errorf("no heading:\n%s", stdout)
	}
	for _, want := range []string{
		"\n## HelpdeskClient.IsBlockedForLiveChat\n\n",
		"| parameter | type | default | description |\n|---|---|---|---|\n",
		"| `BlockIntervalMinutes` | integer | `1440` | How long the block lasts, in minutes (default 1440 = 24 hours). |\n",
		"| `SaveToChatActivityData` | boolean | `false` | ",
		"| `BlockReason` | string |  | Why the user is blocked. ",
		"| `Queue` | string | `\"default\"` | ",
		"\n## HelpdeskClient.IsOutsideWorkingHours\n\n",
		"| `Queue` | string | `\"default\"` | The queue whose hours count (default \"default\"). |\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("markdown lacks %q:\n%s", want, stdout)
		}
	}
	// Sorted by name.
	a := strings.Index(stdout, "## ConnectToHelpdeskAgent")
	b := strings.Index(stdout, "## HelpdeskClient.IsBlockedForLiveChat")
	c := strings.Index(stdout, "## HelpdeskClient.IsOutsideWorkingHours")
	if a < 0 || !(a < b && b < c) {
		t.Errorf("actions not listed in name order: %d %d %d", a, b, c)
	}
}

func TestTestExamples(t *testing.T) {
	scripts, err := flowtest.Files("../../examples/tests")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli(t, "", "test", "../../examples/tests")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if want := fmt.Sprintf("%d passed, 0 failed", len(scripts)); lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	passes := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "PASS ") {
			passes++
		}
	}
	if passes != len(scripts) {
		t.Errorf("%d PASS lines for %d scripts:\n%s", passes, len(scripts), stdout)
	}
}

func TestTestFailing(t *testing.T) {
	flowsDir, err := filepath.Abs("../../examples/flows")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "wrong.test.yaml")
	body := "name: expects the wrong greeting\nflows: " + flowsDir + "\nsteps:\n  - start: true\n  - bot: Hello!\n  - user: never sent\n"
	if err := os.WriteFile(script, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	pass := filepath.Join(dir, "right.test.yaml")
	if err := os.WriteFile(pass, []byte("name: greets\nflows: "+flowsDir+"\nsteps:\n  - start: true\n  - bot_contains: Acme bot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli(t, "", "test", dir)
	want := "PASS greets (" + pass + ", 2 steps)\n" +
		"FAIL expects the wrong greeting (" + script + ")\n" +
		"    " + script + ":5:5: step 2 (bot): bot replies differ (- expected, + actual):\n" +
		"      - \"Hello!\"\n" +
		"      + \"Hi! I'm the Acme bot. Ask me anything, or type 'agent' to talk to a person.\"\n" +
		"1 passed, 1 failed\n"
	if code != 1 || stderr != "" || stdout != want {
		t.Errorf("exit %d, stderr %q, stdout\n%s\nwant 1 and\n%s", code, stderr, stdout, want)
	}
}

func TestTestMissingPath(t *testing.T) {
	code, _, stderr := cli(t, "", "test", "../../no-such-dir")
	if want := "chatflow: stat ../../no-such-dir: no such file or directory\n"; code != 1 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
}

// TestRunSession chats with the example bot: queued, blocked by the agent,
// refused neutrally, self-unblocked, queued again.
func TestRunSession(t *testing.T) {
	inputs := []string{
		"agent", // 0
		"/agent-disconnect block reason=spam notes=links minutes=60",
		"/context",
		"agent",
		"unblock",
		"yes", // 5
		"agent",
		"/context",
		"/advance 1d",
		"/nope",
		"/help", // 10
		"/advance",
		"/advance soon",
		"/agent-disconnect minutes=x",
		"/agent-disconnect frob=1",
		"/login u-1 Dana Scully", // 15
		"/anon 203.0.113.9",
		"/context",
		"/end",
		"hello",
		"", // 20: ignored, prompts again
		"/quit",
		"never read",
	}
	code, stdout, stderr := cli(t, strings.Join(inputs, "\n")+"\n", "run", "../../examples/flows")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// Every prompt "you> " is followed by the output of one input line.
	seg := strings.Split(stdout, "you> ")
	if len(seg) != 23 {
		t.Fatalf("%d prompts, want 22 (nothing read after /quit):\n%s", len(seg)-1, stdout)
	}
	banner := strings.SplitN(seg[0], "\n", 4)
	nflows, _ := exampleCounts(t, "../../examples/flows")
	if want := fmt.Sprintf("chatflow: %d flows loaded from ../../examples/flows. /help lists the commands.", nflows); banner[0] != want {
		t.Errorf("banner %q, want %q", banner[0], want)
	}
	startText, ok := strings.CutPrefix(banner[1], "-- conversation repl-1 (anonymous) at ")
	if !ok {
		t.Fatalf("no conversation line: %q", banner[1])
	}
	start, err := time.Parse(time.RFC3339, startText)
	if err != nil {
		t.Fatal(err)
	}
	const (
		welcome = "bot> Hi! I'm the Acme bot. Ask me anything, or type 'agent' to talk to a person.\n"
		queued  = "bot> You're in the queue. An agent will be with you shortly.\n"
		blocked = "bot> Live chat isn't available for this conversation right now. I'm still here to help with your questions.\n"
		rules   = "bot> To chat with an agent again, please confirm you will keep the conversation respectful. Do you agree? (yes/no)\n"
		thanks  = "bot> Thank you. You can type 'agent' to talk to a person again.\n"
	)
	if banner[2] != strings.TrimSuffix(welcome, "\n") || banner[3] != "" {
		t.Errorf("after the banner: %q, want the welcome", banner[2:])
	}
	out := func(i int) string { return seg[i+1] }
	for i, want := range map[int]string{
		0:  queued,
		1:  "", // blocked: no survey, no reason
		3:  blocked,
		4:  rules,
		5:  thanks,
		6:  queued,
		8:  "-- clock is now " + start.Add(24*time.Hour).Format(time.RFC3339) + "\n",
		9:  "error: unknown command /nope (/help lists them)\n",
		10: runHelp,
		11: "error: usage: /advance DURATION (e.g. 90m, 24h, 1d)\n",
		12: "error: invalid duration \"soon\": \"soon\" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)\n",
		13: "error: minutes=\"x\": not a number\n",
		14: "error: unknown feedback field \"frob\"\n",
		18: "",
		19: "error: conversation repl-3: conversation ended\n",
		20: "",
		21: "",
	} {
		if got := out(i); got != want {
			t.Errorf("output of %q = %q, want %q", inputs[i], got, want)
		}
	}
	if got, want := out(15), "-- conversation repl-2 (user u-1) at "; !strings.HasPrefix(got, want) ||
		!strings.HasSuffix(got, "\nbot> Hi Dana Scully! I'm the Acme bot. Ask me anything, or type 'agent' to talk to a person.\n") {
		t.Errorf("output of /login = %q", got)
	}
	if got := out(16); !strings.HasPrefix(got, "-- conversation repl-3 (anonymous) at ") || !strings.HasSuffix(got, "\n"+welcome) {
		t.Errorf("output of /anon = %q", got)
	}

	type context struct {
		ConversationInfo struct {
			ConversationID           string
			VisitorIP, VisitorIPHash string
			LiveChatBlockedUntil     *time.Time
			Blocked                  bool
		}
		HelpdeskClient struct{ IsBlockedForLiveChat, InQueue bool }
		AgentFeedback  struct {
			ReasonCategory, Notes, AgentEmail string
			BlockIntervalMinutes              int
		}
		Vars map[string]any
	}
	ctxAt := func(i int) context {
		t.Helper()
		var c context
		if err := json.Unmarshal([]byte(out(i)), &c); err != nil {
			t.Fatalf("/context printed no JSON: %v\n%s", err, out(i))
		}
		if !strings.Contains(out(i), `"LiveChatBlockedUntil"`) {
			t.Errorf("/context lacks LiveChatBlockedUntil:\n%s", out(i))
		}
		return c
	}
	c := ctxAt(2)
	until := c.ConversationInfo.LiveChatBlockedUntil
	if until == nil || until.Sub(start) < time.Hour || until.Sub(start) >= time.Hour+time.Second {
		t.Errorf("LiveChatBlockedUntil = %v, want %v + 60m", until, start)
	}
	if !c.ConversationInfo.Blocked || c.ConversationInfo.ConversationID != "repl-1" {
		t.Errorf("ConversationInfo = %+v", c.ConversationInfo)
	}
	if fb := c.AgentFeedback; fb.ReasonCategory != "spam" || fb.Notes != "links" || fb.AgentEmail != "agent@example.com" || fb.BlockIntervalMinutes != 60 {
		t.Errorf("AgentFeedback = %+v", fb)
	}
	c = ctxAt(7)
	if c.ConversationInfo.LiveChatBlockedUntil != nil || !c.HelpdeskClient.InQueue || c.HelpdeskClient.IsBlockedForLiveChat {
		t.Errorf("after the self-unblock: %+v %+v", c.ConversationInfo, c.HelpdeskClient)
	}
	if c.Vars["AgreesToRules"] != "yes" || c.Vars["InternalActionResult"] != true {
		t.Errorf("Vars = %v", c.Vars)
	}
	c = ctxAt(17)
	// The address is only sealed in the context: the hash shows it is known.
	if c.ConversationInfo.ConversationID != "repl-3" || c.ConversationInfo.VisitorIP != "" || len(c.ConversationInfo.VisitorIPHash) != 64 {
		t.Errorf("after /anon: %+v", c.ConversationInfo)
	}
}

func TestRunEndOfInput(t *testing.T) {
	code, stdout, stderr := cli(t, "hello", "run", "../../examples/flows")
	want := "you> bot> I can help with orders, returns and invoices. Type 'agent' to talk to a person.\nyou> \n"
	if code != 0 || stderr != "" || !strings.HasSuffix(stdout, want) {
		t.Errorf("exit %d, stderr %q, stdout %q; want 0 ending %q", code, stderr, stdout, want)
	}
}

func TestRunBadFlows(t *testing.T) {
	code, stdout, stderr := cli(t, "", "run", broken)
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "chatflow: loading flows: "+broken+":") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and the load problems", code, stdout, stderr)
	}
}

// TestValidateScriptsCompletely: validate finds what `chatflow test` would
// only find when it runs the step: a misspelled command (with the
// suggestion), and expressions that do not compile, each at file:line:col.
func TestValidateScriptsCompletely(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "tests", "typos.test.yaml")
	body := "flows: FLOWS\nsteps:\n  - user: agent\n  - bot_contain: queue\n  - agent_tak: {agent: a@b.c}\n" +
		"  - expect: {\"[[HelpdeskClient]].InQeue\": true}\n  - assert: \"=@LastUserMesage == 'agent'\"\n"
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs("../../examples/flows")
	if err != nil {
		t.Fatal(err)
	}
	body = strings.Replace(body, "FLOWS", abs, 1)
	if err := os.WriteFile(script, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := cli(t, "", "validate", script)
	want := script + `:4:5: step 2: unknown command "bot_contain" (did you mean "bot_contains"?)` + "\n" +
		script + `:5:5: step 3: unknown command "agent_tak" (did you mean "agent_take"?)` + "\n" +
		script + ":6:34: [[HelpdeskClient]] has no field InQeue (did you mean InQueue?)\n    | [[HelpdeskClient]].InQeue\n    | ...................^\n" +
		script + ":7:15: undeclared variable @LastUserMesage (did you mean @LastUserMessage?)\n    | @LastUserMesage == 'agent'\n    | ^\n" +
		"0 flows, 1 test scripts: 4 errors, 0 warnings\n"
	if code != 1 || stdout != want {
		t.Errorf("exit %d, stdout\n%s\nwant 1 and\n%s", code, stdout, want)
	}
}

// TestTestCoverage: --coverage reports, after the results, each flow the
// script loaded with its counts and what was never reached or taken.
func TestTestCoverage(t *testing.T) {
	code, stdout, stderr := cli(t, "", "test", "--coverage", "../../examples/tests/druid-dialect.test.yaml")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	_, report, ok := strings.Cut(stdout, "1 passed, 0 failed\ncoverage:\n")
	if !ok {
		t.Fatalf("no coverage report after the results:\n%s", stdout)
	}
	for _, want := range []string{
		"  druid-dialect v1 (../../examples/tests/druid/druid-dialect.flow.yaml): steps 9/13 (69%), branch arms 4/6 (66%)\n" +
			"    ../../examples/tests/druid/druid-dialect.flow.yaml:15:9: branch #1: case 1 (if @Basket == null || @Basket.Count == 0 -> empty) never taken\n" +
			"    ../../examples/tests/druid/druid-dialect.flow.yaml:26:5: branch #6: else (-> closed) never taken\n" +
			"    ../../examples/tests/druid/druid-dialect.flow.yaml:33:5: step closed (say) never reached\n",
		"  welcome v1 (../../examples/flows/welcome.flow.yaml): steps 0/1 (0%)\n" +
			"    ../../examples/flows/welcome.flow.yaml:6:5: step #1 (say) never reached\n",
		"  total: steps ",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks\n%s\nreport:\n%s", want, report)
		}
	}
	// Without the flag there is no report.
	if _, stdout, _ := cli(t, "", "test", "../../examples/tests/druid-dialect.test.yaml"); strings.Contains(stdout, "coverage:") {
		t.Errorf("report without --coverage:\n%s", stdout)
	}
}
