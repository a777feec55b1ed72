package expression

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// MaxNodes is the largest number of syntax-tree nodes one expression may
// have; a longer expression is a compile error. A realistic flow condition
// has a few dozen nodes; the limit stops generated or runaway expressions
// from costing unbounded compile and run time.
const MaxNodes = 1000

// Kind is the kind of result an expression is expected to produce.
type Kind int

// The kinds of result that Options.Expect can demand.
const (
	// KindAny accepts any result. It is the default.
	KindAny Kind = iota
	// KindBool demands true or false, as for branch conditions.
	KindBool
	// KindString demands a string.
	KindString
	// KindNumber demands an integer or a floating-point number.
	KindNumber
	// KindTime demands a time; null (no time) is accepted too.
	KindTime
)

// String returns the name of the kind as error messages use it.
func (k Kind) String() string {
	switch k {
	case KindAny:
		return "any"
	case KindBool:
		return "bool"
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindTime:
		return "time"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Options configures Compile, CompileTemplate and ParseTarget.
type Options struct {
	// Vars holds the declared flow variable names. Referencing an
	// undeclared @Name is a compile error; the built-in variables
	// (VarInternalActionResult, VarLastUserMessage) are always declared.
	// A nil Vars disables the check.
	Vars map[string]bool
	// Expect is the kind of result the expression must produce; KindAny
	// (the default) accepts anything. A result whose type is known at
	// compile time is checked then; otherwise Runner.Run checks it.
	// CompileTemplate ignores Expect.
	Expect Kind
	// VarTypes holds the types the flow gives its variables, where every
	// value it assigns has the same type (an ask step's answer is a
	// string; see package flows). With them, comparing a variable with a
	// value of another kind (a bool @Flag with 'true') and calling a
	// method its type lacks are compile errors. A variable not listed is
	// checked only at run time.
	VarTypes map[string]reflect.Type
}

// declared reports whether @name may be used under o.
func (o Options) declared(name string) bool {
	return o.Vars == nil || o.Vars[name] || name == VarInternalActionResult || name == VarLastUserMessage
}

// declaredNames returns the declared names, for suggestions.
func (o Options) declaredNames() []string {
	names := []string{VarInternalActionResult, VarLastUserMessage}
	for n := range o.Vars {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Program is a compiled expression. It is immutable and safe for concurrent
// use by any number of Runners.
type Program struct {
	src         string
	translated  string
	pm          PosMap
	prog        *vm.Program
	typ         reflect.Type
	expect      Kind
	checkResult bool // the static type is unknown, so Run checks expect
	vars        []string
}

// Source returns the expression as it was written (without the '=').
func (p *Program) Source() string {
	return p.src
}

// Type returns the static type of the result: for example bool,
// *time.Time for [[ConversationInfo]].LiveChatBlockedUntil, or interface{}
// when it is known only at run time (@Name, Coalesce). It returns nil when
// the expression is the null literal, like reflect.TypeOf(nil), so that
// Target.Check can reject null for fields that cannot hold it.
func (p *Program) Type() reflect.Type {
	return p.typ
}

// Variables returns the names of the flow variables the expression reads
// (@Name), sorted, without duplicates.
func (p *Program) Variables() []string {
	return slices.Clone(p.vars)
}

// Compile compiles one expression: the text after the leading '=' of a flow
// value. It translates the specification's notation (see Translate) and
// type-checks the result against Env, so a misspelled entity or field, a
// call with wrong argument types, an undeclared @Name (see Options.Vars) or
// a result of the wrong kind (see Options.Expect) is an error. Errors are
// *Error, located in src. Compile once, at load; the Program is safe for
// concurrent use.
func Compile(src string, opts Options) (*Program, error) {
	translated, pm, err := Translate(src)
	if err != nil {
		return nil, err
	}
	vc := &varCollector{envAt: -1}
	dp := newDialectPatch(opts.VarTypes)
	options := append([]expr.Option{
		expr.Env(&Env{}),
		expr.MaxNodes(MaxNodes),
		// now() would read the wall clock; GetDate() reads the turn's clock.
		expr.DisableBuiltin("now"),
		// repeat() computes its result before expr's memory budget is
		// checked, so repeat(repeat("x", 999999), 999999) would allocate a
		// terabyte and kill the process.
		expr.DisableBuiltin("repeat"),
		expr.Patch(dp),
		// vc must run before clockPatch, which inserts $env itself.
		expr.Patch(vc),
		expr.Patch(clockPatch{}),
		expr.Function(getDateFunc, getDate, new(func(any) time.Time)),
	}, functionOptions()...)
	prog, err := compileExpr(translated, options)
	p := &Program{src: src, translated: translated, pm: pm, prog: prog, expect: opts.Expect}
	if vc.envAt >= 0 {
		return nil, newError(src, p.original(vc.envAt), "$env is not available in flow expressions")
	}
	// The visitor runs after parsing and before type checking, so an
	// undeclared variable is reported before the type errors it may cause.
	slices.SortStableFunc(vc.refs, func(a, b varLoc) int { return a.from - b.from })
	for _, ref := range vc.refs {
		if !opts.declared(ref.name) {
			off := p.original(ref.from)
			if off > 0 && src[off-1] == '@' {
				off--
			}
			return nil, newError(src, off, "undeclared variable @"+ref.name+suggestion(ref.name, opts.declaredNames(), "@"))
		}
	}
	// The dialect's findings explain what expr would report less clearly
	// (or not at all, for values known only at run time).
	if de, ok := dp.firstError(); ok {
		return nil, newError(src, p.original(de.from), de.name)
	}
	if err != nil {
		return nil, p.exprError(err)
	}
	p.vars = vc.names()
	p.typ = resultType(prog.Node())
	ok, dynamic := kindAccepts(opts.Expect, p.typ)
	if !ok {
		return nil, newError(src, 0, fmt.Sprintf("expected a %s, got %s", opts.Expect, typeName(p.typ)))
	}
	p.checkResult = dynamic
	return p, nil
}

// compileExpr calls expr.Compile, turning a panic into an error so that no
// input can crash the loader.
func compileExpr(src string, options []expr.Option) (prog *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("internal error compiling expression: %v", r)
		}
	}()
	return expr.Compile(src, options...)
}

// resultType returns the static type of the root node; nil for null.
func resultType(node ast.Node) reflect.Type {
	if _, ok := node.(*ast.NilNode); ok {
		return nil
	}
	if t := node.Type(); t != nil {
		return t
	}
	return reflect.TypeFor[any]()
}

// kindAccepts reports whether a static type t satisfies k, and whether the
// result must still be checked at run time because t is an interface.
func kindAccepts(k Kind, t reflect.Type) (ok, dynamic bool) {
	if k == KindAny {
		return true, false
	}
	if t == nil {
		return k == KindTime, false
	}
	if t.Kind() == reflect.Interface {
		return true, true
	}
	switch k {
	case KindBool:
		return t.Kind() == reflect.Bool, false
	case KindString:
		return t.Kind() == reflect.String, false
	case KindNumber:
		return isNumberKind(t.Kind()), false
	case KindTime:
		return t == reflect.TypeFor[time.Time]() || t == reflect.TypeFor[*time.Time](), false
	}
	return false, false
}

// valueMatches reports whether the run-time value v satisfies k.
func valueMatches(k Kind, v any) bool {
	switch k {
	case KindBool:
		_, ok := v.(bool)
		return ok
	case KindString:
		_, ok := v.(string)
		return ok
	case KindNumber:
		switch v.(type) {
		case int, float64:
			return true
		case nil:
			return false
		}
		return isNumberKind(reflect.TypeOf(v).Kind())
	case KindTime:
		switch v.(type) {
		case time.Time, *time.Time, nil:
			return true
		}
		return false
	}
	return true
}

func isNumberKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// original maps a location of expr (a rune index into the translated
// text) to a byte offset in the original source. A location on the '.' (or
// "?.") of a member access moves onto the member's name, where authors look
// for a misspelling.
func (p *Program) original(runeIndex int) int {
	t := p.translated
	b := len(t)
	n := 0
	for i := range t {
		if n == runeIndex {
			b = i
			break
		}
		n++
	}
	switch {
	case strings.HasPrefix(t[b:], "?.") && identLen(t[b+2:]) > 0:
		b += 2
	case strings.HasPrefix(t[b:], ".") && identLen(t[b+1:]) > 0:
		b++
	}
	return p.pm.Original(b)
}

// exprError converts an error of expr into an *Error located in the
// original source.
func (p *Program) exprError(err error) *Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return newError(p.src, 0, err.Error())
	}
	e := newError(p.src, p.original(fe.From), p.rewriteMessage(fe.Message))
	e.err = fe.Prev
	return e
}

// rewriteMessage phrases expr's messages in the flow notation.
func (p *Program) rewriteMessage(msg string) string {
	msg = strings.TrimSpace(msg)
	if strings.HasPrefix(msg, "compilation failed: expression exceeds maximum allowed nodes") {
		return fmt.Sprintf("expression is too long (more than %d nodes)", MaxNodes)
	}
	if rest, ok := strings.CutPrefix(msg, "type "); ok {
		if typ, field, ok := strings.Cut(rest, " has no field "); ok {
			name := typ[strings.LastIndexByte(typ, '.')+1:]
			if ent, ok := lookupEntity(name); ok {
				return "[[" + name + "]] has no field " + field + suggestion(field, fieldNames(ent.typ), "")
			}
		}
	}
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		return msg + suggestion(name, append(entityNames(), functionNames()...), "")
	}
	msg = strings.ReplaceAll(msg, "<nil>", "null")
	msg = strings.ReplaceAll(msg, "cannot use nil as", "cannot use null as")
	return msg
}

// Interface guards.
var (
	_ ast.Visitor = (*varCollector)(nil)
	_ ast.Visitor = clockPatch{}
	_ ast.Visitor = (*dialectPatch)(nil)
)

// getDateFunc is the internal name of GetDate(env). It is not an
// identifier, so authors cannot call it.
const getDateFunc = "GetDate()"

// getDate is GetDate() as an expr function of the environment: calling the
// *Env method through reflection costs five allocations per call, this
// costs one (the boxed result).
func getDate(args ...any) (any, error) {
	env, ok := args[0].(*Env)
	if !ok {
		return nil, fmt.Errorf("GetDate: environment is %T, not *Env", args[0])
	}
	return env.GetDate(), nil
}

// clockPatch is an expr AST visitor that rewrites each GetDate() call into
// getDateFunc($env). Env.GetDate stays the declared signature.
type clockPatch struct{}

// Visit implements ast.Visitor.
func (clockPatch) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || len(call.Arguments) != 0 {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != "GetDate" {
		return
	}
	env := &ast.IdentifierNode{Value: "$env"}
	env.SetLocation(id.Location())
	callee := &ast.IdentifierNode{Value: getDateFunc}
	callee.SetLocation(id.Location())
	patched := &ast.CallNode{Callee: callee, Arguments: []ast.Node{env}}
	patched.SetLocation(call.Location())
	ast.Patch(node, patched)
}

// varCollector is an expr AST visitor that records every Vars.Name member
// access (what @Name translates to), with its location. It also notes where
// the author wrote $env, which flows may not use: it would bypass the type
// checks by looking names up at run time.
type varCollector struct {
	refs  []varLoc
	envAt int // expr location of the first $env, or -1
}

type varLoc struct {
	name string
	from int // expr location (rune index in the translated text)
}

// Visit implements ast.Visitor.
func (c *varCollector) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && id.Value == "$env" && c.envAt < 0 {
		c.envAt = id.Location().From
	}
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	if id, ok := m.Node.(*ast.IdentifierNode); !ok || id.Value != "Vars" {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	c.refs = append(c.refs, varLoc{name: prop.Value, from: m.Location().From})
}

// names returns the distinct variable names, sorted.
func (c *varCollector) names() []string {
	var names []string
	for _, r := range c.refs {
		names = append(names, r.name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Runner evaluates Programs. It reuses one expr virtual machine, so it is
// NOT safe for concurrent use: use one per turn or goroutine, for example
// from a sync.Pool. The zero value is ready to use.
type Runner struct {
	vm vm.VM
}

// Run evaluates p against env and returns the result. It allocates nothing
// beyond what the expression itself needs. Errors are *Error located in
// p's source: a failing function, an invalid operation on null such as
// null > GetDate(), or (with Options.Expect) a result of the wrong kind,
// which also wraps ErrTypeMismatch.
func (r *Runner) Run(p *Program, env *Env) (any, error) {
	out, err := r.vm.Run(p.prog, env)
	if err != nil {
		return nil, p.exprError(err)
	}
	if p.checkResult && !valueMatches(p.expect, out) {
		e := newError(p.src, 0, fmt.Sprintf("expected a %s, got %s", p.expect, describe(out)))
		e.err = ErrTypeMismatch
		return nil, e
	}
	return out, nil
}
