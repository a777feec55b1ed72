package expression

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// testEnv returns a fresh environment: the anonymous user of the
// conversation is blocked for another hour; ChatActivityData has no block.
func testEnv() *Env {
	until := testNow.Add(time.Hour)
	return &Env{
		ConversationInfo: &contextstore.ConversationInfo{
			ConversationID:       "c1",
			Channel:              "webchat",
			StartedAt:            testNow.Add(-10 * time.Minute),
			LiveChatBlockedUntil: &until,
		},
		ChatUser:         &contextstore.ChatUser{Name: "Ann Lee", Email: "ann@example.com"},
		ChatActivityData: &contextstore.ChatActivityData{UserID: "u1"},
		AgentFeedback:    &contextstore.AgentFeedback{AgentEmail: "bob@example.com", Block: true, BlockIntervalMinutes: 30},
		HelpdeskClient:   &contextstore.HelpdeskClient{},
		Vars: map[string]any{
			"InternalActionResult": false,
			"LastUserMessage":      "  I want a REFUND  ",
			"count":                3,
			"ratio":                1.5,
			"nested":               map[string]any{"b": "deep"},
			"list":                 []any{"a", "b"},
		},
		// A non-UTC clock: GetDate must still return UTC.
		Now: testNow.In(time.FixedZone("CEST", 2*3600)),
	}
}

var testVars = map[string]bool{"count": true, "ratio": true, "nested": true, "list": true, "unset": true, "Name": true}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
		want string
	}{
		{
			name: "misspelled field",
			src:  "[[ConversationInfo]].LiveChatBlockedUntl",
			want: "1:22: [[ConversationInfo]] has no field LiveChatBlockedUntl (did you mean LiveChatBlockedUntil?)\n" +
				" | [[ConversationInfo]].LiveChatBlockedUntl\n" +
				" | .....................^",
		},
		{
			name: "misspelled field in condition",
			src:  "[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntl > GetDate",
			want: "1:75: [[ConversationInfo]] has no field LiveChatBlockedUntl (did you mean LiveChatBlockedUntil?)\n" +
				" | [[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntl > GetDate\n" +
				" | ..........................................................................^",
		},
		{
			name: "misspelled field without brackets",
			src:  "ChatUser.Nmae",
			want: "1:10: [[ChatUser]] has no field Nmae (did you mean Name?)\n | ChatUser.Nmae\n | .........^",
		},
		{
			name: "misspelled entity",
			src:  "[[ConversationInf]].Channel",
			want: "1:3: unknown name ConversationInf (did you mean ConversationInfo?)\n | [[ConversationInf]].Channel\n | ..^",
		},
		{
			name: "undeclared variable",
			src:  `@Nmae == "x"`,
			opts: Options{Vars: testVars},
			want: "1:1: undeclared variable @Nmae (did you mean @Name?)\n | @Nmae == \"x\"\n | ^",
		},
		{
			name: "undeclared variable on second line",
			src:  "1 +\n\t@nope",
			opts: Options{Vars: testVars},
			want: "2:2: undeclared variable @nope\n |  @nope\n | .^",
		},
		{
			name: "undeclared variable written Vars.Name",
			src:  "Vars.cuont > 1",
			opts: Options{Vars: testVars},
			want: "1:6: undeclared variable @cuont (did you mean @count?)\n | Vars.cuont > 1\n | .....^",
		},
		{
			name: "syntax error",
			src:  "@count +",
			want: "1:8: unexpected token EOF\n | @count +\n | .......^",
		},
		{
			name: "unterminated string",
			src:  `Lower("abc)`,
			want: "1:7: unterminated string literal\n | Lower(\"abc)\n | ......^",
		},
		{
			name: "wrong argument type",
			src:  "Lower(42)",
			want: "1:7: cannot use int as argument (type string) to call Lower\n | Lower(42)\n | ......^",
		},
		{
			name: "null argument",
			src:  "AddMinutes(null, 5)",
			want: "1:12: cannot use null as argument (type time.Time) to call AddMinutes\n | AddMinutes(null, 5)\n | ...........^",
		},
		{
			name: "now is disabled",
			src:  "now()",
			want: "1:1: unknown name now\n | now()\n | ^",
		},
		{
			name: "repeat is disabled",
			src:  `repeat("x", 3)`,
			want: "1:1: unknown name repeat\n | repeat(\"x\", 3)\n | ^",
		},
		{
			name: "$env is not available",
			src:  `Lower($env.ChatUser.Name)`,
			want: "1:7: $env is not available in flow expressions\n | Lower($env.ChatUser.Name)\n | ......^",
		},
		{
			name: "clock is hidden",
			src:  "Now",
			want: "1:1: unknown name Now\n | Now\n | ^",
		},
		{
			name: "branch condition must be bool",
			src:  "[[ChatUser]].Name",
			opts: Options{Expect: KindBool},
			want: "1:1: expected a bool, got string\n | [[ChatUser]].Name\n | ^",
		},
		{
			name: "null is not a bool",
			src:  "null",
			opts: Options{Expect: KindBool},
			want: "1:1: expected a bool, got null\n | null\n | ^",
		},
		{
			name: "time expected",
			src:  "[[AgentFeedback]].BlockIntervalMinutes",
			opts: Options{Expect: KindTime},
			want: "1:1: expected a time, got integer\n | [[AgentFeedback]].BlockIntervalMinutes\n | ^",
		},
		{
			name: "too many nodes",
			src:  strings.Repeat("1+", MaxNodes) + "1",
			want: "1:1002: expression is too long (more than 1000 nodes)\n | " + strings.Repeat("1+", MaxNodes) + "1\n | " + strings.Repeat(".", 1001) + "^",
		},
		{
			name: "empty",
			src:  "",
			want: "1:1: unexpected token EOF",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.src, tc.opts)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want error", tc.src, p)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) error %T, want *Error", tc.src, err)
			}
			if err.Error() != tc.want {
				t.Fatalf("Compile(%q) error:\n%s\nwant:\n%s", tc.src, err, tc.want)
			}
			if e.Source != tc.src {
				t.Fatalf("Source = %q, want %q", e.Source, tc.src)
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	_, err := Compile("@count > 1 &&\n  [[ChatUser]].Nmae == \"é\"", Options{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T, want *Error", err)
	}
	want := Error{
		Source: "@count > 1 &&\n  [[ChatUser]].Nmae == \"é\"",
		Offset: 29, Line: 2, Column: 16,
		Msg: "[[ChatUser]] has no field Nmae (did you mean Name?)",
	}
	if *e != want {
		t.Fatalf("error = %#v, want %#v", *e, want)
	}
	if got, wantSnippet := e.Snippet(), "\n |   [[ChatUser]].Nmae == \"é\"\n | ...............^"; got != wantSnippet {
		t.Fatalf("Snippet() = %q, want %q", got, wantSnippet)
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want any
	}{
		{name: "blocked", src: "[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntil > GetDate", want: true},
		{name: "blocked expr notation", src: "ConversationInfo.LiveChatBlockedUntil != nil && ConversationInfo.LiveChatBlockedUntil > GetDate()", want: true},
		{name: "unset time equals null", src: "[[ChatActivityData]].LiveChatBlockedUntil == null", want: true},
		{name: "GetDate is UTC", src: "GetDate()", want: testNow},
		{name: "variable", src: "@count * 2", want: 6},
		{name: "variable float", src: "@ratio * 2", want: 3.0},
		{name: "variable member", src: "@nested.b", want: "deep"},
		{name: "declared unset variable is null", src: "@unset == null", want: true},
		{name: "built-in variable", src: "@InternalActionResult == false", want: true},
		{name: "string concat", src: `"Hi " + [[ChatUser]].Name + "!"`, want: "Hi Ann Lee!"},
		{name: "string with sugar inside", src: `"[[ChatUser]].Name is " + [[ChatUser]].Name`, want: "[[ChatUser]].Name is Ann Lee"},
		{name: "nil coalescing", src: `@unset ?? "default"`, want: "default"},
		{name: "in list", src: `"a" in @list`, want: true},
		{name: "expr builtin", src: `upper("x") + string(len(@list))`, want: "X2"},
		{name: "null literal", src: "null", want: nil},
	}
	var r Runner
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.src, Options{Vars: testVars})
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Run(p, testEnv())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Run(%q) = %#v, want %#v", tc.src, got, tc.want)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		opts   Options
		want   string
		target error
	}{
		{
			name: "null time compared",
			src:  "[[ChatActivityData]].LiveChatBlockedUntil > GetDate()",
			want: "1:43: invalid operation: null > time.Time\n | [[ChatActivityData]].LiveChatBlockedUntil > GetDate()\n | ..........................................^",
		},
		{
			name:   "MinutesBetween with null",
			src:    "MinutesBetween(GetDate, [[ChatActivityData]].LiveChatBlockedAt)",
			want:   "1:1: MinutesBetween: time is null (check it with IsNull first)\n | MinutesBetween(GetDate, [[ChatActivityData]].LiveChatBlockedAt)\n | ^",
			target: ErrNullTime,
		},
		{
			name:   "function on wrong run-time type",
			src:    "Lower(@count)",
			want:   "1:1: Lower: expected a string, got integer: type mismatch\n | Lower(@count)\n | ^",
			target: ErrTypeMismatch,
		},
		{
			name:   "dynamic result of wrong kind",
			src:    "@count",
			opts:   Options{Expect: KindBool},
			want:   "1:1: expected a bool, got integer\n | @count\n | ^",
			target: ErrTypeMismatch,
		},
		{
			name: "member of a non-map variable",
			src:  "@count.x",
			want: "1:8: cannot fetch x from int\n | @count.x\n | .......^",
		},
	}
	var r Runner
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.src, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Run(p, testEnv())
			if err == nil {
				t.Fatalf("Run(%q) = %#v, want error", tc.src, got)
			}
			if err.Error() != tc.want {
				t.Fatalf("Run(%q) error:\n%s\nwant:\n%s", tc.src, err, tc.want)
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tc.target)
			}
			// The Runner is still usable after an error.
			ok, _ := Compile("1 + 1", Options{})
			if v, err := r.Run(ok, testEnv()); err != nil || v != 2 {
				t.Fatalf("Run after error = %v, %v", v, err)
			}
		})
	}
}

func TestExpectAndType(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		expect   Kind
		wantType string
	}{
		{name: "bool", src: "IsNull(@unset)", expect: KindBool, wantType: "bool"},
		{name: "dynamic bool", src: "@unset", expect: KindBool, wantType: "interface {}"},
		{name: "string", src: "Upper([[ChatUser]].Name)", expect: KindString, wantType: "string"},
		{name: "int is a number", src: "[[AgentFeedback]].BlockIntervalMinutes / 2 + 1", expect: KindNumber, wantType: "float64"},
		{name: "time", src: "AddMinutes(GetDate, 5)", expect: KindTime, wantType: "time.Time"},
		{name: "time or null", src: "[[ConversationInfo]].LiveChatBlockedUntil", expect: KindTime, wantType: "*time.Time"},
		{name: "null time", src: "null", expect: KindTime, wantType: "<nil>"},
		{name: "any", src: "Coalesce(@unset, 1)", expect: KindAny, wantType: "interface {}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.src, Options{Vars: testVars, Expect: tc.expect})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(p.Type()); got != tc.wantType {
				t.Fatalf("Type() = %s, want %s", got, tc.wantType)
			}
			if p.Source() != tc.src {
				t.Fatalf("Source() = %q, want %q", p.Source(), tc.src)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	p, err := Compile("@ratio > 1 && @count > Length(@list) && @ratio < 2 || Vars.count == 0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Variables(), []string{"count", "list", "ratio"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Variables() = %q, want %q", got, want)
	}
}

// TestNotationsCompileToSameProgram checks the design's promise that the
// specification's notation and plain expr compile to the same bytecode.
func TestNotationsCompileToSameProgram(t *testing.T) {
	a, err := Compile("[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntil > GetDate && @count > 1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile("ConversationInfo.LiveChatBlockedUntil != nil && ConversationInfo.LiveChatBlockedUntil > GetDate() && Vars.count > 1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if da, db := a.prog.Disassemble(), b.prog.Disassemble(); da != db {
		t.Fatalf("programs differ:\n%s\nvs\n%s", da, db)
	}
}

// TestConcurrentRunners shares one Program among goroutines, each with its
// own Runner and Env (run with -race).
func TestConcurrentRunners(t *testing.T) {
	p, err := Compile(`IsAfter([[ConversationInfo]].LiveChatBlockedUntil, GetDate()) ? "blocked " + [[ConversationInfo]].ConversationID : "free " + [[ConversationInfo]].ConversationID`, Options{Expect: KindString})
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, iterations = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			var r Runner
			env := testEnv()
			id := fmt.Sprint("c", g)
			env.ConversationInfo.ConversationID = id
			if g%2 == 1 {
				env.ConversationInfo.LiveChatBlockedUntil = nil
			}
			want := "blocked " + id
			if g%2 == 1 {
				want = "free " + id
			}
			for range iterations {
				got, err := r.Run(p, env)
				if err != nil {
					errs <- err
					return
				}
				if got != want {
					errs <- fmt.Errorf("goroutine %d: got %v, want %v", g, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestPooledRunners uses Runners from a sync.Pool, as the executor does.
func TestPooledRunners(t *testing.T) {
	pool := sync.Pool{New: func() any { return new(Runner) }}
	p, err := Compile("@count + 1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				r := pool.Get().(*Runner)
				v, err := r.Run(p, testEnv())
				pool.Put(r)
				if err != nil || v != 4 {
					t.Errorf("Run = %v, %v; want 4", v, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
