package expression

import (
	"testing"
)

func TestTranslate(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string
		wantErr string
	}{
		{name: "entity", src: "[[ConversationInfo]].LiveChatBlockedUntil", want: "ConversationInfo.LiveChatBlockedUntil"},
		{name: "plain entity unchanged", src: "ConversationInfo.Channel", want: "ConversationInfo.Channel"},
		{name: "variable", src: "@InternalActionResult == true", want: "Vars.InternalActionResult == true"},
		{name: "variable member", src: "@a.b", want: "Vars.a.b"},
		{name: "variable optional member", src: "@a?.b ?? 1", want: "Vars.a?.b ?? 1"},
		{name: "null", src: "x == null", want: "x == nil"},
		{name: "null in parens", src: "(null)", want: "(nil)"},
		{name: "nullable untouched", src: "nullable || isnull || null_x || xnull", want: "nullable || isnull || null_x || xnull"},
		{name: "member named null untouched", src: "x.null + x?.null", want: "x.null + x?.null"},
		{name: "GetDate bare", src: "GetDate", want: "GetDate()"},
		{name: "GetDate with parens", src: "GetDate()", want: "GetDate()"},
		{name: "GetDate space parens", src: "GetDate ()", want: "GetDate ()"},
		{name: "GetDate in comparison", src: "x > GetDate && y < GetDate()", want: "x > GetDate() && y < GetDate()"},
		{name: "GetDates untouched", src: "GetDates + MyGetDate", want: "GetDates + MyGetDate"},
		{name: "member GetDate untouched", src: "x.GetDate", want: "x.GetDate"},
		{name: "sugar inside double quotes", src: `"[[ConversationInfo]] @x null GetDate"`, want: `"[[ConversationInfo]] @x null GetDate"`},
		{name: "sugar inside single quotes", src: `'@x null' + @x`, want: `'@x null' + Vars.x`},
		{name: "sugar inside backquotes", src: "`[[ChatUser]]\n@x` + null", want: "`[[ChatUser]]\n@x` + nil"},
		{name: "escaped double quote", src: `"a\"@x" + @y`, want: `"a\"@x" + Vars.y`},
		{name: "escaped single quote", src: `'it\'s null' == null`, want: `'it\'s null' == nil`},
		{name: "escaped backslash before quote", src: `"a\\" + @y`, want: `"a\\" + Vars.y`},
		{name: "other quote inside", src: `"it's" + @x + '"'`, want: `"it's" + Vars.x + '"'`},
		{name: "line comment", src: "@x // it's null @y\n+ null", want: "Vars.x // it's null @y\n+ nil"},
		{name: "block comment", src: "/* @x's null */ @y", want: "/* @x's null */ Vars.y"},
		{name: "nested list literal", src: "[[1, 2], [a]]", want: "[[1, 2], [a]]"},
		{name: "nested list with spaces", src: "[ [x] ]", want: "[ [x] ]"},
		{name: "list of entity", src: "[[[ChatUser]]]", want: "[ChatUser]"},
		{name: "pointer", src: "filter(l, # == null) + #acc", want: "filter(l, # == nil) + #acc"},
		{name: "numbers", src: "0x1F + 1e3 + 1_000 + .5", want: "0x1F + 1e3 + 1_000 + .5"},
		{name: "unicode identifiers", src: "@prénom + \"é@\" + null", want: "Vars.prénom + \"é@\" + nil"},
		{name: "full condition", src: "[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntil > GetDate",
			want: "ConversationInfo.LiveChatBlockedUntil != nil && ConversationInfo.LiveChatBlockedUntil > GetDate()"},
		{name: "empty", src: "", want: ""},
		{name: "unterminated double quote", src: `@x == "abc`, wantErr: "1:7: unterminated string literal\n | @x == \"abc\n | ......^"},
		{name: "newline in quote", src: "'a\nb'", wantErr: "1:1: unterminated string literal\n | 'a\n | ^"},
		{name: "unterminated backquote", src: "`abc", wantErr: "1:1: unterminated string literal\n | `abc\n | ^"},
		{name: "at without name", src: "1 + @ x", wantErr: "1:5: expected a variable name after @\n | 1 + @ x\n | ....^"},
		{name: "at digit", src: "@1", wantErr: "1:1: expected a variable name after @\n | @1\n | ^"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, m, err := Translate(tc.src)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Translate(%q) = %q, want error %q", tc.src, got, tc.wantErr)
				}
				if err.Error() != tc.wantErr {
					t.Fatalf("Translate(%q) error:\n%s\nwant:\n%s", tc.src, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Translate(%q): %v", tc.src, err)
			}
			if got != tc.want {
				t.Fatalf("Translate(%q) = %q, want %q", tc.src, got, tc.want)
			}
			for off := -1; off <= len(got)+1; off++ {
				if o := m.Original(off); o < 0 || o > len(tc.src) {
					t.Fatalf("Original(%d) = %d, outside [0,%d]", off, o, len(tc.src))
				}
			}
		})
	}
}

func TestPosMapOriginal(t *testing.T) {
	src := "[[ChatUser]].Name == null && @x > GetDate"
	out, m, err := Translate(src)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ChatUser.Name == nil && Vars.x > GetDate()"; out != want {
		t.Fatalf("out = %q, want %q", out, want)
	}
	tests := []struct {
		name       string
		translated int
		want       int
	}{
		{name: "entity name", translated: 0, want: 2},
		{name: "field", translated: 9, want: 13},
		{name: "nil", translated: 17, want: 21},
		{name: "nil last byte", translated: 19, want: 23},
		{name: "after nil", translated: 20, want: 25},
		{name: "Vars. maps to @", translated: 24, want: 29},
		{name: "Vars dot maps to @", translated: 28, want: 29},
		{name: "variable name", translated: 29, want: 30},
		{name: "GetDate", translated: 33, want: 34},
		{name: "inserted paren", translated: 40, want: 41},
		{name: "end", translated: len(out), want: len(src)},
		{name: "past end", translated: len(out) + 5, want: len(src)},
		{name: "negative", translated: -1, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Original(tc.translated); got != tc.want {
				t.Fatalf("Original(%d) = %d, want %d", tc.translated, got, tc.want)
			}
		})
	}
}
