package contextstore

import (
	"fmt"
	"strconv"
	"time"
)

// TimePath locates a time value inside Conversation.Vars: map keys, and
// slice indexes in decimal. JSON turns time.Time into a string, so without
// this a flow variable holding a time would come back as a string and
// break IsAfter/AddMinutes after a reload; the memory store keeps the
// time.Time, and this keeps every backend identical. Backends that store
// JSON save VarTimes(c.Vars) beside the record and call RestoreVarTimes
// after decoding.
type TimePath struct {
	Path []string `json:"p"`
	// Ptr is set when the value was a *time.Time.
	Ptr bool `json:"ptr,omitempty"`
}

// varTimes returns the paths of the time.Time and non-nil *time.Time values
// in vars, or nil if there are none.
func VarTimes(vars map[string]any) []TimePath {
	var out []TimePath
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch x := v.(type) {
		case time.Time:
			out = append(out, TimePath{Path: append([]string(nil), path...)})
		case *time.Time:
			if x != nil {
				out = append(out, TimePath{Path: append([]string(nil), path...), Ptr: true})
			}
		case map[string]any:
			for k, e := range x {
				walk(e, append(path, k))
			}
		case []any:
			for i, e := range x {
				walk(e, append(path, strconv.Itoa(i)))
			}
		}
	}
	for k, v := range vars {
		walk(v, []string{k})
	}
	return out
}

// RestoreVarTimes turns the strings at paths back into times.
func RestoreVarTimes(vars map[string]any, paths []TimePath) error {
	for _, p := range paths {
		if err := restoreTimeAt(vars, p); err != nil {
			return fmt.Errorf("restoring time variable %q: %w", p.Path, err)
		}
	}
	return nil
}

func restoreTimeAt(vars map[string]any, p TimePath) error {
	if len(p.Path) == 0 {
		return fmt.Errorf("empty path")
	}
	var container any = vars
	for i, step := range p.Path {
		last := i == len(p.Path)-1
		switch c := container.(type) {
		case map[string]any:
			v, ok := c[step]
			if !ok {
				return fmt.Errorf("no key %q", step)
			}
			if !last {
				container = v
				continue
			}
			t, err := parseVarTime(v, p.Ptr)
			if err != nil {
				return err
			}
			c[step] = t
		case []any:
			n, err := strconv.Atoi(step)
			if err != nil || n < 0 || n >= len(c) {
				return fmt.Errorf("no index %q", step)
			}
			if !last {
				container = c[n]
				continue
			}
			t, err := parseVarTime(c[n], p.Ptr)
			if err != nil {
				return err
			}
			c[n] = t
		default:
			return fmt.Errorf("step %q into a %T", step, container)
		}
	}
	return nil
}

func parseVarTime(v any, ptr bool) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("stored value is a %T, not a time string", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, err
	}
	if ptr {
		return &t, nil
	}
	return t, nil
}
