// Package expression compiles and evaluates the expressions of chatflow
// flows: branch conditions, computed values of set steps and action
// parameters, and ${...} interpolations in text.
//
// Expressions are expr-lang (https://expr-lang.org) with a little syntax
// sugar for the notation of the product specification. They are compiled
// once, when a flow is loaded, and type-checked against the entities, so a
// misspelled entity or field is a load error with a caret under it rather
// than a silent null at run time. A compiled Program is shared by all
// conversations; a Runner (one per goroutine) evaluates it against the Env
// of one turn.
//
// # Writing expressions (for bot authors)
//
// In a flow, a value that starts with '=' is an expression; anything else is
// literal text, in which ${...} interpolates an expression. For example (the
// step syntax itself is described by package flows):
//
//	set [[ConversationInfo]].LiveChatBlockedUntil to  =null
//	say                                              Hello ${[[ChatUser]].Name}!
//
// Entities are written [[Entity]].Field (or Entity.Field, the same thing).
// Flows never see the visitor's IP address in clear: a context keeps it
// sealed, and VisitorIPHash (a keyed hash, "" when unknown) is what a flow
// may compare:
//
//	[[ConversationInfo]]  ConversationID, Channel, StartedAt, VisitorIPHash, Language,
//	                      LiveChatBlockedUntil (time or null), Blocked, MarkedSpam
//	[[ChatUser]]          UserID, Name, Email, IsAuthenticated
//	[[ChatActivityData]]  UserID, LiveChatBlockedUntil, LiveChatBlockedReason,
//	                      LiveChatBlockedAt, LiveChatBlockedByAgentName, Version
//	[[AgentFeedback]]     AgentEmail, Block, ReasonCategory, Notes,
//	                      BlockIntervalMinutes, Rating
//	[[HelpdeskClient]]    IsBlockedForLiveChat, IsOutsideWorkingHours, InQueue,
//	                      AgentConnected, AgentEmail, Queue
//
// Flow variables are written @Name. A variable must be declared by the flow
// (the loader reports an undeclared @Name with a caret under it); one that
// was declared but never set is null. Two variables always exist:
//
//	@InternalActionResult  the result of the last action step, e.g. the true or false
//	                       of ConnectToHelpdeskAgent
//	@LastUserMessage       the text of the last message the user sent
//
// null is the absence of a value (a time that is not set, a variable that
// was never set). GetDate and GetDate() both mean the current time of the
// turn: every expression in one turn sees the same time, and tests can fix
// it. The expr function now() is disabled because it would read the wall
// clock.
//
// The rest is expr: literals ("text", 'text', `raw text`, 42, 1.5, true,
// [1, 2], {"a": 1}), arithmetic (+ - * / % **), comparison (== != < <= > >=),
// logic (&& || ! and or not), the conditional a ? b : c, membership (x in
// list), string operators (contains, startsWith, endsWith, matches), null
// handling (a ?? b, a?.b), and expr's own built-in functions (len, upper,
// lower, trim, split, join, filter, map, any, all, date, duration, ...;
// now and repeat are disabled, and so is $env).
// Comments are written // ... or /* ... */.
//
// Type errors are load errors: [[ConversationInfo]].LiveChatBlockedUntl
// (a misspelling), Lower(42), or a branch condition that is not true or
// false. Values whose type is only known at run time (@Name) are checked
// when the expression runs.
//
// # Times and null
//
// Comparisons work on set times: [[ConversationInfo]].LiveChatBlockedUntil >
// GetDate() is true while a block lasts. But comparing a null time with
// < <= > >= is an error when the flow runs ("invalid operation: null >
// time.Time"), so test for null first, or use IsAfter/IsBefore, which are
// false when either time is null:
//
//	[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntil > GetDate()
//	IsAfter([[ConversationInfo]].LiveChatBlockedUntil, GetDate())   // the same, shorter
//
// == null and != null work on any value.
//
// # Functions
//
// GetDate() returns the current time of the turn, in UTC.
//
//	AddMinutes(GetDate(), 30)
//
// AddMinutes(t, n) returns t plus n minutes; n may be negative or
// fractional. A null t gives null.
//
//	AddMinutes(GetDate(), [[AgentFeedback]].BlockIntervalMinutes)
//
// AddHours(t, n) returns t plus n hours. A null t gives null.
//
//	AddHours(GetDate(), 24)
//
// AddDays(t, n) returns t plus n calendar days (whole days keep the time of
// day; a fraction is added as hours). A null t gives null.
//
//	AddDays([[ConversationInfo]].StartedAt, 7)
//
// MinutesBetween(a, b) returns the whole minutes from a to b (negative when
// b is before a), truncated toward zero. A null time is an error: check it
// with IsNull first.
//
//	MinutesBetween(GetDate(), [[ConversationInfo]].LiveChatBlockedUntil) > 60
//
// IsBefore(a, b) reports whether time a is before time b; false if either
// is null.
//
//	IsBefore([[ChatActivityData]].LiveChatBlockedUntil, GetDate())
//
// IsAfter(a, b) reports whether time a is after time b; false if either is
// null. IsAfter(until, GetDate()) is "the block is active".
//
//	IsAfter([[ConversationInfo]].LiveChatBlockedUntil, GetDate())
//
// IsNull(x) reports whether x is null (including a time that is not set).
//
//	IsNull([[ConversationInfo]].LiveChatBlockedUntil)
//
// IsEmpty(x) reports whether x is null, the empty string "", or an empty
// list or map. " " (a space) is not empty; use IsEmpty(Trim(x)).
//
//	IsEmpty(@LastUserMessage)
//
// Coalesce(a, b, ...) returns the first argument that is not null, or null.
// "" is not null; use IsEmpty to test for blank text.
//
//	Coalesce(@PreferredName, [[ChatUser]].Name)
//
// Lower(s) and Upper(s) return s in lower or upper case; Trim(s) removes
// leading and trailing white space. A null value (an unset variable) gives
// "".
//
//	Lower(Trim(@LastUserMessage)) == "agent"
//
// Contains(s, sub), StartsWith(s, prefix) and EndsWith(s, suffix) test
// strings, case-sensitively (combine with Lower for a case-insensitive
// test). A null string counts as "".
//
//	Contains(Lower(@LastUserMessage), "refund")
//	StartsWith([[ConversationInfo]].Channel, "web")
//
// Length(x) returns the number of characters of a string, or of items of a
// list or map; null has length 0.
//
//	Length(Trim(@LastUserMessage)) > 0
//
// ToString(x) returns x as text, the way templates show it (true, 30,
// 2024-05-01T12:00:00Z; null is "").
//
//	ToString([[AgentFeedback]].BlockIntervalMinutes) == "30"
//
// FormatDecimal(n, format) formats a number with the subset of .NET
// custom numeric formats that DRUID's merge fields use: '0' is a digit
// always shown, '#' one shown when needed, a ',' in the integer part
// groups thousands, the digits after '.' are the decimals (rounded half
// away from zero). A null n gives "".
//
//	FormatDecimal(1234.5, "#,#0.00")   // "1,234.50"
//
// # Coming from DRUID
//
// DRUID's expression dialect is translated where it has a clear meaning:
//
//	x.toLowerCase()   Lower(x)      x must be text (or a variable)
//	x.toUpperCase()   Upper(x)
//	x.toString()      ToString(x)   and a == or != with a .toString() side
//	                                compares both sides as text, as DRUID
//	                                does: @InternalActionResult ==
//	                                true.toString() holds when the action
//	                                returned true
//	x.Count           Length(x)     x a list, a map or a variable
//
// Comparing values of different kinds is a compile error, because it is
// never true: a bool field or variable against 'true', a number against
// "1". Variables are checked when Options.VarTypes gives their type. A
// method call on a flow variable is an error unless its value can have the
// method (only times have methods).
//
// In message text (CompileMessage), a bare [[Entity]].Field is
// interpolated, and a {{...}} merge field is an error that names the
// native ${...} form.
//
// # Templates
//
// In text, ${...} holds an expression; "$${" writes a literal "${". Values
// are shown readably: null as nothing, times as RFC 3339 in UTC
// (2024-05-01T12:00:00Z), numbers without trailing zeros (1.5, 2), true and
// false, lists as "a, b, c". See Format.
//
//	You can chat again after ${[[ConversationInfo]].LiveChatBlockedUntil}.
//
// # Assignments
//
// The left side of a set step is a Target: [[Entity]].Field (or
// Entity.Field) or @Name (or a bare Name, meaning a variable). The value's
// type is checked at load: a string cannot go into a time field, and null
// only into fields that may be unset (times such as LiveChatBlockedUntil).
// Numbers convert (a whole number into an integer field), and a time goes
// into a time-or-null field. Self-unblocking an anonymous user is either of
//
//	set [[ConversationInfo]].LiveChatBlockedUntil to  =null
//	set [[ConversationInfo]].LiveChatBlockedUntil to  =GetDate()
//
// # Limits
//
// An expression may have at most MaxNodes (1000) syntax-tree nodes; longer
// ones are a load error. expr also caps the memory of the lists, maps and
// ranges one evaluation builds (about a million items), and repeat() is
// disabled because it bypasses that cap. These limits stop accidents, not
// a hostile author: expr does not charge string concatenation, so an
// expression that doubles a string in a chain of let bindings can still
// exhaust memory. Flows are written by trusted bot authors.
//
// # Design notes (for Go callers)
//
// Translate rewrites the notation to expr syntax ([[E]].F -> E.F, @N ->
// Vars.N, null -> nil, bare GetDate -> GetDate()) without touching string
// literals or comments, and returns a PosMap so that every error, at
// compile or run time, is an *Error located in the text the author wrote.
// Both notations compile to the same program.
//
// Programs are compiled against expr.Env(&Env{}): the entity pointers and
// Vars are the names in scope; Env.Now is hidden with an `expr:"-"` tag and
// $env is rejected, so the clock is reachable only through GetDate(). The
// functions are expr.Function options with declared signatures, so their
// arguments are type-checked; GetDate() (declared by the Env.GetDate
// method) is rewritten to an internal function of the environment, which
// avoids expr's reflective method call (five allocations per call).
// Runner.Run calls a reused vm.VM directly with the *Env, so evaluating a
// Program costs what calling expr itself costs (see BenchmarkOurProgram and
// BenchmarkExprDirectVM).
package expression
