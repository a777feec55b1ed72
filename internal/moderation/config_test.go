package moderation_test

import (
	"strings"
	"testing"

	"github.com/chatflow/chatflow/internal/moderation"
)

// TestLintReportsEveryProblemWithItsPlace: chatflow validate's findings on
// a rules file and on a configuration, each with file:line:col.
func TestLintReportsEveryProblemWithItsPlace(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"rules", "testdata/bad.rules.yaml", []string{
			`testdata/bad.rules.yaml:6:13: rule "typo": unknown action "wran"; use one of warn, censor, hold, flag, block`,
			`testdata/bad.rules.yaml:10:16: rule "regex": bad regular expression "(unclosed": missing closing ): ` + "`(unclosed`",
			`testdata/bad.rules.yaml:14:22: rule "category": unknown reason category "rudeness"; use one of abusive_language, spam, harassment, fraud, terms_violation, other`,
			`testdata/bad.rules.yaml:15:13: rule "category": period "2 fortnights": `,
			`testdata/bad.rules.yaml:16:9: duplicate rule id "ok"`,
		}},
		{"config", "testdata/badladder.yaml", []string{
			`testdata/badladder.yaml:10:7: unknown key "wrods"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := moderation.LintFile(tc.file)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), join(got))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i].String(), w) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], w)
				}
			}
		})
	}
}

func TestLintLadderAndLimits(t *testing.T) {
	c := moderation.Config{
		Limits: moderation.Limits{ConversationMessages: &moderation.Limit{Burst: 0, Rate: 20, Per: moderation.Duration(60e9)}},
		Ladder: moderation.Ladder{Periods: []string{"1d", "1h", "permanent", "1w"}},
	}
	got := join(c.Check())
	for _, w := range []string{"ladder: period 1h does not increase on 1d before it", "ladder: period 1w does not increase on permanent before it", "conversation_messages: burst 0 is not positive"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}

func TestExampleRulesAreClean(t *testing.T) {
	for _, f := range []string{"../../examples/moderation.rules.yaml", "../../examples/chatflow.yaml"} {
		if ps := moderation.LintFile(f); len(ps) > 0 {
			t.Errorf("%s:\n%s", f, join(ps))
		}
	}
}

func join(ps moderation.Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}
