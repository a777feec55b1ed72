package flows_test

import (
	"strings"
	"testing"

	"github.com/chatflow/chatflow/flows"
)

const perLanguageFlow = `id: hello
version: 1
trigger: message
steps:
  - say:
      en: "Hello ${Upper('x')}"
      de: "Hallo ${Upper('x')}"
  - say: "Bye"
`

// TestSayPerLanguage: a say written per language answers in the
// conversation's language (its base language for a regional tag), in the
// default one otherwise; a single text is the same in every language.
func TestSayPerLanguage(t *testing.T) {
	f := newFixture(t)
	f.write("hello.flow.yaml", perLanguageFlow)
	e := f.executor(f.load())
	for _, tc := range []struct{ conv, lang, want string }{
		{"c-de", "de", "Hallo X"},
		{"c-at", "de-AT", "Hallo X"},
		{"c-en", "en", "Hello X"},
		{"c-fr", "fr", "Hello X"},
		{"c-none", "", "Hello X"},
	} {
		res, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: tc.conv, Text: "hi", Language: tc.lang})
		if err != nil {
			t.Fatal(err)
		}
		wantReplies(t, res, tc.want, "Bye")
		if got := res.Conversation.Info.Language; got != tc.lang {
			t.Errorf("%s: ConversationInfo.Language = %q, want %q", tc.conv, got, tc.lang)
		}
	}
}

// TestSayPerLanguageLint: a configured language missing from a text is a
// warning naming the step and the languages; the default is the first
// configured language.
func TestSayPerLanguageLint(t *testing.T) {
	l := newLoader(t)
	l.Languages = []string{"de", "en", "ro"}
	f, probs := l.LoadBytes("hello.flow.yaml", []byte(perLanguageFlow))
	if probs.HasErrors() {
		t.Fatal(probs.Err())
	}
	if len(probs) != 1 || probs[0].Severity != flows.SeverityWarning ||
		!strings.Contains(probs[0].String(), "hello.flow.yaml:6:7:") || !strings.Contains(probs[0].Msg, "step #1: say has no text in ro (configured languages: de, en, ro)") {
		t.Fatalf("problems = %v", probs)
	}
	if f.Steps[0].TextFor("") != f.Steps[0].Texts["de"] {
		t.Error("the default text is not the first configured language's")
	}
	if _, probs := l.LoadBytes("bad.flow.yaml", []byte(strings.Replace(perLanguageFlow, `de: "Hallo`, `de: "=Nope(`, 1))); !probs.HasErrors() {
		t.Error("a per-language text with a broken expression loaded")
	}
}
