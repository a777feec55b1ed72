package expression

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
)

// druidMethods maps the DRUID method forms that are translated to the
// function that takes their place: x.toLowerCase() is Lower(x).
var druidMethods = map[string]string{
	"toLowerCase": "Lower",
	"toUpperCase": "Upper",
	"toString":    "ToString",
}

// dialectPatch is an expr AST visitor that gives DRUID's forms their
// meaning and finds the comparisons and method calls that cannot work:
//
//	x.toLowerCase()  ->  Lower(x)      (x must be text)
//	x.toUpperCase()  ->  Upper(x)      (x must be text)
//	x.toString()     ->  ToString(x)   (and the other side of == or != is
//	                                    compared as text too)
//	x.Count          ->  Length(x)     (x a list, a map or a variable)
//
// It runs after expr's first type check, so the nodes it looks at carry
// their static types; the types of flow variables come from
// Options.VarTypes. The problems it finds are collected in errs (expr
// visitors cannot fail) and reported by Compile before expr's own errors.
type dialectPatch struct {
	varTypes map[string]reflect.Type
	// made holds the result type of each node the patch created: those
	// have no type until expr checks the tree again.
	made map[ast.Node]reflect.Type
	// textual marks the ToString calls written as .toString().
	textual map[ast.Node]bool
	errs    []varLoc // name holds the message
}

func newDialectPatch(varTypes map[string]reflect.Type) *dialectPatch {
	return &dialectPatch{varTypes: varTypes, made: map[ast.Node]reflect.Type{}, textual: map[ast.Node]bool{}}
}

func (d *dialectPatch) errorf(loc int, format string, args ...any) {
	d.errs = append(d.errs, varLoc{name: fmt.Sprintf(format, args...), from: loc})
}

// firstError returns the leftmost problem, or ok false.
func (d *dialectPatch) firstError() (varLoc, bool) {
	if len(d.errs) == 0 {
		return varLoc{}, false
	}
	return slices.MinFunc(d.errs, func(a, b varLoc) int { return a.from - b.from }), true
}

// Visit implements ast.Visitor. expr walks children before their parent,
// so a receiver is already patched when its method call is visited.
func (d *dialectPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		d.method(node, n)
	case *ast.MemberNode:
		d.count(node, n)
	case *ast.BinaryNode:
		if n.Operator == "==" || n.Operator == "!=" {
			d.compare(n)
		}
	}
}

// method translates x.toLowerCase(), x.toUpperCase() and x.toString(), and
// reports other method calls on a flow variable whose value cannot have
// them.
func (d *dialectPatch) method(node *ast.Node, call *ast.CallNode) {
	m, ok := call.Callee.(*ast.MemberNode)
	if !ok || !m.Method {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	recv, name := m.Node, prop.Value
	loc := m.Location().From
	typ, isVar := d.typeOf(recv)
	fn, druid := druidMethods[name]
	switch {
	case druid && len(call.Arguments) > 0:
		d.errorf(loc, "%s() takes no arguments", name)
		return
	case druid && fn != "ToString" && typ != nil && typ.Kind() != reflect.Interface && typ.Kind() != reflect.String:
		d.errorf(loc, "%s() works on text, but %s is %s (write %s(...) of a text value)", name, d.describeNode(recv), article(typ), fn)
		return
	case druid:
		callee := &ast.IdentifierNode{Value: fn}
		callee.SetLocation(m.Location())
		patched := &ast.CallNode{Callee: callee, Arguments: []ast.Node{recv}}
		patched.SetLocation(call.Location())
		ast.Patch(node, patched)
		d.made[*node] = reflect.TypeFor[string]()
		if fn == "ToString" {
			d.textual[*node] = true
		}
		return
	}
	if !isVar {
		return
	}
	// A flow variable holds text, a number, true or false, a list, a map
	// or a time: only times have methods.
	if typ == nil || typ.Kind() == reflect.Interface {
		if _, ok := reflect.TypeFor[time.Time]().MethodByName(name); !ok {
			d.errorf(loc, "%s is a flow variable: its value (text, number, bool, list, map or time) has no method %s%s", d.describeNode(recv), name, nativeHint(name))
		}
		return
	}
	if _, ok := typ.MethodByName(name); !ok {
		d.errorf(loc, "%s is %s: it has no method %s%s", d.describeNode(recv), article(typ), name, nativeHint(name))
	}
}

// nativeHint names the function to use instead of a C#/JavaScript method.
func nativeHint(method string) string {
	switch strings.ToLower(method) {
	case "tolower", "tolowercase", "tolowerinvariant":
		return " (write Lower(x))"
	case "toupper", "touppercase", "toupperinvariant":
		return " (write Upper(x))"
	case "trim":
		return " (write Trim(x))"
	case "tostring":
		return " (write ToString(x))"
	case "contains", "includes":
		return " (write Contains(x, y))"
	case "startswith":
		return " (write StartsWith(x, y))"
	case "endswith":
		return " (write EndsWith(x, y))"
	}
	return ""
}

// count translates x.Count into Length(x) where x is a list, a map or a
// value known only at run time; on text or a number it is an error.
func (d *dialectPatch) count(node *ast.Node, m *ast.MemberNode) {
	prop, ok := m.Property.(*ast.StringNode)
	if !ok || m.Method || prop.Value != "Count" {
		return
	}
	if id, ok := m.Node.(*ast.IdentifierNode); ok && id.Value == "Vars" {
		return // @Count, a variable called Count
	}
	if typ, _ := d.typeOf(m.Node); typ != nil {
		switch typ.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map, reflect.Interface:
		case reflect.Struct, reflect.Pointer:
			return // a record's own field Count, or expr's error
		default:
			d.errorf(m.Location().From, ".Count is the number of items of a list, but %s is %s (write Length(x) for the length of text)", d.describeNode(m.Node), article(typ))
			return
		}
	}
	callee := &ast.IdentifierNode{Value: "Length"}
	callee.SetLocation(m.Location())
	patched := &ast.CallNode{Callee: callee, Arguments: []ast.Node{m.Node}}
	patched.SetLocation(m.Location())
	ast.Patch(node, patched)
	d.made[*node] = reflect.TypeFor[int]()
}

// compare makes a == or != with a .toString() side textual, and reports a
// comparison of values of different kinds, which is never equal: a boolean
// variable against the text 'true', a number against text.
func (d *dialectPatch) compare(b *ast.BinaryNode) {
	switch {
	case d.textual[b.Left] && !d.textual[b.Right]:
		d.toText(&b.Right)
		return
	case d.textual[b.Right] && !d.textual[b.Left]:
		d.toText(&b.Left)
		return
	}
	lt, lvar := d.typeOf(b.Left)
	rt, rvar := d.typeOf(b.Right)
	if !lvar && !rvar {
		// Both static: expr reports the mismatch itself; add the hint
		// for the most common one, a boolean against 'true'.
		if kindOf(lt) == "bool" && kindOf(rt) == "string" || kindOf(lt) == "string" && kindOf(rt) == "bool" {
			d.mismatch(b, lt, rt)
		}
		return
	}
	lk, rk := kindOf(lt), kindOf(rt)
	if lk == "" || rk == "" || lk == rk {
		return
	}
	d.mismatch(b, lt, rt)
}

func (d *dialectPatch) mismatch(b *ast.BinaryNode, lt, rt reflect.Type) {
	hint := ""
	for _, side := range []ast.Node{b.Left, b.Right} {
		if s, ok := side.(*ast.StringNode); ok && (s.Value == "true" || s.Value == "false") {
			hint = fmt.Sprintf(" (write %s, without quotes)", s.Value)
		}
	}
	// Name the variable (or the field) and the kind of the other side.
	subject, st, other := b.Left, lt, rt
	if _, lvar := d.typeOf(b.Left); !lvar {
		if _, rvar := d.typeOf(b.Right); rvar {
			subject, st, other = b.Right, rt, lt
		}
	}
	if _, ok := b.Left.(*ast.StringNode); ok && subject == b.Left {
		subject, st, other = b.Right, rt, lt // 'true' == @Flag
	}
	d.errorf(b.Location().From, "%s is %s and never equals %s%s", d.describeNode(subject), article(st), article(other), hint)
}

// toText wraps *side in ToString unless it is text already.
func (d *dialectPatch) toText(side *ast.Node) {
	if t, _ := d.typeOf(*side); t != nil && t.Kind() == reflect.String {
		return
	}
	callee := &ast.IdentifierNode{Value: "ToString"}
	callee.SetLocation((*side).Location())
	wrapped := &ast.CallNode{Callee: callee, Arguments: []ast.Node{*side}}
	wrapped.SetLocation((*side).Location())
	ast.Patch(side, wrapped)
	d.made[*side] = reflect.TypeFor[string]()
}

// typeOf returns the static type of n: for a flow variable (Vars.Name) the
// inferred type from Options.VarTypes (nil when unknown), for a node the
// patch made its result type, otherwise the type expr gave it (nil for
// null and for nodes without a type).
func (d *dialectPatch) typeOf(n ast.Node) (t reflect.Type, isVar bool) {
	if name, ok := varName(n); ok {
		if t, ok := d.varTypes[name]; ok {
			return t, true
		}
		return reflect.TypeFor[any](), true
	}
	if t, ok := d.made[n]; ok {
		return t, false
	}
	if _, ok := n.(*ast.NilNode); ok {
		return nil, false
	}
	return n.Type(), false
}

// varName returns Name when n is Vars.Name (what @Name translates to).
func varName(n ast.Node) (string, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return "", false
	}
	if id, ok := m.Node.(*ast.IdentifierNode); !ok || id.Value != "Vars" {
		return "", false
	}
	p, ok := m.Property.(*ast.StringNode)
	if !ok {
		return "", false
	}
	return p.Value, true
}

// describeNode names n in a message: @Name for a variable, else "the value".
func (d *dialectPatch) describeNode(n ast.Node) string {
	if name, ok := varName(n); ok {
		return "@" + name
	}
	switch x := n.(type) {
	case *ast.MemberNode:
		if p, ok := x.Property.(*ast.StringNode); ok {
			if id, ok := x.Node.(*ast.IdentifierNode); ok {
				if _, ent := lookupEntity(id.Value); ent {
					return "[[" + id.Value + "]]." + p.Value
				}
			}
		}
	case *ast.StringNode:
		return fmt.Sprintf("%q", x.Value)
	}
	return "the value"
}

// kindOf groups types into the kinds that can be equal to each other; ""
// for unknown (an interface, null).
func kindOf(t reflect.Type) string {
	if t == nil || t.Kind() == reflect.Interface {
		return ""
	}
	if t == reflect.TypeFor[time.Time]() || t == reflect.TypeFor[*time.Time]() {
		return "time"
	}
	if isNumberKind(t.Kind()) {
		return "number"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "map"
	}
	return ""
}

// article returns "a bool", "an integer", "a string" for messages.
func article(t reflect.Type) string {
	n := typeName(t)
	if strings.IndexByte("aeiou", n[0]) >= 0 {
		return "an " + n
	}
	return "a " + n
}
