package expression

import (
	"errors"
	"strings"
	"testing"
)

// fuzzSeeds are real expressions: the specification's, the documentation's
// and the tricky cases of the table tests.
var fuzzSeeds = []string{
	"[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntil > GetDate",
	"[[ConversationInfo]].LiveChatBlockedUntil",
	"null",
	"GetDate()",
	"@InternalActionResult == false",
	"[[HelpdeskClient]].IsBlockedForLiveChat",
	"AddMinutes(GetDate(), [[AgentFeedback]].BlockIntervalMinutes)",
	"IsAfter([[ConversationInfo]].LiveChatBlockedUntil, GetDate())",
	`Contains(Lower(@LastUserMessage), "refund")`,
	"Coalesce(@PreferredName, [[ChatUser]].Name)",
	`"[[ConversationInfo]] @x null GetDate" + '@y\'s null' + ` + "`raw [[X]]`",
	`"a\"@x" + @y + "a\\" + null`,
	"@x // it's null @y\n+ null /* @z's */",
	"nullable || x.null || GetDates || x.GetDate || GetDate ()",
	"[[1, 2], [a]] + [[[ChatUser]]]",
	"filter(l, # == null) + #acc + 0x1F + 1e3 + .5",
	"@a.b?.c ?? 1",
	"@prénom + \"é@\"",
	"1 +\n\t@nope",
	`@x == "abc`,
	"@",
	"[[",
	"${x}",
}

// FuzzTranslate checks the invariants of Translate: it never panics; text
// without sugar or string literals is unchanged; PosMap.Original stays within
// the source; string literals are preserved and map back to themselves;
// errors are located within the source.
func FuzzTranslate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, m, err := Translate(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Translate(%q) error %T, want *Error", src, err)
			}
			if e.Offset < 0 || e.Offset > len(src) || e.Source != src {
				t.Fatalf("Translate(%q) error at %d, outside the source", src, e.Offset)
			}
			_ = e.Error()
			return
		}
		if !strings.ContainsAny(src, "@\"'`") && !strings.Contains(src, "[[") &&
			!strings.Contains(src, "null") && !strings.Contains(src, "GetDate") && out != src {
			t.Fatalf("Translate(%q) = %q, want the input unchanged", src, out)
		}
		for off := -1; off <= len(out)+1; off++ {
			if o := m.Original(off); o < 0 || o > len(src) {
				t.Fatalf("Translate(%q): Original(%d) = %d, outside [0,%d]", src, off, o, len(src))
			}
		}
		srcLits, outLits := stringLiterals(src), stringLiterals(out)
		if len(srcLits) != len(outLits) {
			t.Fatalf("Translate(%q) = %q: %d string literals, want %d", src, out, len(outLits), len(srcLits))
		}
		for i := range srcLits {
			sl, ol := srcLits[i], outLits[i]
			if src[sl[0]:sl[1]] != out[ol[0]:ol[1]] {
				t.Fatalf("Translate(%q) = %q: literal %q became %q", src, out, src[sl[0]:sl[1]], out[ol[0]:ol[1]])
			}
			if o := m.Original(ol[0]); o != sl[0] {
				t.Fatalf("Translate(%q): literal at %d maps to %d, want %d", src, ol[0], o, sl[0])
			}
		}
	})
}

// stringLiterals returns the [start, end) spans of the string literals of
// s, skipping comments. It is written independently of Translate's
// scanner; an unterminated literal ends the scan.
func stringLiterals(s string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "//"):
			n := strings.Index(s[i:], "\n")
			if n < 0 {
				return spans
			}
			i += n
		case strings.HasPrefix(s[i:], "/*"):
			n := strings.Index(s[i+2:], "*/")
			if n < 0 {
				return spans
			}
			i += n + 3
		case s[i] == '`':
			n := strings.Index(s[i+1:], "`")
			if n < 0 {
				return spans
			}
			spans = append(spans, [2]int{i, i + n + 2})
			i += n + 1
		case s[i] == '"' || s[i] == '\'':
			q, j := s[i], i+1
			for j < len(s) && s[j] != q && s[j] != '\n' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) || s[j] != q {
				return spans
			}
			spans = append(spans, [2]int{i, j + 1})
			i = j
		}
	}
	return spans
}

// FuzzCompile checks that no input makes Compile or Run panic and that
// every error is an *Error located within the source.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src, Options{Vars: testVars})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) error %T, want *Error", src, err)
			}
			if e.Offset < 0 || e.Offset > len(src) || e.Line < 1 || e.Column < 1 {
				t.Fatalf("Compile(%q) error at offset %d (%d:%d), outside the source", src, e.Offset, e.Line, e.Column)
			}
			_ = e.Error()
			return
		}
		if _, err := new(Runner).Run(p, testEnv()); err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(src) {
				t.Fatalf("Run(%q) error %#v, want *Error within the source", src, err)
			}
		}
	})
}
