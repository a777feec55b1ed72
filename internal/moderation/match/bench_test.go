package match_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/internal/moderation/match"
)

// benchRules returns n word rules of made-up words (4 to 10 letters, one in
// ten a two-word phrase, a deterministic sequence) plus the test rules'
// words, and nPatterns regular-expression rules.
func benchRules(n, nPatterns int) []match.Rule {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, 4+rng.IntN(7))
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	actions := match.Actions
	rules := make([]match.Rule, 0, n+nPatterns)
	for i := range n {
		w := word()
		if i%10 == 0 {
			w += " " + word()
		}
		rules = append(rules, match.Rule{ID: fmt.Sprint("w", i), Action: actions[i%len(actions)], Words: []string{w}})
	}
	rules = append(rules, testRules[:5]...)
	for i := range nPatterns {
		rules = append(rules, match.Rule{ID: fmt.Sprint("p", i), Action: match.ActionFlag, Patterns: []string{fmt.Sprintf(`\b%s\d+\b`, word())}})
	}
	return rules
}

// benchMessage is a 500-character chat message: mostly plain words, some
// punctuation, a few non-ASCII letters, and three hits.
var benchMessage = func() string {
	base := "Hello, I ordered the blue jacket last week (order 4471-2209) and it still hasn't arrived. " +
		"The tracking page says it's been in Zürich since Monday — could you check what's going on? " +
		"Honestly this is a sh1t experience, and the courier was rude. I'd like a refund or a new " +
		"delivery date, whichever is faster. My address is unchanged: 12 Rue de la Paix, Paris. " +
		"Thanks a lot for your help, and sorry if I sound like a dumb ass, I'm just tired of waiting! "
	for len(base) < 500 {
		base += "Please reply soon, it matters. "
	}
	return base[:500]
}()

func BenchmarkMatch(b *testing.B) {
	for _, bc := range []struct {
		name            string
		words, patterns int
	}{
		{"2000words", 2000, 0},
		{"2000words+20regexps", 2000, 20},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := mustCompile(b, benchRules(bc.words, bc.patterns))
			if got := len(m.Match(benchMessage)); got < 3 {
				b.Fatalf("%d matches in the message, want at least 3", got)
			}
			b.SetBytes(int64(len(benchMessage)))
			b.ReportAllocs()
			for b.Loop() {
				m.Match(benchMessage)
			}
		})
	}
}

func BenchmarkCompile2000(b *testing.B) {
	rules := benchRules(2000, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := match.Compile(rules); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchMessage(t *testing.T) {
	if n := len([]rune(benchMessage)); n < 480 || n > 500 {
		t.Fatalf("the benchmark message has %d characters", n)
	}
	m := mustCompile(t, testRules)
	var got []string
	for _, x := range m.Match(benchMessage) {
		got = append(got, x.RuleID+"="+benchMessage[x.Start:x.End])
	}
	if s := strings.Join(got, " "); s != "shit=sh1t dumbass=dumb ass ass=ass" {
		t.Fatalf("matches in the benchmark message: %s", s)
	}
}
