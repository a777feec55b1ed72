package expression

import (
	"reflect"
	"testing"
)

// dialectVars are the declared variables of the dialect tests, with the
// types a flow would give them.
var (
	dialectVars     = map[string]bool{"Flag": true, "Name": true, "N": true, "list": true, "x": true, "Count": true, "When": true}
	dialectVarTypes = map[string]reflect.Type{
		"Flag": reflect.TypeFor[bool](),
		"Name": reflect.TypeFor[string](),
		"N":    reflect.TypeFor[float64](),
		"list": reflect.TypeFor[[]any](),
	}
)

func dialectOpts() Options { return Options{Vars: dialectVars, VarTypes: dialectVarTypes} }

// TestDialectTranslated runs each DRUID form that has a meaning here and
// its native twin against the same environment: both give the same value.
func TestDialectTranslated(t *testing.T) {
	tests := []struct {
		name   string
		druid  string
		native string
		vars   map[string]any
		want   any
	}{
		{name: "toLowerCase on a field", druid: `[[ChatUser]].Name.toLowerCase() == "ann lee"`, native: `Lower([[ChatUser]].Name) == "ann lee"`, want: true},
		{name: "toUpperCase on a field", druid: `[[ChatUser]].Name.toUpperCase()`, native: `Upper([[ChatUser]].Name)`, want: "ANN LEE"},
		{name: "toLowerCase on a variable", druid: `@LastUserMessage.toLowerCase()`, native: `Lower(@LastUserMessage)`, want: "  i want a refund  "},
		{name: "toLowerCase on an unset variable", druid: `@x.toLowerCase() == ""`, native: `Lower(@x) == ""`, want: true},
		{name: "chained", druid: `[[ChatUser]].Name.toUpperCase().toLowerCase()`, native: `Lower(Upper([[ChatUser]].Name))`, want: "ann lee"},
		{name: "Count of a list variable", druid: `@list.Count > 0`, native: `Length(@list) > 0`, want: true},
		{name: "Count of an unset variable", druid: `@x == null || @x.Count == 0`, native: `@x == null || Length(@x) == 0`, want: true},
		{name: "Count of a list literal", druid: `[1, 2, 3].Count`, native: `Length([1, 2, 3])`, want: 3},
		{name: "variable called Count", druid: `@Count == null`, native: `IsNull(@Count)`, want: true},
		{name: "true.toString() with a true result", druid: `@InternalActionResult == true.toString()`, native: `@InternalActionResult == true`,
			vars: map[string]any{"InternalActionResult": true}, want: true},
		{name: "true.toString() with a false result", druid: `@InternalActionResult == true.toString()`, native: `@InternalActionResult == true`, want: false},
		{name: "false.toString() on the left", druid: `false.toString() != @InternalActionResult`, native: `@InternalActionResult != false`, want: false},
		{name: "toString of a number field", druid: `[[AgentFeedback]].BlockIntervalMinutes.toString()`, native: `ToString([[AgentFeedback]].BlockIntervalMinutes)`, want: "30"},
		{name: "toString compared with text", druid: `[[AgentFeedback]].Block.toString() == "true"`, native: `ToString([[AgentFeedback]].Block) == "true"`, want: true},
		{name: "sugar inside strings untouched", druid: `"x.toLowerCase()" + 'true.toString()'`, native: `"x.toLowerCase()" + 'true.toString()'`, want: "x.toLowerCase()true.toString()"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]any
			for i, src := range []string{tc.druid, tc.native} {
				p, err := Compile(src, dialectOpts())
				if err != nil {
					t.Fatalf("Compile(%q): %v", src, err)
				}
				env := testEnv()
				for k, v := range tc.vars {
					env.Vars[k] = v
				}
				var r Runner
				if got[i], err = r.Run(p, env); err != nil {
					t.Fatalf("Run(%q): %v", src, err)
				}
			}
			if !reflect.DeepEqual(got[0], tc.want) || !reflect.DeepEqual(got[1], tc.want) {
				t.Errorf("DRUID %q = %#v, native %q = %#v; want %#v", tc.druid, got[0], tc.native, got[1], tc.want)
			}
		})
	}
}

// TestDialectErrors checks the forms that cannot work: each is a compile
// error with the caret under what the author wrote.
func TestDialectErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{
			name: "bool variable against 'true'",
			src:  `@Flag == 'true'`,
			want: "1:7: @Flag is a bool and never equals a string (write true, without quotes)\n | @Flag == 'true'\n | ......^",
		},
		{
			name: "'false' on the left",
			src:  `'false' != @Flag`,
			want: "1:9: @Flag is a bool and never equals a string (write false, without quotes)\n | 'false' != @Flag\n | ........^",
		},
		{
			name: "bool field against 'true'",
			src:  `[[ChatUser]].IsAuthenticated == "true"`,
			want: "1:30: [[ChatUser]].IsAuthenticated is a bool and never equals a string (write true, without quotes)\n | [[ChatUser]].IsAuthenticated == \"true\"\n | .............................^",
		},
		{
			name: "number variable against text",
			src:  `@N == "1"`,
			want: "1:4: @N is a number and never equals a string\n | @N == \"1\"\n | ...^",
		},
		{
			name: "text variable against a bool field",
			src:  `@Name != [[ChatUser]].IsAuthenticated`,
			want: "1:7: @Name is a string and never equals a bool\n | @Name != [[ChatUser]].IsAuthenticated\n | ......^",
		},
		{
			name: "two variables of different kinds",
			src:  `@Flag == @Name`,
			want: "1:7: @Flag is a bool and never equals a string\n | @Flag == @Name\n | ......^",
		},
		{
			name: "toLowerCase on a bool variable",
			src:  `@Flag.toLowerCase() == "true"`,
			want: "1:7: toLowerCase() works on text, but @Flag is a bool (write Lower(...) of a text value)\n | @Flag.toLowerCase() == \"true\"\n | ......^",
		},
		{
			name: "toUpperCase on a number field",
			src:  `[[AgentFeedback]].Rating.toUpperCase()`,
			want: "1:26: toUpperCase() works on text, but [[AgentFeedback]].Rating is an integer (write Upper(...) of a text value)\n | [[AgentFeedback]].Rating.toUpperCase()\n | .........................^",
		},
		{
			name: "toLowerCase with an argument",
			src:  `[[ChatUser]].Name.toLowerCase("en")`,
			want: "1:19: toLowerCase() takes no arguments\n | [[ChatUser]].Name.toLowerCase(\"en\")\n | ..................^",
		},
		{
			name: "Count on text",
			src:  `[[ChatUser]].Name.Count > 0`,
			want: "1:19: .Count is the number of items of a list, but [[ChatUser]].Name is a string (write Length(x) for the length of text)\n | [[ChatUser]].Name.Count > 0\n | ..................^",
		},
		{
			name: "Count on a text variable",
			src:  `@Name.Count`,
			want: "1:7: .Count is the number of items of a list, but @Name is a string (write Length(x) for the length of text)\n | @Name.Count\n | ......^",
		},
		{
			name: "C# method on an untyped variable",
			src:  `@x.Trim() == ""`,
			want: "1:4: @x is a flow variable: its value (text, number, bool, list, map or time) has no method Trim (write Trim(x))\n | @x.Trim() == \"\"\n | ...^",
		},
		{
			name: "JavaScript method on a text variable",
			src:  `@Name.includes("refund")`,
			want: "1:7: @Name is a string: it has no method includes (write Contains(x, y))\n | @Name.includes(\"refund\")\n | ......^",
		},
		{
			name: "method on a field is expr's error",
			src:  `[[ChatUser]].Name.Trim()`,
			want: "1:19: type string has no method Trim\n | [[ChatUser]].Name.Trim()\n | ..................^",
		},
		{
			name: "on the second line",
			src:  "@Name != null &&\n  @Flag == 'true'",
			want: "2:9: @Flag is a bool and never equals a string (write true, without quotes)\n |   @Flag == 'true'\n | ........^",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.src, dialectOpts())
			if err == nil {
				t.Fatalf("Compile(%q) succeeded, want error", tc.src)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Compile(%q) error:\n%s\nwant:\n%s", tc.src, got, tc.want)
			}
		})
	}
}

// TestDialectUntypedVariablesPass: without a known type nothing is
// claimed; times have methods.
func TestDialectUntypedVariablesPass(t *testing.T) {
	for _, src := range []string{
		`@x == 'true'`,
		`@x == 1 || @x == "1"`,
		`@When.Unix() > 0`,
		`@Flag == true`,
		`@Flag == null`,
		`@Name == "x"`,
	} {
		if _, err := Compile(src, dialectOpts()); err != nil {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}
}

func TestFormatDecimal(t *testing.T) {
	tests := []struct {
		x      any
		format string
		want   string
	}{
		{1234.5, "#,#0.00", "1,234.50"},
		{1234567.891, "#,#0.00", "1,234,567.89"},
		{0.5, "#,#0.00", "0.50"},
		{-1234.5, "#,##0.0", "-1,234.5"},
		{1234.5, "0", "1235"},
		{1234.5, "#,#", "1,235"},
		{1.5, "0.##", "1.5"},
		{2, "0.##", "2"},
		{-0.001, "0.00", "0.00"},
		{7, "000", "007"},
		{nil, "0.00", ""},
	}
	for _, tc := range tests {
		got, err := formatDecimal(tc.x, tc.format)
		if err != nil || got != tc.want {
			t.Errorf("FormatDecimal(%v, %q) = %v, %v; want %q", tc.x, tc.format, got, err, tc.want)
		}
	}
	if _, err := formatDecimal(1.0, "#,#0.00 €"); err == nil || err.Error() != `FormatDecimal: unsupported format "#,#0.00 €" (use the digits 0 and #, a ',' for thousands and a '.' before the decimals): type mismatch` {
		t.Errorf("unsupported format: %v", err)
	}
}

func TestCompileMessage(t *testing.T) {
	tests := []struct {
		name, src, want, wantErr string
	}{
		{name: "bare field", src: "Hello [[ChatUser]].Name.", want: "Hello Ann Lee."},
		{name: "bare field and ${}", src: "[[ChatUser]].Name (${[[ChatUser]].Email})", want: "Ann Lee (ann@example.com)"},
		{name: "bare time field", src: "Blocked until [[ConversationInfo]].LiveChatBlockedUntil!", want: "Blocked until 2024-05-01T13:00:00Z!"},
		{name: "not an entity stays text", src: "see [[wiki]] and [x] and {x}", want: "see [[wiki]] and [x] and {x}"},
		{name: "unclosed merge field stays text", src: "a {{ b", want: "a {{ b"},
		{name: "escaped", src: `${"{{"}x}} $${y}`, want: "{{x}} ${y}"},
		{
			name:    "merge field with a helper",
			src:     `Pay {{FormatDecimal [[ChatUser]].Name format="#,#0.00"}} now`,
			wantErr: "1:5: {{...}} merge fields are DRUID syntax and would be sent as written: write ${FormatDecimal([[ChatUser]].Name, \"#,#0.00\")}\n | Pay {{FormatDecimal [[ChatUser]].Name format=\"#,#0.00\"}} now\n | ....^",
		},
		{
			name:    "merge field of a value",
			src:     "Hi {{ [[ChatUser]].Name }}",
			wantErr: "1:4: {{...}} merge fields are DRUID syntax and would be sent as written: write ${[[ChatUser]].Name}\n | Hi {{ [[ChatUser]].Name }}\n | ...^",
		},
		{
			name:    "merge field with an unknown helper",
			src:     `{{FormatDate [[ConversationInfo]].StartedAt format="d"}}`,
			wantErr: "1:1: {{...}} merge fields are DRUID syntax and would be sent as written, and there is no function FormatDate: write ${...} with an expression\n | {{FormatDate [[ConversationInfo]].StartedAt format=\"d\"}}\n | ^",
		},
		{
			name:    "block helper",
			src:     "x {{#if [[ChatUser]].Name}}y{{/if}}",
			wantErr: "1:3: {{...}} merge fields are DRUID syntax and would be sent as written: blocks such as {{#if}} and {{#each}} are not supported (use a branch step)\n | x {{#if [[ChatUser]].Name}}y{{/if}}\n | ..^",
		},
		{
			name:    "bare entity without a field",
			src:     "Dear [[ChatUser]],",
			wantErr: "1:6: [[ChatUser]] in text needs a field, as in [[ChatUser]].Name\n | Dear [[ChatUser]],\n | .....^",
		},
		{
			name:    "bare field misspelled",
			src:     "Dear [[ChatUser]].Nmae,",
			wantErr: "1:19: [[ChatUser]] has no field Nmae (did you mean Name?)\n | Dear [[ChatUser]].Nmae,\n | ..................^",
		},
		{
			name:    "bare field of an unknown entity",
			src:     "Your [[Product]].Name",
			wantErr: "1:8: unknown name Product\n | Your [[Product]].Name\n | .......^",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := CompileMessage(tc.src, Options{})
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("CompileMessage(%q) succeeded, want error", tc.src)
				}
				if err.Error() != tc.wantErr {
					t.Errorf("error:\n%s\nwant:\n%s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var r Runner
			got, err := tmpl.Render(&r, testEnv())
			if err != nil || got != tc.want {
				t.Errorf("Render = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	// CompileTemplate (set values, action parameters) keeps text as written.
	tmpl, err := CompileTemplate("[[ChatUser]].Name {{x}}", Options{})
	if err != nil || !tmpl.IsLiteral() {
		t.Errorf("CompileTemplate interpolated DRUID forms: %v", err)
	}
}
