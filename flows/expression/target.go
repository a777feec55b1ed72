package expression

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// Target is the left side of an assignment in a set step: an entity field,
// written "[[Entity]].Field" or "Entity.Field", or a flow variable, written
// "@Name" or just "Name". A Target is immutable and safe for concurrent use.
type Target struct {
	src string
	// For a variable:
	varName string
	// For an entity field:
	entity     string
	field      string
	entityIdx  int // field index of the entity pointer in Env
	fieldIdx   []int
	fieldType  reflect.Type
	isVariable bool
}

// ParseTarget parses the left side of an assignment. An unknown entity or
// field, an assignment to a whole entity, or (when opts.Vars is not nil) an
// undeclared variable is an *Error located in s. opts.Expect is ignored.
func ParseTarget(s string, opts Options) (*Target, error) {
	start := len(s) - len(strings.TrimLeft(s, " \t\r\n"))
	text := strings.TrimSpace(s)
	if text == "" {
		return nil, newError(s, 0, "empty assignment target")
	}
	if rest, ok := strings.CutPrefix(text, "@"); ok {
		if n := identLen(rest); n == 0 || n != len(rest) {
			return nil, newError(s, start, "invalid assignment target "+quote(text)+": want @Name, [[Entity]].Field or Entity.Field")
		}
		return parseVarTarget(s, start, rest, opts)
	}
	entity, entityOff, brackets := text, start, 0
	if rest, ok := strings.CutPrefix(text, "[["); ok {
		name, after, ok := strings.Cut(rest, "]]")
		if !ok || identLen(name) != len(name) || name == "" || !strings.HasPrefix(after, ".") {
			return nil, newError(s, start, "invalid assignment target "+quote(text)+": want [[Entity]].Field")
		}
		entity, entityOff, brackets = name+after, start+2, 2
	}
	name, field, hasField := strings.Cut(entity, ".")
	if identLen(name) != len(name) || name == "" || (hasField && (field == "" || identLen(field) != len(field))) {
		return nil, newError(s, start, "invalid assignment target "+quote(text)+": want @Name, [[Entity]].Field or Entity.Field")
	}
	ent, isEntity := lookupEntity(name)
	if !hasField {
		if isEntity {
			return nil, newError(s, start, "cannot assign to the whole entity [["+name+"]]; assign to one of its fields")
		}
		return parseVarTarget(s, start, name, opts)
	}
	if !isEntity {
		return nil, newError(s, entityOff, "unknown entity [["+name+"]]"+suggestion(name, entityNames(), ""))
	}
	f, ok := ent.typ.FieldByName(field)
	if !ok || !f.IsExported() || f.Tag.Get("expr") == "-" {
		return nil, newError(s, entityOff+len(name)+brackets+1, "[["+name+"]] has no field "+field+suggestion(field, fieldNames(ent.typ), ""))
	}
	return &Target{
		src:       s,
		entity:    name,
		field:     field,
		entityIdx: ent.index,
		fieldIdx:  f.Index,
		fieldType: f.Type,
	}, nil
}

func parseVarTarget(s string, off int, name string, opts Options) (*Target, error) {
	if !opts.declared(name) {
		return nil, newError(s, off, "undeclared variable @"+name+suggestion(name, opts.declaredNames(), "@"))
	}
	return &Target{src: s, varName: name, isVariable: true}, nil
}

func quote(s string) string {
	return fmt.Sprintf("%q", s)
}

// String returns the target in the specification's notation:
// "[[ConversationInfo]].LiveChatBlockedUntil" or "@Name".
func (t *Target) String() string {
	if t.isVariable {
		return "@" + t.varName
	}
	return "[[" + t.entity + "]]." + t.field
}

// IsVariable reports whether the target is a flow variable rather than an
// entity field.
func (t *Target) IsVariable() bool {
	return t.isVariable
}

// Type returns the type of the target: the entity field's Go type, or
// interface{} for a variable.
func (t *Target) Type() reflect.Type {
	if t.isVariable {
		return reflect.TypeFor[any]()
	}
	return t.fieldType
}

// Check is the load-time type check of assigning a value of valueType (for
// example Program.Type()) to t. A nil valueType means the null literal,
// which only pointer, interface, map and slice fields accept (null on
// LiveChatBlockedUntil clears the block). An interface{} valueType is
// accepted here and checked by Set. Numbers convert to number fields
// (a float to an integer field must be whole at run time) and a time to a
// time-or-null field. Errors wrap ErrTypeMismatch. Variables accept
// anything.
func (t *Target) Check(valueType reflect.Type) error {
	if t.isVariable {
		return nil
	}
	ft := t.fieldType
	if valueType == nil {
		if nullable(ft) {
			return nil
		}
		return t.mismatch("null")
	}
	vt := valueType
	switch {
	case vt.Kind() == reflect.Interface,
		vt.AssignableTo(ft),
		ft.Kind() == reflect.Pointer && vt.AssignableTo(ft.Elem()),
		vt.Kind() == reflect.Pointer && vt.Elem().AssignableTo(ft),
		isNumberKind(ft.Kind()) && isNumberKind(vt.Kind()):
		return nil
	}
	return t.mismatch(typeName(vt))
}

func (t *Target) mismatch(what string) error {
	return fmt.Errorf("cannot assign %s to %s (%s): %w", what, t, typeName(t.fieldType), ErrTypeMismatch)
}

func nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		return true
	}
	return false
}

// Set assigns v, the result of an expression, to t in env, converting it:
// a time to a time-or-null field (stored as a fresh pointer, never shared),
// null to a nil pointer, a whole float64 to an integer field, an integer
// to a float field. A variable stores v in env.Vars (created if nil), with
// a *time.Time stored as a time.Time or null. A value that does not fit is
// an error wrapping ErrTypeMismatch, and leaves env unchanged.
func (t *Target) Set(env *Env, v any) error {
	if t.isVariable {
		if p, ok := v.(*time.Time); ok {
			if p == nil {
				v = nil
			} else {
				v = *p
			}
		}
		if env.Vars == nil {
			env.Vars = make(map[string]any)
		}
		env.Vars[t.varName] = v
		return nil
	}
	ptr := reflect.ValueOf(env).Elem().Field(t.entityIdx)
	if ptr.IsNil() {
		return fmt.Errorf("setting %s: [[%s]] is not available in this turn", t, t.entity)
	}
	val, err := convert(v, t.fieldType)
	if err != nil {
		return fmt.Errorf("setting %s: %w", t, err)
	}
	ptr.Elem().FieldByIndex(t.fieldIdx).Set(val)
	return nil
}

// convert converts a run-time value to a value of type to.
func convert(v any, to reflect.Type) (reflect.Value, error) {
	mismatch := func() (reflect.Value, error) {
		return reflect.Value{}, fmt.Errorf("cannot assign %s to %s: %w", describeValue(v), typeName(to), ErrTypeMismatch)
	}
	if v == nil {
		if nullable(to) {
			return reflect.Zero(to), nil
		}
		return mismatch()
	}
	rv := reflect.ValueOf(v)
	// Pointers are copied, never shared between entities and variables.
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return convert(nil, to)
		}
		rv = rv.Elem()
	}
	if to.Kind() == reflect.Pointer {
		elem, err := convert(rv.Interface(), to.Elem())
		if err != nil {
			return mismatch()
		}
		p := reflect.New(to.Elem())
		p.Elem().Set(elem)
		return p, nil
	}
	if rv.Type().AssignableTo(to) {
		return rv, nil
	}
	out := reflect.New(to).Elem()
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch {
		case rv.CanInt():
			if out.OverflowInt(rv.Int()) {
				return mismatch()
			}
			out.SetInt(rv.Int())
		case rv.CanUint():
			if rv.Uint() > math.MaxInt64 || out.OverflowInt(int64(rv.Uint())) {
				return mismatch()
			}
			out.SetInt(int64(rv.Uint()))
		case rv.CanFloat():
			f := rv.Float()
			if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 || out.OverflowInt(int64(f)) {
				return reflect.Value{}, fmt.Errorf("cannot assign %v to %s: not a whole number in range: %w", f, typeName(to), ErrTypeMismatch)
			}
			out.SetInt(int64(f))
		default:
			return mismatch()
		}
		return out, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch {
		case rv.CanInt():
			if rv.Int() < 0 || out.OverflowUint(uint64(rv.Int())) {
				return mismatch()
			}
			out.SetUint(uint64(rv.Int()))
		case rv.CanUint():
			if out.OverflowUint(rv.Uint()) {
				return mismatch()
			}
			out.SetUint(rv.Uint())
		case rv.CanFloat():
			f := rv.Float()
			if f != math.Trunc(f) || f < 0 || f >= math.MaxUint64 || out.OverflowUint(uint64(f)) {
				return reflect.Value{}, fmt.Errorf("cannot assign %v to %s: not a whole number in range: %w", f, typeName(to), ErrTypeMismatch)
			}
			out.SetUint(uint64(f))
		default:
			return mismatch()
		}
		return out, nil
	case reflect.Float32, reflect.Float64:
		switch {
		case rv.CanInt():
			out.SetFloat(float64(rv.Int()))
		case rv.CanUint():
			out.SetFloat(float64(rv.Uint()))
		case rv.CanFloat():
			out.SetFloat(rv.Float())
		default:
			return mismatch()
		}
		return out, nil
	}
	if rv.Type().ConvertibleTo(to) && rv.Kind() == to.Kind() {
		// Named types of the same kind, e.g. a string to a named string type.
		return rv.Convert(to), nil
	}
	return mismatch()
}

// describeValue names a run-time value for error messages, showing short
// scalar values themselves.
func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) <= 40 {
			return fmt.Sprintf("string %q", x)
		}
		return "string"
	case bool, int, float64:
		return fmt.Sprintf("%s %v", describe(v), x)
	}
	return describe(v)
}
