package expression

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestTemplate(t *testing.T) {
	tests := []struct {
		name        string
		src         string
		want        string
		wantLiteral bool
	}{
		{name: "literal", src: "Hello there", want: "Hello there", wantLiteral: true},
		{name: "empty", src: "", want: "", wantLiteral: true},
		{name: "escaped", src: "costs $${price} or $5 or $$", want: "costs ${price} or $5 or $$", wantLiteral: true},
		{name: "entity", src: "Hello ${[[ChatUser]].Name}!", want: "Hello Ann Lee!"},
		{name: "only an expression", src: "${@count}", want: "3"},
		{name: "adjacent", src: "${@count}${@ratio}", want: "31.5"},
		{name: "time pointer as RFC 3339 UTC", src: "until ${[[ConversationInfo]].LiveChatBlockedUntil}", want: "until 2024-05-01T13:00:00Z"},
		{name: "time as RFC 3339 UTC", src: "now ${GetDate}", want: "now 2024-05-01T12:00:00Z"},
		{name: "null time as empty", src: "[${[[ChatActivityData]].LiveChatBlockedUntil}]", want: "[]"},
		{name: "null as empty", src: "[${@unset}]", want: "[]"},
		{name: "float without trailing zeros", src: "${@ratio * 2} ${@ratio} ${10 / 4} ${0.1 + 0.2}", want: "3 1.5 2.5 0.30000000000000004"},
		{name: "bool", src: "${@InternalActionResult}", want: "false"},
		{name: "list", src: "${@list}", want: "a, b"},
		{name: "map as JSON", src: "${@nested}", want: `{"b":"deep"}`},
		{name: "braces and strings inside", src: `${ {"a": "}"}.a + '{' } ok`, want: "}{ ok"},
		{name: "escape next to expression", src: "$${x} = ${@count}", want: "${x} = 3"},
		{name: "string with sugar", src: `${"@count"}`, want: "@count"},
	}
	var r Runner
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := CompileTemplate(tc.src, Options{Vars: testVars})
			if err != nil {
				t.Fatal(err)
			}
			if got := tmpl.IsLiteral(); got != tc.wantLiteral {
				t.Fatalf("IsLiteral() = %v, want %v", got, tc.wantLiteral)
			}
			got, err := tmpl.Render(&r, testEnv())
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Render() = %q, want %q", got, tc.want)
			}
			if tmpl.Source() != tc.src {
				t.Fatalf("Source() = %q, want %q", tmpl.Source(), tc.src)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			name: "misspelled field",
			src:  "Hi ${[[ChatUser]].Nmae}, welcome",
			want: "1:19: [[ChatUser]] has no field Nmae (did you mean Name?)\n | Hi ${[[ChatUser]].Nmae}, welcome\n | ..................^",
		},
		{
			name: "undeclared variable on second line",
			src:  "Hi\nyou: ${@nope}",
			want: "2:8: undeclared variable @nope\n | you: ${@nope}\n | .......^",
		},
		{
			name: "unterminated",
			src:  "Hi ${[[ChatUser]].Name",
			want: "1:4: unterminated ${ in template (missing })\n | Hi ${[[ChatUser]].Name\n | ...^",
		},
		{
			name: "unterminated string inside",
			src:  `Hi ${"}`,
			want: "1:4: unterminated ${ in template (missing })\n | Hi ${\"}\n | ...^",
		},
		{
			name: "empty",
			src:  "Hi ${ }",
			want: "1:4: empty ${} in template\n | Hi ${ }\n | ...^",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileTemplate(tc.src, Options{Vars: testVars})
			if err == nil {
				t.Fatal("want error")
			}
			var e *Error
			if !errors.As(err, &e) || e.Source != tc.src {
				t.Fatalf("error %#v, want *Error with Source %q", err, tc.src)
			}
			if err.Error() != tc.want {
				t.Fatalf("error:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestTemplateRenderError(t *testing.T) {
	tmpl, err := CompileTemplate("left ${MinutesBetween(GetDate, [[ChatActivityData]].LiveChatBlockedUntil)} min", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.Render(new(Runner), testEnv())
	want := "1:8: MinutesBetween: time is null (check it with IsNull first)\n" +
		" | left ${MinutesBetween(GetDate, [[ChatActivityData]].LiveChatBlockedUntil)} min\n" +
		" | .......^"
	if err == nil || err.Error() != want {
		t.Fatalf("Render error:\n%v\nwant:\n%s", err, want)
	}
	if !errors.Is(err, ErrNullTime) {
		t.Fatalf("errors.Is(err, ErrNullTime) = false")
	}
}

func TestTemplateVariables(t *testing.T) {
	tmpl, err := CompileTemplate("${@b} ${@a + @b} ${[[ChatUser]].Name}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tmpl.Variables(), []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Variables() = %q, want %q", got, want)
	}
}

func TestFormat(t *testing.T) {
	ts := time.Date(2024, 5, 1, 14, 0, 0, 500, time.FixedZone("CEST", 2*3600))
	var nilTime *time.Time
	type record struct{ A int }
	tests := []struct {
		name string
		v    any
		want string
	}{
		{name: "nil", v: nil, want: ""},
		{name: "nil time pointer", v: nilTime, want: ""},
		{name: "time in UTC without fraction", v: ts, want: "2024-05-01T12:00:00Z"},
		{name: "time pointer", v: &ts, want: "2024-05-01T12:00:00Z"},
		{name: "int", v: 42, want: "42"},
		{name: "int64", v: int64(-7), want: "-7"},
		{name: "whole float", v: 2.0, want: "2"},
		{name: "float", v: 0.25, want: "0.25"},
		{name: "large float", v: 1e21, want: "1000000000000000000000"},
		{name: "float32", v: float32(1.5), want: "1.5"},
		{name: "bool", v: true, want: "true"},
		{name: "duration", v: 90 * time.Second, want: "1m30s"},
		{name: "nested list", v: []any{1, []any{"x", nil}, 2.5}, want: "1, x, , 2.5"},
		{name: "typed list", v: []string{"a", "b"}, want: "a, b"},
		{name: "map", v: map[string]any{"b": 1, "a": "x"}, want: `{"a":"x","b":1}`},
		{name: "struct", v: record{A: 1}, want: `{"A":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Format(tc.v); got != tc.want {
				t.Fatalf("Format(%#v) = %q, want %q", tc.v, got, tc.want)
			}
		})
	}
}
