package expression

import (
	"reflect"
	"testing"
	"time"
)

func TestFunctions(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want any
	}{
		{name: "GetDate", src: "GetDate()", want: testNow},
		{name: "GetDate bare", src: "GetDate", want: testNow},
		{name: "AddMinutes", src: "AddMinutes(GetDate(), 30)", want: testNow.Add(30 * time.Minute)},
		{name: "AddMinutes from int field", src: "AddMinutes(GetDate, [[AgentFeedback]].BlockIntervalMinutes)", want: testNow.Add(30 * time.Minute)},
		{name: "AddMinutes fractional", src: "AddMinutes(GetDate, 1.5)", want: testNow.Add(90 * time.Second)},
		{name: "AddMinutes negative", src: "AddMinutes(GetDate, -60)", want: testNow.Add(-time.Hour)},
		{name: "AddMinutes variable", src: "AddMinutes(GetDate, @count)", want: testNow.Add(3 * time.Minute)},
		{name: "AddMinutes pointer time", src: "AddMinutes([[ConversationInfo]].LiveChatBlockedUntil, 1)", want: testNow.Add(61 * time.Minute)},
		{name: "AddMinutes null time", src: "AddMinutes([[ChatActivityData]].LiveChatBlockedUntil, 1)", want: nil},
		{name: "AddHours", src: "AddHours(GetDate, 24)", want: testNow.Add(24 * time.Hour)},
		{name: "AddHours null time", src: "AddHours([[ChatActivityData]].LiveChatBlockedAt, 1) == null", want: true},
		{name: "AddDays", src: "AddDays(GetDate, 7)", want: testNow.AddDate(0, 0, 7)},
		{name: "AddDays fractional", src: "AddDays(GetDate, 1.5)", want: testNow.Add(36 * time.Hour)},
		{name: "AddDays null time", src: "AddDays(@unset, 1)", want: nil},
		{name: "MinutesBetween", src: "MinutesBetween(GetDate, [[ConversationInfo]].LiveChatBlockedUntil)", want: 60},
		{name: "MinutesBetween negative", src: "MinutesBetween([[ConversationInfo]].StartedAt, AddMinutes(GetDate, -30))", want: -20},
		{name: "MinutesBetween truncates", src: "MinutesBetween(GetDate, AddMinutes(GetDate, 1.99))", want: 1},
		{name: "IsBefore", src: "IsBefore([[ConversationInfo]].StartedAt, GetDate)", want: true},
		{name: "IsBefore null", src: "IsBefore([[ChatActivityData]].LiveChatBlockedUntil, GetDate)", want: false},
		{name: "IsAfter active block", src: "IsAfter([[ConversationInfo]].LiveChatBlockedUntil, GetDate())", want: true},
		{name: "IsAfter null", src: "IsAfter([[ChatActivityData]].LiveChatBlockedUntil, GetDate())", want: false},
		{name: "IsAfter null second", src: "IsAfter(GetDate(), @unset)", want: false},
		{name: "IsAfter equal", src: "IsAfter(GetDate, GetDate)", want: false},
		{name: "IsNull nil time pointer", src: "IsNull([[ChatActivityData]].LiveChatBlockedUntil)", want: true},
		{name: "IsNull set time pointer", src: "IsNull([[ConversationInfo]].LiveChatBlockedUntil)", want: false},
		{name: "IsNull literal", src: "IsNull(null)", want: true},
		{name: "IsNull unset variable", src: "IsNull(@unset)", want: true},
		{name: "IsNull empty string", src: `IsNull("")`, want: false},
		{name: "IsNull zero", src: "IsNull(0)", want: false},
		{name: "IsEmpty null", src: "IsEmpty(@unset)", want: true},
		{name: "IsEmpty nil time pointer", src: "IsEmpty([[ChatActivityData]].LiveChatBlockedAt)", want: true},
		{name: "IsEmpty empty string", src: "IsEmpty([[ChatUser]].UserID)", want: true},
		{name: "IsEmpty space", src: `IsEmpty(" ")`, want: false},
		{name: "IsEmpty trimmed space", src: `IsEmpty(Trim(" "))`, want: true},
		{name: "IsEmpty empty list", src: "IsEmpty([])", want: true},
		{name: "IsEmpty empty map", src: "IsEmpty({})", want: true},
		{name: "IsEmpty list", src: "IsEmpty(@list)", want: false},
		{name: "IsEmpty zero", src: "IsEmpty(0)", want: false},
		{name: "Coalesce first", src: `Coalesce("a", "b")`, want: "a"},
		{name: "Coalesce skips null", src: `Coalesce(@unset, [[ChatActivityData]].LiveChatBlockedAt, "x")`, want: "x"},
		{name: "Coalesce keeps empty string", src: `Coalesce([[ChatUser]].UserID, "x")`, want: ""},
		{name: "Coalesce all null", src: "Coalesce(null, @unset)", want: nil},
		{name: "Coalesce one", src: "Coalesce(1)", want: 1},
		{name: "Lower", src: "Lower([[ChatUser]].Name)", want: "ann lee"},
		{name: "Lower null", src: "Lower(@unset)", want: ""},
		{name: "Upper", src: `Upper("héllo")`, want: "HÉLLO"},
		{name: "Trim", src: "Trim(@LastUserMessage)", want: "I want a REFUND"},
		{name: "Contains", src: `Contains(Lower(@LastUserMessage), "refund")`, want: true},
		{name: "Contains is case-sensitive", src: `Contains(@LastUserMessage, "refund")`, want: false},
		{name: "Contains null", src: `Contains(@unset, "x")`, want: false},
		{name: "StartsWith", src: `StartsWith([[ConversationInfo]].Channel, "web")`, want: true},
		{name: "StartsWith false", src: `StartsWith([[ConversationInfo]].Channel, "api")`, want: false},
		{name: "EndsWith", src: `EndsWith([[ChatUser]].Email, "@example.com")`, want: true},
		{name: "Length string counts characters", src: `Length("héllo")`, want: 5},
		{name: "Length list", src: "Length(@list)", want: 2},
		{name: "Length map", src: "Length(@nested)", want: 1},
		{name: "Length null", src: "Length(@unset)", want: 0},
		{name: "Length entity string", src: "Length([[ChatUser]].Name)", want: 7},
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

// TestDocExamples compiles every example of doc.go, so that the
// documentation cannot drift from the language.
func TestDocExamples(t *testing.T) {
	examples := []string{
		"[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntil > GetDate()",
		"IsAfter([[ConversationInfo]].LiveChatBlockedUntil, GetDate())",
		"AddMinutes(GetDate(), 30)",
		"AddMinutes(GetDate(), [[AgentFeedback]].BlockIntervalMinutes)",
		"AddHours(GetDate(), 24)",
		"AddDays([[ConversationInfo]].StartedAt, 7)",
		"MinutesBetween(GetDate(), [[ConversationInfo]].LiveChatBlockedUntil) > 60",
		"IsBefore([[ChatActivityData]].LiveChatBlockedUntil, GetDate())",
		"IsNull([[ConversationInfo]].LiveChatBlockedUntil)",
		"IsEmpty(@LastUserMessage)",
		"Coalesce(@PreferredName, [[ChatUser]].Name)",
		`Lower(Trim(@LastUserMessage)) == "agent"`,
		`Contains(Lower(@LastUserMessage), "refund")`,
		`StartsWith([[ConversationInfo]].Channel, "web")`,
		"Length(Trim(@LastUserMessage)) > 0",
		"null",
		"GetDate()",
		"@InternalActionResult == true",
	}
	vars := map[string]bool{"PreferredName": true}
	for _, src := range examples {
		t.Run(src, func(t *testing.T) {
			p, err := Compile(src, Options{Vars: vars})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := new(Runner).Run(p, testEnv()); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, tmpl := range []string{
		"Hello ${[[ChatUser]].Name}!",
		"You can chat again after ${[[ConversationInfo]].LiveChatBlockedUntil}.",
	} {
		t.Run(tmpl, func(t *testing.T) {
			if _, err := CompileTemplate(tmpl, Options{Vars: vars}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
