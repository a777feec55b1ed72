package expression

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		opts       Options
		want       string
		wantVar    bool
		wantType   string
		wantErr    string
		wantOffset int
	}{
		{name: "entity field", src: "[[ConversationInfo]].LiveChatBlockedUntil", want: "[[ConversationInfo]].LiveChatBlockedUntil", wantType: "*time.Time"},
		{name: "entity field without brackets", src: "ConversationInfo.Blocked", want: "[[ConversationInfo]].Blocked", wantType: "bool"},
		{name: "surrounding spaces", src: "  [[ChatUser]].Name ", want: "[[ChatUser]].Name", wantType: "string"},
		{name: "variable", src: "@count", opts: Options{Vars: testVars}, want: "@count", wantVar: true, wantType: "interface {}"},
		{name: "bare variable", src: "count", opts: Options{Vars: testVars}, want: "@count", wantVar: true, wantType: "interface {}"},
		{name: "built-in variable", src: "@InternalActionResult", opts: Options{Vars: testVars}, want: "@InternalActionResult", wantVar: true, wantType: "interface {}"},
		{name: "unchecked variable", src: "@anything", want: "@anything", wantVar: true, wantType: "interface {}"},
		{
			name:    "misspelled field",
			src:     "[[ConversationInfo]].LiveChatBlockedUntl",
			wantErr: "1:22: [[ConversationInfo]] has no field LiveChatBlockedUntl (did you mean LiveChatBlockedUntil?)\n | [[ConversationInfo]].LiveChatBlockedUntl\n | .....................^",
		},
		{
			name:    "unknown entity",
			src:     "ChatUsr.Name",
			wantErr: "1:1: unknown entity [[ChatUsr]] (did you mean ChatUser?)\n | ChatUsr.Name\n | ^",
		},
		{
			name:    "whole entity",
			src:     "[[ChatUser]]",
			wantErr: `1:1: invalid assignment target "[[ChatUser]]": want [[Entity]].Field` + "\n | [[ChatUser]]\n | ^",
		},
		{
			name:    "whole entity without brackets",
			src:     "ChatUser",
			wantErr: "1:1: cannot assign to the whole entity [[ChatUser]]; assign to one of its fields\n | ChatUser\n | ^",
		},
		{
			name:    "undeclared variable",
			src:     "@cuont",
			opts:    Options{Vars: testVars},
			wantErr: "1:1: undeclared variable @cuont (did you mean @count?)\n | @cuont\n | ^",
		},
		{
			name:    "variable member",
			src:     "@a.b",
			wantErr: `1:1: invalid assignment target "@a.b": want @Name, [[Entity]].Field or Entity.Field` + "\n | @a.b\n | ^",
		},
		{
			name:    "expression",
			src:     "[[ChatUser]].Name + 1",
			wantErr: `1:1: invalid assignment target "[[ChatUser]].Name + 1": want @Name, [[Entity]].Field or Entity.Field` + "\n | [[ChatUser]].Name + 1\n | ^",
		},
		{name: "empty", src: " ", wantErr: "1:1: empty assignment target\n |  \n | ^"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTarget(tc.src, tc.opts)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseTarget(%q) = %v, want error", tc.src, got)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T, want *Error", err)
				}
				if err.Error() != tc.wantErr {
					t.Fatalf("error:\n%s\nwant:\n%s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want || got.IsVariable() != tc.wantVar || got.Type().String() != tc.wantType {
				t.Fatalf("got %s (variable %v, type %s), want %s (variable %v, type %s)",
					got, got.IsVariable(), got.Type(), tc.want, tc.wantVar, tc.wantType)
			}
		})
	}
}

func TestTargetCheck(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		value   string // expression whose Program.Type() is checked
		wantErr string
	}{
		{name: "null to time pointer", target: "[[ConversationInfo]].LiveChatBlockedUntil", value: "null"},
		{name: "GetDate to time pointer", target: "[[ConversationInfo]].LiveChatBlockedUntil", value: "GetDate()"},
		{name: "AddMinutes to time pointer", target: "[[ConversationInfo]].LiveChatBlockedUntil", value: "AddMinutes(GetDate, [[AgentFeedback]].BlockIntervalMinutes)"},
		{name: "time pointer to time pointer", target: "[[ChatActivityData]].LiveChatBlockedUntil", value: "[[ConversationInfo]].LiveChatBlockedUntil"},
		{name: "time pointer to time", target: "[[ConversationInfo]].StartedAt", value: "[[ChatActivityData]].LiveChatBlockedAt"},
		{name: "unknown type accepted at load", target: "[[ConversationInfo]].LiveChatBlockedUntil", value: "@unset"},
		{name: "float to int", target: "[[AgentFeedback]].BlockIntervalMinutes", value: "@count / 2"},
		{name: "int to int", target: "[[AgentFeedback]].Rating", value: "5"},
		{name: "string to string", target: "[[ChatUser]].Name", value: `"x"`},
		{name: "bool to bool", target: "[[ConversationInfo]].Blocked", value: "true"},
		{name: "anything to variable", target: "@count", value: "null"},
		{
			name:    "string to time pointer",
			target:  "[[ConversationInfo]].LiveChatBlockedUntil",
			value:   `"tomorrow"`,
			wantErr: "cannot assign string to [[ConversationInfo]].LiveChatBlockedUntil (time or null): type mismatch",
		},
		{
			name:    "null to bool",
			target:  "[[ConversationInfo]].Blocked",
			value:   "null",
			wantErr: "cannot assign null to [[ConversationInfo]].Blocked (bool): type mismatch",
		},
		{
			name:    "null to time",
			target:  "[[ConversationInfo]].StartedAt",
			value:   "null",
			wantErr: "cannot assign null to [[ConversationInfo]].StartedAt (time): type mismatch",
		},
		{
			name:    "number to string",
			target:  "[[ChatUser]].Name",
			value:   "1 + 1",
			wantErr: "cannot assign integer to [[ChatUser]].Name (string): type mismatch",
		},
		{
			name:    "time to bool",
			target:  "[[HelpdeskClient]].InQueue",
			value:   "GetDate()",
			wantErr: "cannot assign time to [[HelpdeskClient]].InQueue (bool): type mismatch",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target, err := ParseTarget(tc.target, Options{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(tc.value, Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = target.Check(p.Type())
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Check(%v) = %v, want nil", p.Type(), err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("Check(%v) = %v, want %q", p.Type(), err, tc.wantErr)
			}
			if !errors.Is(err, ErrTypeMismatch) {
				t.Fatalf("errors.Is(%v, ErrTypeMismatch) = false", err)
			}
		})
	}
}

func TestTargetSet(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		value   string
		get     func(*Env) any
		want    any
		wantErr string
	}{
		{
			name:   "self-unblock with null",
			target: "[[ConversationInfo]].LiveChatBlockedUntil", value: "null",
			get:  func(e *Env) any { return e.ConversationInfo.LiveChatBlockedUntil },
			want: (*time.Time)(nil),
		},
		{
			name:   "self-unblock with GetDate",
			target: "[[ConversationInfo]].LiveChatBlockedUntil", value: "GetDate()",
			get:  func(e *Env) any { return *e.ConversationInfo.LiveChatBlockedUntil },
			want: testNow,
		},
		{
			name:   "block for the feedback interval",
			target: "ConversationInfo.LiveChatBlockedUntil", value: "AddMinutes(GetDate, [[AgentFeedback]].BlockIntervalMinutes)",
			get:  func(e *Env) any { return *e.ConversationInfo.LiveChatBlockedUntil },
			want: testNow.Add(30 * time.Minute),
		},
		{
			name:   "copy time pointer",
			target: "[[ChatActivityData]].LiveChatBlockedUntil", value: "[[ConversationInfo]].LiveChatBlockedUntil",
			get: func(e *Env) any {
				// A copy, not the same pointer.
				return e.ChatActivityData.LiveChatBlockedUntil != e.ConversationInfo.LiveChatBlockedUntil &&
					e.ChatActivityData.LiveChatBlockedUntil.Equal(*e.ConversationInfo.LiveChatBlockedUntil)
			},
			want: true,
		},
		{
			name:   "whole float to int",
			target: "[[AgentFeedback]].BlockIntervalMinutes", value: "@count * 20 / 2",
			get:  func(e *Env) any { return e.AgentFeedback.BlockIntervalMinutes },
			want: 30,
		},
		{
			name:   "int to int",
			target: "[[AgentFeedback]].Rating", value: "4",
			get:  func(e *Env) any { return e.AgentFeedback.Rating },
			want: 4,
		},
		{
			name:   "int to int64",
			target: "[[ChatActivityData]].Version", value: "@count",
			get:  func(e *Env) any { return e.ChatActivityData.Version },
			want: int64(3),
		},
		{
			name:   "string",
			target: "[[ChatActivityData]].LiveChatBlockedReason", value: `"spam: " + Lower("LINKS")`,
			get:  func(e *Env) any { return e.ChatActivityData.LiveChatBlockedReason },
			want: "spam: links",
		},
		{
			name:   "bool",
			target: "[[ConversationInfo]].Blocked", value: "IsAfter([[ConversationInfo]].LiveChatBlockedUntil, GetDate)",
			get:  func(e *Env) any { return e.ConversationInfo.Blocked },
			want: true,
		},
		{
			name:   "variable",
			target: "@result", value: `"ok"`,
			get:  func(e *Env) any { return e.Vars["result"] },
			want: "ok",
		},
		{
			name:   "variable stores time value, not pointer",
			target: "@until", value: "[[ConversationInfo]].LiveChatBlockedUntil",
			get:  func(e *Env) any { return e.Vars["until"] },
			want: testNow.Add(time.Hour),
		},
		{
			name:   "variable stores null time as null",
			target: "@until", value: "[[ChatActivityData]].LiveChatBlockedUntil",
			get: func(e *Env) any {
				v, ok := e.Vars["until"]
				return ok && v == nil
			},
			want: true,
		},
		{
			name:   "fractional float to int",
			target: "[[AgentFeedback]].BlockIntervalMinutes", value: "@ratio",
			wantErr: "setting [[AgentFeedback]].BlockIntervalMinutes: cannot assign 1.5 to integer: not a whole number in range: type mismatch",
		},
		{
			name:   "dynamic string to time",
			target: "[[ConversationInfo]].LiveChatBlockedUntil", value: "@LastUserMessage",
			wantErr: `setting [[ConversationInfo]].LiveChatBlockedUntil: cannot assign string "  I want a REFUND  " to time or null: type mismatch`,
		},
		{
			name:   "dynamic null to bool",
			target: "[[ConversationInfo]].Blocked", value: "@unset",
			wantErr: "setting [[ConversationInfo]].Blocked: cannot assign null to bool: type mismatch",
		},
		{
			name:   "null time pointer to time",
			target: "[[ConversationInfo]].StartedAt", value: "[[ChatActivityData]].LiveChatBlockedAt",
			wantErr: "setting [[ConversationInfo]].StartedAt: cannot assign null to time: type mismatch",
		},
	}
	var r Runner
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target, err := ParseTarget(tc.target, Options{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(tc.value, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := target.Check(p.Type()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			env := testEnv()
			v, err := r.Run(p, env)
			if err != nil {
				t.Fatal(err)
			}
			before := *env.ConversationInfo
			err = target.Set(env, v)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Set(%#v) = %v, want %q", v, err, tc.wantErr)
				}
				if !errors.Is(err, ErrTypeMismatch) {
					t.Fatalf("errors.Is(%v, ErrTypeMismatch) = false", err)
				}
				if !reflect.DeepEqual(before, *env.ConversationInfo) {
					t.Fatalf("failed Set changed the entity")
				}
				return
			}
			if err != nil {
				t.Fatalf("Set(%#v): %v", v, err)
			}
			if got := tc.get(env); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("after Set(%#v): got %#v, want %#v", v, got, tc.want)
			}
		})
	}
}

func TestTargetSetVarsMapCreated(t *testing.T) {
	target, err := ParseTarget("@x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv()
	env.Vars = nil
	if err := target.Set(env, 1); err != nil {
		t.Fatal(err)
	}
	if env.Vars["x"] != 1 {
		t.Fatalf("Vars = %v, want x=1", env.Vars)
	}
}

func TestTargetSetMissingEntity(t *testing.T) {
	target, err := ParseTarget("[[ChatUser]].Name", Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv()
	env.ChatUser = nil
	err = target.Set(env, "x")
	if want := "setting [[ChatUser]].Name: [[ChatUser]] is not available in this turn"; err == nil || err.Error() != want {
		t.Fatalf("Set = %v, want %q", err, want)
	}
}
