package expression

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Template is a string with ${...} interpolations, as in a say step:
//
//	Hello ${[[ChatUser]].Name}, you are blocked until ${[[ConversationInfo]].LiveChatBlockedUntil}.
//
// Each ${...} holds an expression in the same notation as Compile takes;
// "$${" writes a literal "${". A Template is immutable and safe for
// concurrent use.
type Template struct {
	src   string
	parts []templatePart
	size  int // bytes of literal text, to size the output
}

// templatePart is literal text or one compiled ${...}.
type templatePart struct {
	lit  string
	prog *Program
	off  int // byte offset of the expression in the template
}

// CompileTemplate compiles a template, compiling each ${...} with opts (whose
// Expect is ignored: any value can be interpolated). Errors are *Error
// located in s: an unterminated "${", an empty "${}", or an error of one
// expression, shifted to where that expression sits in s.
func CompileTemplate(s string, opts Options) (*Template, error) {
	return compileTemplate(s, opts, false)
}

// compileTemplate is CompileTemplate, and CompileMessage when message is
// set.
func compileTemplate(s string, opts Options, message bool) (*Template, error) {
	opts.Expect = KindAny
	t := &Template{src: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, templatePart{lit: lit.String()})
			t.size += lit.Len()
			lit.Reset()
		}
	}
	specials := "$"
	if message {
		specials = "$[{"
	}
	i := 0
	for i < len(s) {
		j := strings.IndexAny(s[i:], specials)
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		j += i
		lit.WriteString(s[i:j])
		switch {
		case message && strings.HasPrefix(s[j:], "{{"):
			if end := strings.Index(s[j+2:], "}}"); end >= 0 {
				return nil, newError(s, j, mergeFieldMessage(s[j+2:j+2+end]))
			}
			lit.WriteString("{{")
			i = j + 2
		case message && strings.HasPrefix(s[j:], "[["):
			end, entity := bareEntityEnd(s, j)
			switch {
			case end < 0:
				lit.WriteString("[[")
				i = j + 2
				continue
			case end == j+len(entity)+4:
				if _, ok := lookupEntity(entity); !ok {
					lit.WriteString(s[j:end])
					i = end
					continue
				}
				return nil, newError(s, j, fmt.Sprintf("[[%s]] in text needs a field, as in [[%s]].%s", entity, entity, firstField(entity)))
			}
			p, err := Compile(s[j:end], opts)
			if err != nil {
				return nil, shiftError(s, j, err)
			}
			flush()
			t.parts = append(t.parts, templatePart{prog: p, off: j})
			i = end
		case strings.HasPrefix(s[j:], "$${"):
			lit.WriteString("${")
			i = j + 3
		case strings.HasPrefix(s[j:], "${"):
			end, ok := interpolationEnd(s, j+2)
			if !ok {
				return nil, newError(s, j, "unterminated ${ in template (missing })")
			}
			body := s[j+2 : end]
			if strings.TrimSpace(body) == "" {
				return nil, newError(s, j, "empty ${} in template")
			}
			p, err := Compile(body, opts)
			if err != nil {
				return nil, shiftError(s, j+2, err)
			}
			flush()
			t.parts = append(t.parts, templatePart{prog: p, off: j + 2})
			i = end + 1
		default:
			lit.WriteByte(s[j])
			i = j + 1
		}
	}
	flush()
	return t, nil
}

// interpolationEnd returns the offset of the '}' closing the ${ whose body
// starts at start, skipping string literals and balanced braces.
func interpolationEnd(s string, start int) (int, bool) {
	depth := 0
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '"', '\'':
			end, ok := scanQuoted(s, j)
			if !ok {
				return 0, false
			}
			j = end - 1
		case '`':
			end := strings.IndexByte(s[j+1:], '`')
			if end < 0 {
				return 0, false
			}
			j += end + 1
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return j, true
			}
			depth--
		}
	}
	return 0, false
}

// shiftError relocates an *Error of an expression that starts at byte base
// of template s into s.
func shiftError(s string, base int, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	shifted := newError(s, base+e.Offset, e.Msg)
	shifted.err = e.err
	return shifted
}

// Source returns the template as it was written.
func (t *Template) Source() string {
	return t.src
}

// IsLiteral reports whether the template has no ${...}: Render then returns
// the text (with "$${" unescaped) without evaluating anything.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts {
		if p.prog != nil {
			return false
		}
	}
	return true
}

// Variables returns the flow variables the template reads, sorted, without
// duplicates.
func (t *Template) Variables() []string {
	var names []string
	for _, p := range t.parts {
		if p.prog != nil {
			names = append(names, p.prog.vars...)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Render evaluates the interpolations with r against env and returns the
// text, each value formatted by Format. An evaluation error is an *Error
// located in the template.
func (t *Template) Render(r *Runner, env *Env) (string, error) {
	if len(t.parts) == 1 && t.parts[0].prog == nil {
		return t.parts[0].lit, nil
	}
	var b strings.Builder
	b.Grow(t.size + 16*len(t.parts))
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := r.Run(p.prog, env)
		if err != nil {
			return "", shiftError(t.src, p.off, err)
		}
		writeValue(&b, v)
	}
	return b.String(), nil
}

// Format formats a value of an expression the way templates show it:
// null (nil, or a nil pointer) as "", times as RFC 3339 in UTC
// (2024-05-01T12:00:00Z), floats without trailing zeros (1.5, 2), lists
// as their items separated by ", ", maps and records as JSON, anything else
// with fmt.
func Format(v any) string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
	case string:
		b.WriteString(x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case time.Time:
		b.WriteString(x.UTC().Format(time.RFC3339))
	case *time.Time:
		if x != nil {
			b.WriteString(x.UTC().Format(time.RFC3339))
		}
	case time.Duration:
		b.WriteString(x.String())
	case []any:
		for i, item := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, item)
		}
	default:
		writeReflected(b, reflect.ValueOf(v))
	}
}

func writeReflected(b *strings.Builder, rv reflect.Value) {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !rv.IsNil() {
			writeValue(b, rv.Elem().Interface())
		}
	case reflect.String:
		b.WriteString(rv.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(rv.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32:
		b.WriteString(strconv.FormatFloat(rv.Float(), 'f', -1, 32))
	case reflect.Float64:
		b.WriteString(strconv.FormatFloat(rv.Float(), 'f', -1, 64))
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return
		}
		for i := range rv.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, rv.Index(i).Interface())
		}
	case reflect.Map, reflect.Struct:
		if rv.Kind() == reflect.Map && rv.IsNil() {
			return
		}
		data, err := json.Marshal(rv.Interface())
		if err != nil {
			fmt.Fprint(b, rv.Interface())
			return
		}
		b.Write(data)
	default:
		fmt.Fprint(b, rv.Interface())
	}
}
