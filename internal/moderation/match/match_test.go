package match_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chatflow/chatflow/internal/moderation/match"
)

var testRules = []match.Rule{
	{ID: "ass", Action: match.ActionBlock, Words: []string{"ass"}},
	{ID: "fuck", Action: match.ActionCensor, Words: []string{"fuck"}},
	{ID: "shit", Action: match.ActionWarn, Words: []string{"shit", "sh1t"}},
	{ID: "kys", Action: match.ActionHold, Words: []string{"kill yourself"}},
	{ID: "dumbass", Action: match.ActionFlag, Words: []string{"dumb ass"}},
	{ID: "cafe", Action: match.ActionWarn, Words: []string{"Café"}},
	{ID: "420", Action: match.ActionFlag, Words: []string{"420"}},
	{ID: "phone", Action: match.ActionFlag, Patterns: []string{`\b\d{3}-\d{4}\b`}},
	{ID: "viagra", Action: match.ActionHold, Patterns: []string{`v[i1]agra`}},
}

func mustCompile(t testing.TB, rules []match.Rule) *match.Matcher {
	t.Helper()
	m, err := match.Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// hit is a match written compactly for the table: rule id and span.
type hit struct {
	rule       string
	start, end int
}

func TestMatch(t *testing.T) {
	m := mustCompile(t, testRules)
	for _, tc := range []struct {
		name, text string
		want       []hit
	}{
		{"plain word", "you ass", []hit{{"ass", 4, 7}}},
		{"upper case and punctuation", "ASS!", []hit{{"ass", 0, 3}}},
		{"at sign for a", "@ss", []hit{{"ass", 0, 3}}},
		{"dollars for s", "a$$", []hit{{"ass", 0, 3}}},
		{"digit 4 for a", "4ss", []hit{{"ass", 0, 3}}},
		{"Cyrillic a", "аss", []hit{{"ass", 0, 4}}},
		{"not inside assessment", "assessment", nil},
		{"not inside class", "first class", nil},
		{"not inside asshole", "asshole", nil},
		{"fewer repeats than the word", "as soon as", nil},
		{"more repeats than the word", "asssss", []hit{{"ass", 0, 6}}},
		{"spaced out", "a s s", []hit{{"ass", 0, 5}}},
		{"dotted out", "a.s.s", []hit{{"ass", 0, 5}}},
		{"two letters are not a spaced word", "a s", nil},
		{"spaced out long word", "f u c k", []hit{{"fuck", 0, 7}}},
		{"repeated letters", "fuuuuck", []hit{{"fuck", 0, 7}}},
		{"zero-width space inside", "f\u200buck", []hit{{"fuck", 0, 7}}},
		{"soft hyphen inside", "a\u00adss", []hit{{"ass", 0, 5}}},
		{"precomposed diacritic", "FÜCK", []hit{{"fuck", 0, 5}}},
		{"combining diacritic", "fu\u0301ck", []hit{{"fuck", 0, 6}}},
		{"fullwidth letters", "ｆｕｃｋ", []hit{{"fuck", 0, 12}}},
		{"1 for i", "sh1t", []hit{{"shit", 0, 4}}},
		{"5 and ! for s and i", "5h!t", []hit{{"shit", 0, 4}}},
		{"! at the end is punctuation", "shit!", []hit{{"shit", 0, 4}}},
		{"1 for l", "ki11 yourself", []hit{{"kys", 0, 13}}},
		{"1 for i in a phrase", "k1ll  yourself", []hit{{"kys", 0, 14}}},
		{"overlapping rules", "dumb ass", []hit{{"dumbass", 0, 8}, {"ass", 5, 8}}},
		{"adjacent matches", "ass ass", []hit{{"ass", 0, 3}, {"ass", 4, 7}}},
		{"rule word with a diacritic", "CAFE", []hit{{"cafe", 0, 4}}},
		{"rule word with a diacritic, text combining", "cafe\u0301", []hit{{"cafe", 0, 6}}},
		{"digits only", "call 420", []hit{{"420", 5, 8}}},
		{"digits are not repeat-tolerant", "4200", nil},
		{"digit words keep their digits", "$100", nil},
		{"regexp sees punctuation and digits", "call 555-1234 now", []hit{{"phone", 5, 13}}},
		{"regexp sees the folded text", "Buy V1ÀGRA", []hit{{"viagra", 4, 11}}},
		{"no match", "hello, how can I help?", nil},
		{"empty", "", nil},
		{"invalid UTF-8", "a\xffss \xff", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []hit
			for _, x := range m.Match(tc.text) {
				got = append(got, hit{x.RuleID, x.Start, x.End})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Match(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestMatchFields(t *testing.T) {
	m := mustCompile(t, testRules)
	got := m.Match("oh sh1t")
	want := []match.Match{{RuleID: "shit", Action: match.ActionWarn, Entry: "shit", Start: 3, End: 7}}
	if !slices.Equal(got, want) {
		t.Fatalf("Match = %+v, want %+v (one match although both words of the rule hit)", got, want)
	}
}

func TestCensor(t *testing.T) {
	m := mustCompile(t, testRules)
	for _, tc := range []struct{ text, want string }{
		{"what the fuuuck, you a$$!", "what the ******, you ***!"},
		{"fu\u0301ck you", "**** you"},
		{"f\u200buck", "****"},
		{"a s s", "* * *"},
		{"dumb ass", "**** ***"},
		{"nothing here", "nothing here"},
	} {
		if got := match.Censor(tc.text, m.Match(tc.text)); got != tc.want {
			t.Errorf("Censor(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := match.Censor("abc", []match.Match{{Start: -4, End: 2}, {Start: 2, End: 99}}); got != "***" {
		t.Errorf("Censor with spans out of range = %q, want them clipped", got)
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := match.Compile([]match.Rule{
		{ID: "", Action: match.ActionWarn, Words: []string{"x"}},
		{ID: "a", Action: "ban", Words: []string{"x"}},
		{ID: "a", Action: match.ActionWarn, Words: []string{"y"}},
		{ID: "b", Action: match.ActionFlag},
		{ID: "c", Action: match.ActionFlag, Words: []string{"?!"}, Patterns: []string{"(unclosed"}},
	})
	if err == nil {
		t.Fatal("Compile accepted bad rules")
	}
	want := []string{
		"rule 0: rule has no id",
		`rule "a": unknown action "ban" (want one of [warn censor hold flag block])`,
		`rule "a": duplicate rule id`,
		`rule "b": rule has no words and no patterns`,
		`rule "c", word "?!": word has no letters or digits`,
		"rule \"c\", pattern \"(unclosed\": bad regular expression: error parsing regexp: missing closing ): `(unclosed`",
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("Compile error:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	for _, target := range []error{match.ErrNoID, match.ErrUnknownAction, match.ErrDuplicateID, match.ErrNoWords, match.ErrEmptyWord, match.ErrBadPattern} {
		if !errors.Is(err, target) {
			t.Errorf("Compile error does not wrap %q", target)
		}
	}
	var re *match.RuleError
	if !errors.As(err, &re) || re.Index != 0 {
		t.Errorf("Compile error: want *RuleError with the index, got %#v", re)
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{
		"you ass", "ASS!", "@ss", "a s s", "f\u200buck", "fu\u0301ck", "ｆｕｃｋ", "ki11 yourself",
		"dumb ass", "call 555-1234", "Buy V1ÀGRA", "ß ﬁ İ", "a\xffss", "$100 @@ !|!", "\u0301\u200b",
	} {
		f.Add(s)
	}
	m := mustCompile(f, testRules)
	f.Fuzz(func(t *testing.T, text string) {
		ms := m.Match(text)
		// Rune boundaries as decoding sees them (a stray byte is a rune).
		boundary := map[int]bool{len(text): true}
		for i := 0; i < len(text); {
			boundary[i] = true
			_, n := utf8.DecodeRuneInString(text[i:])
			i += n
		}
		for _, x := range ms {
			if x.Start < 0 || x.End > len(text) || x.Start >= x.End {
				t.Fatalf("Match(%q): span [%d, %d) out of bounds", text, x.Start, x.End)
			}
			if !boundary[x.Start] || !boundary[x.End] {
				t.Fatalf("Match(%q): span [%d, %d) splits a rune", text, x.Start, x.End)
			}
		}
		c := match.Censor(text, ms)
		if utf8.ValidString(text) && !utf8.ValidString(c) {
			t.Fatalf("Censor(%q) = %q: not valid UTF-8", text, c)
		}
		if len(ms) == 0 && c != text {
			t.Fatalf("Censor without matches changed %q to %q", text, c)
		}
	})
}
