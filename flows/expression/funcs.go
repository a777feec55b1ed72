package expression

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
)

// function is one entry of the function library (GetDate, which needs the
// Env, is a method of *Env instead).
type function struct {
	name  string
	fn    func(args ...any) (any, error)
	types []any // signatures for the type checker, as expr.Function takes them
}

// library returns the function library. It is built on each call (once per
// Compile) so that no package state is shared.
func library() []function {
	return []function{
		{"AddMinutes", addDuration("AddMinutes", time.Minute), timeNumberTypes()},
		{"AddHours", addDuration("AddHours", time.Hour), timeNumberTypes()},
		{"AddDays", addDays, timeNumberTypes()},
		{"MinutesBetween", minutesBetween, []any{new(func(time.Time, time.Time) int)}},
		{"IsBefore", compareTimes("IsBefore", time.Time.Before), []any{new(func(time.Time, time.Time) bool)}},
		{"IsAfter", compareTimes("IsAfter", time.Time.After), []any{new(func(time.Time, time.Time) bool)}},
		{"IsNull", func(args ...any) (any, error) { return isNull(args[0]), nil }, []any{new(func(any) bool)}},
		{"IsEmpty", func(args ...any) (any, error) { return isEmpty(args[0]), nil }, []any{new(func(any) bool)}},
		{"Coalesce", coalesce, []any{new(func(any, ...any) any)}},
		{"Lower", stringFunc("Lower", strings.ToLower), []any{new(func(string) string)}},
		{"Upper", stringFunc("Upper", strings.ToUpper), []any{new(func(string) string)}},
		{"Trim", stringFunc("Trim", strings.TrimSpace), []any{new(func(string) string)}},
		{"Contains", stringPredicate("Contains", strings.Contains), []any{new(func(string, string) bool)}},
		{"StartsWith", stringPredicate("StartsWith", strings.HasPrefix), []any{new(func(string, string) bool)}},
		{"EndsWith", stringPredicate("EndsWith", strings.HasSuffix), []any{new(func(string, string) bool)}},
		{"Length", length, []any{new(func(any) int)}},
		{"ToString", toStringFunc, []any{new(func(any) string)}},
		{"FormatDecimal", formatDecimal, []any{new(func(float64, string) string), new(func(int, string) string)}},
	}
}

// functionOptions returns the library as expr options.
func functionOptions() []expr.Option {
	lib := library()
	opts := make([]expr.Option, len(lib))
	for i, f := range lib {
		opts[i] = expr.Function(f.name, f.fn, f.types...)
	}
	return opts
}

// functionNames returns the names of all functions, for suggestions.
func functionNames() []string {
	names := []string{"GetDate"}
	for _, f := range library() {
		names = append(names, f.name)
	}
	return names
}

func timeNumberTypes() []any {
	return []any{new(func(time.Time, int) time.Time), new(func(time.Time, float64) time.Time)}
}

// toTime converts a time argument. ok is false for null (nil or a nil
// *time.Time, which expr passes as nil).
func toTime(fn string, v any) (t time.Time, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return x, true, nil
	case *time.Time:
		if x == nil {
			return time.Time{}, false, nil
		}
		return *x, true, nil
	}
	return time.Time{}, false, fmt.Errorf("%s: expected a time, got %s: %w", fn, describe(v), ErrTypeMismatch)
}

// toFloat converts a number argument.
func toFloat(fn string, v any) (float64, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	}
	return 0, fmt.Errorf("%s: expected a number, got %s: %w", fn, describe(v), ErrTypeMismatch)
}

// addDuration returns a function adding n units to a time; null stays null.
func addDuration(name string, unit time.Duration) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		t, ok, err := toTime(name, args[0])
		if err != nil || !ok {
			return nil, err
		}
		n, err := toFloat(name, args[1])
		if err != nil {
			return nil, err
		}
		d := n * float64(unit)
		if math.IsNaN(d) || d > math.MaxInt64 || d < math.MinInt64 {
			return nil, fmt.Errorf("%s: %v is out of range", name, args[1])
		}
		return t.Add(time.Duration(d)), nil
	}
}

// addDays adds calendar days (n may be fractional: the whole days are
// calendar days, the rest is added as a duration); null stays null.
func addDays(args ...any) (any, error) {
	t, ok, err := toTime("AddDays", args[0])
	if err != nil || !ok {
		return nil, err
	}
	n, err := toFloat("AddDays", args[1])
	if err != nil {
		return nil, err
	}
	if math.IsNaN(n) || math.Abs(n) > 1e6 {
		return nil, fmt.Errorf("%s: %v is out of range", "AddDays", args[1])
	}
	whole := math.Trunc(n)
	return t.AddDate(0, 0, int(whole)).Add(time.Duration((n - whole) * float64(24*time.Hour))), nil
}

// minutesBetween returns the whole minutes from a to b, truncated toward zero.
func minutesBetween(args ...any) (any, error) {
	a, okA, err := toTime("MinutesBetween", args[0])
	if err != nil {
		return nil, err
	}
	b, okB, err := toTime("MinutesBetween", args[1])
	if err != nil {
		return nil, err
	}
	if !okA || !okB {
		return nil, fmt.Errorf("%s: %w (check it with IsNull first)", "MinutesBetween", ErrNullTime)
	}
	return int(b.Sub(a) / time.Minute), nil
}

// compareTimes returns IsBefore/IsAfter: false when either time is null.
func compareTimes(name string, cmp func(a, b time.Time) bool) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		a, okA, err := toTime(name, args[0])
		if err != nil {
			return nil, err
		}
		b, okB, err := toTime(name, args[1])
		if err != nil {
			return nil, err
		}
		return okA && okB && cmp(a, b), nil
	}
}

// isNull reports whether v is nil or a nil pointer, map, slice, interface,
// channel or function.
func isNull(v any) bool {
	if v == nil {
		return true
	}
	switch x := v.(type) {
	case *time.Time:
		return x == nil
	case string, bool, int, float64, time.Time:
		return false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func:
		return rv.IsNil()
	}
	return false
}

// isEmpty reports whether v is null, "", or an empty list or map.
func isEmpty(v any) bool {
	if isNull(v) {
		return true
	}
	switch x := v.(type) {
	case string:
		return x == ""
	case *string:
		return *x == ""
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() == 0
	}
	return false
}

// coalesce returns its first argument that is not null, or null.
func coalesce(args ...any) (any, error) {
	for _, a := range args {
		if !isNull(a) {
			return a, nil
		}
	}
	return nil, nil
}

// toString converts a string argument; null is "".
func toString(fn string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case *string:
		if x == nil {
			return "", nil
		}
		return *x, nil
	}
	return "", fmt.Errorf("%s: expected a string, got %s: %w", fn, describe(v), ErrTypeMismatch)
}

func stringFunc(name string, f func(string) string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		s, err := toString(name, args[0])
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func stringPredicate(name string, f func(s, sub string) bool) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		s, err := toString(name, args[0])
		if err != nil {
			return nil, err
		}
		sub, err := toString(name, args[1])
		if err != nil {
			return nil, err
		}
		return f(s, sub), nil
	}
}

// length returns the number of characters of a string, or of items of a
// list or map; null has length 0.
func length(args ...any) (any, error) {
	v := args[0]
	if isNull(v) {
		return 0, nil
	}
	if s, ok := v.(string); ok {
		return utf8.RuneCountInString(s), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String:
		return utf8.RuneCountInString(rv.String()), nil
	case reflect.Slice, reflect.Array, reflect.Map:
		return rv.Len(), nil
	}
	return nil, fmt.Errorf("%s: expected a string, list or map, got %s: %w", "Length", describe(v), ErrTypeMismatch)
}

// describe names the type of a run-time value for error messages.
func describe(v any) string {
	if v == nil {
		return "null"
	}
	return typeName(reflect.TypeOf(v))
}

// typeName names a type the way bot authors think of it.
func typeName(t reflect.Type) string {
	if t == nil {
		return "null"
	}
	switch t {
	case reflect.TypeFor[time.Time]():
		return "time"
	case reflect.TypeFor[*time.Time]():
		return "time or null"
	case reflect.TypeFor[time.Duration]():
		return "duration"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Interface:
		return "any"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "map"
	case reflect.Pointer:
		if t.Elem().Kind() == reflect.Struct {
			return t.Elem().Name()
		}
		return typeName(t.Elem()) + " or null"
	}
	return t.String()
}
