package flows

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/actions/suggest"
	"github.com/chatflow/chatflow/schemas"
)

// LoadBytes loads one flow file's content; file names it in problems and
// decides the syntax (.json is JSON, anything else YAML). The flow is nil
// when any problem is an error.
func (l *Loader) LoadBytes(file string, data []byte) (*Flow, Problems) {
	fc := &fileCtx{l: l, file: file, lines: strings.Split(string(data), "\n")}
	if strings.HasSuffix(file, ".json") {
		if !json.Valid(data) {
			var v any
			err := json.Unmarshal(data, &v)
			var se *json.SyntaxError
			off := int64(0)
			if errors.As(err, &se) {
				off = se.Offset
			}
			line, col := offsetToLineCol(data, int(off))
			fc.errAt(Pos{File: file, Line: line, Col: col}, "invalid JSON: %v", err)
			return nil, fc.probs
		}
		// Valid JSON has tabs only as insignificant white space; YAML
		// forbids them in indentation.
		data = bytes.ReplaceAll(data, []byte{'\t'}, []byte{' '})
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		fc.yamlErr(err)
		return nil, fc.probs
	}
	if len(doc.Content) == 0 {
		fc.errAt(Pos{File: file, Line: 1, Col: 1}, "empty flow file")
		return nil, fc.probs
	}
	root := doc.Content[0]
	fc.checkSchema(root)
	f := fc.build(root)
	slices.SortStableFunc(fc.probs, func(a, b Problem) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	if fc.probs.HasErrors() {
		return nil, fc.probs
	}
	sum := sha256.Sum256(data)
	f.Digest = hex.EncodeToString(sum[:])
	return f, fc.probs
}

type fileCtx struct {
	l     *Loader
	file  string
	lines []string
	probs Problems
}

func (fc *fileCtx) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: fc.file, Line: 1, Col: 1}
	}
	return Pos{File: fc.file, Line: n.Line, Col: n.Column}
}

func (fc *fileCtx) errAt(p Pos, format string, args ...any) {
	fc.probs = append(fc.probs, Problem{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (fc *fileCtx) errf(n *yaml.Node, format string, args ...any) {
	fc.errAt(fc.pos(n), format, args...)
}

func (fc *fileCtx) warnf(n *yaml.Node, format string, args ...any) {
	fc.probs = append(fc.probs, Problem{Pos: fc.pos(n), Severity: SeverityWarning, Msg: fmt.Sprintf(format, args...)})
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (fc *fileCtx) yamlErr(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: unmarshal errors:\n")
		for _, one := range strings.Split(m, "\n") {
			one = strings.TrimSpace(one)
			if one == "" {
				continue
			}
			line := 1
			if sm := yamlLineRE.FindStringSubmatch(one); sm != nil {
				line, _ = strconv.Atoi(sm[1])
				one = sm[2]
			} else if strings.HasPrefix(one, "line ") {
				if i := strings.Index(one, ": "); i > 0 {
					line, _ = strconv.Atoi(one[5:i])
					one = one[i+2:]
				}
			}
			fc.errAt(Pos{File: fc.file, Line: line, Col: 1}, "invalid YAML: %s", one)
		}
	}
}

func offsetToLineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, max(col, 1)
}

// checkSchema validates the document against the flow schema and reports
// each violation at the node it is about.
func (fc *fileCtx) checkSchema(root *yaml.Node) {
	var raw any
	if err := root.Decode(&raw); err != nil {
		fc.yamlErr(err)
		return
	}
	v, err := schemas.Normalize(raw)
	if err != nil {
		fc.errf(root, "%v", err)
		return
	}
	err = fc.l.schema.Validate(v)
	if err == nil {
		return
	}
	for _, p := range schemas.Problems(err) {
		n := nodeAt(root, p.Pointer)
		msg := p.Message
		if m := additionalPropRE.FindStringSubmatch(msg); m != nil {
			// Point at the unknown key itself, with a suggestion.
			for _, key := range strings.Split(m[1], "', '") {
				kn := keyNode(n, key)
				hint := ""
				if s := closest(key, knownKeys(p.Pointer)); s != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", s)
				}
				fc.errf(kn, "%s: unknown key %q%s", humanPath(p.Pointer), key, hint)
			}
			continue
		}
		fc.errf(n, "%s: %s", humanPath(p.Pointer), msg)
	}
}

var (
	additionalPropRE = regexp.MustCompile(`^additionalProperties '(.*)' not allowed$`)
	stepPtrRE        = regexp.MustCompile(`^/steps/\d+$`)
	casePtrRE        = regexp.MustCompile(`^/steps/\d+/branch/\d+$`)
)

func knownKeys(ptr string) []string {
	switch {
	case ptr == "":
		return []string{"id", "version", "trigger", "description", "variables", "steps"}
	case stepPtrRE.MatchString(ptr):
		return []string{"id", "say", "ask", "into", "set", "action", "params", "on_error", "branch", "else", "goto", "end"}
	case casePtrRE.MatchString(ptr):
		return []string{"if", "goto"}
	}
	return nil
}

// humanPath turns a JSON pointer into "steps[2].goto".
func humanPath(ptr string) string {
	if ptr == "" {
		return "flow"
	}
	var b strings.Builder
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// nodeAt follows a JSON pointer through a YAML node tree and returns the
// deepest node it reaches.
func nodeAt(n *yaml.Node, ptr string) *yaml.Node {
	if ptr == "" {
		return n
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch n.Kind {
		case yaml.MappingNode:
			next := mapValue(n, tok)
			if next == nil {
				return n
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return n
			}
			n = n.Content[i]
		default:
			return n
		}
	}
	return n
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func keyNode(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i]
			}
		}
	}
	return n
}

func closest(name string, candidates []string) string {
	return suggest.Closest(name, candidates, len(name)/2)
}
