package flowtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/internal/flowtest"
)

// TestCheck runs the static checks on one script per case and compares
// every problem, located at file:line:col, with the expected text.
func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   []string // problems, "FILE" standing for the script's path
	}{
		{name: "clean", script: "steps:\n  - user: hi\n  - expect: {\"@Answer\": x, \"[[ChatUser]].Name\": \"=@Answer\"}\n  - assert: \"=@Answer != null\"\n"},
		{
			name:   "misspelled command",
			script: "steps:\n  - user: hi\n  - bot_contain: hello\n",
			want:   []string{`FILE:3:5: step 2: unknown command "bot_contain" (did you mean "bot_contains"?)`},
		},
		{
			name:   "misspelled extra command",
			script: "steps:\n  - agent_tak: {agent: a@b.c}\n",
			want:   []string{`FILE:2:5: step 1: unknown command "agent_tak" (did you mean "agent_take"?)`},
		},
		{
			name:   "unknown command far from all",
			script: "steps:\n  - frobnicate: true\n",
			want:   []string{`FILE:2:5: step 1: unknown command "frobnicate" (known: advance, agent_disconnected, agent_take, assert, bot, bot_contains, bot_not_contains, conversation, end, expect, expect_error, start, user)`},
		},
		{
			name:   "misspelled field in an expect key",
			script: "steps:\n  - expect: {\"[[ConversationInfo]].LiveChatBlockedUntl\": null}\n",
			want: []string{"FILE:2:36: [[ConversationInfo]] has no field LiveChatBlockedUntl (did you mean LiveChatBlockedUntil?)\n" +
				"    | [[ConversationInfo]].LiveChatBlockedUntl\n" +
				"    | .....................^"},
		},
		{
			name:   "misspelled variable in an expected value",
			script: "steps:\n  - expect:\n      \"[[ChatUser]].Name\": \"=@Answr\"\n",
			want: []string{"FILE:3:30: undeclared variable @Answr (did you mean @Answer?)\n" +
				"    | @Answr\n" +
				"    | ^"},
		},
		{
			name:   "assert that is not a condition",
			script: "steps:\n  - assert: =[[ChatUser]].Name\n",
			want: []string{"FILE:2:14: expected a bool, got string\n" +
				"    | [[ChatUser]].Name\n" +
				"    | ^"},
		},
		{
			name:   "assert in a block scalar, error on its second line",
			script: "steps:\n  - assert: |\n      @Answer != null &&\n        @Answer.Trim() == 'x'\n",
			want: []string{"FILE:4:17: @Answer is a flow variable: its value (text, number, bool, list, map or time) has no method Trim (write Trim(x))\n" +
				"    |   @Answer.Trim() == 'x'\n" +
				"    | ..........^"},
		},
		{
			name:   "expect of a list",
			script: "steps:\n  - expect: [a]\n",
			want:   []string{"FILE:2:13: step 1: expect takes a map of expression: expected value"},
		},
		{
			name:   "bad duration",
			script: "steps:\n  - advance: 3 dayz\n",
			want:   []string{`FILE:2:14: step 1: advance: invalid duration "3 dayz": unknown unit "dayz" (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		},
		{
			name:   "every problem at once",
			script: "steps:\n  - usr: hi\n  - user: a\n    bot: b\n  - assert: \"=@Nope\"\n",
			want: []string{
				`FILE:2:5: step 1: unknown command "usr" (did you mean "user"?)`,
				"FILE:3:5: step 2: a step is a map with one key",
				"FILE:5:15: undeclared variable @Nope\n    | @Nope\n    | ^",
			},
		},
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	opts := flowtest.CheckOptions{
		Commands: []string{"agent_take"},
		Vars: func(paths []string) map[string]bool {
			if len(paths) != 1 || paths[0] != filepath.Join(dir, "tests", "../flows") {
				t.Errorf("Vars(%q): want the script's default flows directory", paths)
			}
			return map[string]bool{"Answer": true}
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "tests", strings.ReplaceAll(tc.name, " ", "-")+".test.yaml")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tc.script), 0o644); err != nil {
				t.Fatal(err)
			}
			probs := flowtest.Check(path, opts)
			var got []string
			for _, p := range probs {
				got = append(got, strings.ReplaceAll(p.String(), path, "FILE"))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("case %d problems:\n%s\nwant:\n%s", i, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
