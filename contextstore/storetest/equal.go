package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// diff compares want and got deeply and returns one line per difference,
// each starting with the path of the differing value. Times compare with
// time.Equal; nil and empty slices and maps are equal; dynamic types inside
// interfaces must be identical (an int is not a float64).
func diff(want, got any) []string {
	var out []string
	diffValue(&out, "", reflect.ValueOf(want), reflect.ValueOf(got))
	return out
}

// requireEqual fails the test with every difference between want and got.
func requireEqual(t testingT, what string, want, got any) {
	t.Helper()
	if d := diff(want, got); len(d) > 0 {
		t.Fatalf("%s differs from what was stored (want → got):\n\t%s", what, strings.Join(d, "\n\t"))
	}
}

// testingT is the part of *testing.T that requireEqual needs.
type testingT interface {
	Helper()
	Fatalf(format string, args ...any)
}

func diffValue(out *[]string, path string, w, g reflect.Value) {
	if !w.IsValid() || !g.IsValid() {
		if w.IsValid() != g.IsValid() {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", orRoot(path), show(w), show(g)))
		}
		return
	}
	if w.Type() != g.Type() {
		*out = append(*out, fmt.Sprintf("%s: type %s → %s (%s → %s)", orRoot(path), w.Type(), g.Type(), show(w), show(g)))
		return
	}
	if w.Type() == timeType {
		wt, gt := w.Interface().(time.Time), g.Interface().(time.Time)
		if !wt.Equal(gt) {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", orRoot(path), wt.Format(time.RFC3339Nano), gt.Format(time.RFC3339Nano)))
		}
		return
	}
	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: %s → %s", orRoot(path), show(w), show(g)))
			}
			return
		}
		diffValue(out, path, w.Elem(), g.Elem())
	case reflect.Struct:
		for i := range w.NumField() {
			diffValue(out, path+"."+w.Type().Field(i).Name, w.Field(i), g.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if w.Len() != g.Len() {
			*out = append(*out, fmt.Sprintf("%s: length %d → %d (%s → %s)", orRoot(path), w.Len(), g.Len(), show(w), show(g)))
			return
		}
		for i := range w.Len() {
			diffValue(out, fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i))
		}
	case reflect.Map:
		keys := map[string]reflect.Value{}
		for _, k := range w.MapKeys() {
			keys[fmt.Sprint(k.Interface())] = k
		}
		for _, k := range g.MapKeys() {
			keys[fmt.Sprint(k.Interface())] = k
		}
		names := make([]string, 0, len(keys))
		for n := range keys {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			k := keys[n]
			p := fmt.Sprintf("%s[%q]", path, n)
			wv, gv := w.MapIndex(k), g.MapIndex(k)
			switch {
			case !wv.IsValid():
				*out = append(*out, fmt.Sprintf("%s: missing → %s", p, show(gv)))
			case !gv.IsValid():
				*out = append(*out, fmt.Sprintf("%s: %s → missing", p, show(wv)))
			default:
				diffValue(out, p, wv, gv)
			}
		}
	default:
		if !w.Equal(g) {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", orRoot(path), show(w), show(g)))
		}
	}
}

func orRoot(path string) string {
	if path == "" {
		return "value"
	}
	return strings.TrimPrefix(path, ".")
}

// show formats a value for a failure message, shortening long ones (a test
// stores a 1 MiB string).
func show(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	s := fmt.Sprintf("%#v", v.Interface())
	if len(s) > 120 {
		s = s[:100] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}
