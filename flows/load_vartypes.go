package flows

import (
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/flows/expression"
	"github.com/chatflow/chatflow/schemas"
)

// inferVarTypes gives a variable a type when everything the flow puts in
// it has the same kind: its initial value under variables, the answer of an
// ask step (text), and the values of set steps (a literal's type, or the
// static type of an expression). A variable that is given two kinds, or a
// value whose type is known only at run time, stays untyped. Expressions
// are then checked against these types (see expression.Options.VarTypes):
// a boolean @Flag compared with 'true' is a load error, not a condition
// that is silently false.
func (sb *stepBuilder) inferVarTypes(steps *yaml.Node) {
	kinds := map[string]reflect.Type{}
	mixed := map[string]bool{}
	give := func(name string, t reflect.Type) {
		t = canonicalType(t)
		if t == nil || mixed[name] {
			return
		}
		if prev, ok := kinds[name]; ok && prev != t {
			delete(kinds, name)
			mixed[name] = true
			return
		}
		kinds[name] = t
	}
	str := reflect.TypeFor[string]()
	give("LastUserMessage", str)
	give("InternalActionError", str)
	for name, v := range sb.f.Vars {
		if v != nil {
			give(name, reflect.TypeOf(v))
		}
	}
	for _, sn := range steps.Content {
		if n := mapValue(sn, "into"); n != nil {
			give(strings.TrimPrefix(n.Value, "@"), str)
		}
		set := mapValue(sn, "set")
		if set == nil || set.Kind != yaml.MappingNode {
			continue
		}
		for k := 0; k+1 < len(set.Content); k += 2 {
			target, vn := set.Content[k].Value, set.Content[k+1]
			if !strings.HasPrefix(target, "@") {
				continue
			}
			give(target[1:], literalType(vn, sb.declared))
		}
	}
	sb.varTypes = kinds
}

// literalType returns the static type of a set step's value, or nil.
func literalType(vn *yaml.Node, declared map[string]bool) reflect.Type {
	if vn.Kind != yaml.ScalarNode {
		return nil
	}
	if vn.Tag == "!!str" {
		switch {
		case strings.HasPrefix(vn.Value, "="):
			p, err := expression.Compile(vn.Value[1:], expression.Options{Vars: declared})
			if err != nil {
				return nil // reported when the step is compiled
			}
			return p.Type()
		default:
			return reflect.TypeFor[string]()
		}
	}
	var v any
	if err := vn.Decode(&v); err != nil || v == nil {
		return nil
	}
	v, err := schemas.Normalize(v)
	if err != nil {
		return nil
	}
	return reflect.TypeOf(v)
}

// canonicalType maps a type to the one its kind is checked as (all
// numbers are float64, a time or null is a time); nil for types that tell
// nothing (interfaces).
func canonicalType(t reflect.Type) reflect.Type {
	switch t {
	case nil:
		return nil
	case reflect.TypeFor[time.Time](), reflect.TypeFor[*time.Time]():
		return reflect.TypeFor[time.Time]()
	}
	switch t.Kind() {
	case reflect.Bool:
		return reflect.TypeFor[bool]()
	case reflect.String:
		return reflect.TypeFor[string]()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return reflect.TypeFor[float64]()
	case reflect.Slice, reflect.Array:
		return reflect.TypeFor[[]any]()
	case reflect.Map:
		return reflect.TypeFor[map[string]any]()
	}
	return nil
}
