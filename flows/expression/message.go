package expression

import (
	"fmt"
	"slices"
	"strings"
)

// CompileMessage compiles the text of a say or ask step: a template, as
// CompileTemplate takes, that also gives DRUID's message forms a meaning,
// so that none of them reaches the visitor as written:
//
//   - a bare [[Entity]].Field (with more .Field after it, if any) is
//     interpolated, as ${[[Entity]].Field} would be; [[Entity]] without a
//     field is an error, and [[Name]] where Name is no entity stays text;
//   - a {{...}} merge field is an error that names the native form, e.g.
//     {{FormatDecimal [[X]].Amount format="#,#0.00"}} asks for
//     ${FormatDecimal([[X]].Amount, "#,#0.00")}. A {{ without }} stays
//     text; ${"{{"} writes "{{" anywhere.
//
// Errors are *Error located in s.
func CompileMessage(s string, opts Options) (*Template, error) {
	return compileTemplate(s, opts, true)
}

// bareEntityEnd returns the end of the [[Entity]].Field.Field... at s[j]
// (which starts with "[["), and the entity's name; end is -1 when s[j:]
// is not [[Name]].
func bareEntityEnd(s string, j int) (end int, entity string) {
	n := identLen(s[j+2:])
	if n == 0 || !strings.HasPrefix(s[j+2+n:], "]]") {
		return -1, ""
	}
	entity = s[j+2 : j+2+n]
	end = j + 2 + n + 2
	for end < len(s) && s[end] == '.' {
		m := identLen(s[end+1:])
		if m == 0 {
			break
		}
		end += 1 + m
	}
	return end, entity
}

// firstField names a field of an entity, for examples in messages.
func firstField(entity string) string {
	e, _ := lookupEntity(entity)
	if names := fieldNames(e.typ); len(names) > 0 {
		if slices.Contains(names, "Name") {
			return "Name"
		}
		return names[0]
	}
	return "Field"
}

// mergeFieldMessage explains a {{body}} merge field and names the native
// form.
func mergeFieldMessage(body string) string {
	const what = "{{...}} merge fields are DRUID syntax and would be sent as written"
	body = strings.TrimSpace(body)
	if body == "" || strings.ContainsAny(body[:1], "#/") || strings.HasPrefix(body, "else") {
		return what + ": blocks such as {{#if}} and {{#each}} are not supported (use a branch step)"
	}
	tokens := splitMergeField(body)
	if len(tokens) == 1 {
		return fmt.Sprintf("%s: write ${%s}", what, tokens[0])
	}
	name := tokens[0]
	if !slices.Contains(functionNames(), name) {
		return fmt.Sprintf("%s, and there is no function %s: write ${...} with an expression", what, name)
	}
	args := make([]string, 0, len(tokens)-1)
	for _, tok := range tokens[1:] {
		// key="value" (a helper's named option) passes the value.
		if k := identLen(tok); k > 0 && k < len(tok) && tok[k] == '=' {
			tok = tok[k+1:]
		}
		args = append(args, tok)
	}
	return fmt.Sprintf("%s: write ${%s(%s)}", what, name, strings.Join(args, ", "))
}

// splitMergeField splits a merge field's body at spaces outside quotes.
func splitMergeField(body string) []string {
	var out []string
	start := -1
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '"' || c == '\'':
			if start < 0 {
				start = i
			}
			if end, ok := scanQuoted(body, i); ok {
				i = end - 1
			}
		case c == ' ' || c == '\t' || c == '\n':
			if start >= 0 {
				out = append(out, body[start:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, body[start:])
	}
	return out
}
