package flows

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/actions/suggest"
	"github.com/chatflow/chatflow/flows/expression"
	"github.com/chatflow/chatflow/schemas"
)

// flowFileSuffixes are the file name endings the loader treats as flows when
// it walks a directory.
var flowFileSuffixes = []string{".flow.yaml", ".flow.yml", ".flow.json"}

// IsFlowFile reports whether a file name is a flow file by its suffix.
func IsFlowFile(name string) bool {
	for _, s := range flowFileSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// builtinVars are declared in every flow.
var builtinVars = []string{"InternalActionResult", "InternalActionError", "LastUserMessage"}

var stepKinds = []string{"say", "ask", "set", "action", "branch", "goto", "end"}

// Loader loads and lints flow files. Its Registry resolves action names and
// validates literal parameters; it must be set.
type Loader struct {
	Registry *actions.Registry
	// Languages are the languages the customers are served in (the
	// widget's languages), the first the default. A say or ask text
	// written per language ({en: …, de: …}) that lacks one of them is a
	// warning. Empty: no such check.
	Languages []string
	schema    *jsonschema.Schema
}

// NewLoader returns a loader that checks actions against reg.
func NewLoader(reg *actions.Registry) (*Loader, error) {
	s, err := schemas.Flow()
	if err != nil {
		return nil, err
	}
	return &Loader{Registry: reg, schema: s}, nil
}

// Load loads flow files and directories (walked recursively for
// flowFileSuffixes) into a Set. It returns every problem found; the Set is
// nil when any problem is an error.
func (l *Loader) Load(paths ...string) (*Set, Problems) {
	files, probs := expandPaths(paths)
	var flows []*Flow
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			probs = append(probs, Problem{Pos: Pos{File: f, Line: 1, Col: 1}, Msg: err.Error()})
			continue
		}
		fl, ps := l.LoadBytes(f, data)
		probs = append(probs, ps...)
		if fl != nil {
			flows = append(flows, fl)
		}
	}
	set, ps := NewSet(flows)
	probs = append(probs, ps...)
	if probs.HasErrors() {
		return nil, probs
	}
	return set, probs
}

// OtherModule reports whether the directory d at path, met while walking
// root, is another Go module (a go.mod of its own, below root): a binary
// built on chatflow with actions of its own (examples/plugin), whose
// flows and scripts its own binary validates. Every walk of flows, test
// scripts and rules skips it.
func OtherModule(root, path string, d fs.DirEntry) bool {
	if !d.IsDir() || filepath.Clean(path) == filepath.Clean(root) {
		return false
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

func expandPaths(paths []string) ([]string, Problems) {
	var files []string
	var probs Problems
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			probs = append(probs, Problem{Pos: Pos{File: p, Line: 1, Col: 1}, Msg: err.Error()})
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if OtherModule(p, path, d) {
				return filepath.SkipDir
			}
			if !d.IsDir() && IsFlowFile(d.Name()) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			probs = append(probs, Problem{Pos: Pos{File: p, Line: 1, Col: 1}, Msg: err.Error()})
		}
	}
	sort.Strings(files)
	return files, probs
}

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

// build walks the document into a Flow, compiling what it can and reporting
// semantic problems. It is defensive: shapes the schema rejected are skipped
// (already reported).
func (fc *fileCtx) build(root *yaml.Node) *Flow {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	f := &Flow{File: fc.file, Vars: map[string]any{}, index: map[string]int{}}
	if n := mapValue(root, "id"); n != nil {
		f.ID = n.Value
	}
	if n := mapValue(root, "version"); n != nil {
		f.Version, _ = strconv.Atoi(n.Value)
	}
	if n := mapValue(root, "trigger"); n != nil {
		f.Trigger = Trigger(n.Value)
	}
	if n := mapValue(root, "description"); n != nil {
		f.Description = n.Value
	}
	if n := mapValue(root, "variables"); n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			var v any
			if err := n.Content[i+1].Decode(&v); err == nil {
				v, _ = schemas.Normalize(v)
			}
			f.Vars[n.Content[i].Value] = v
		}
	}
	if n := mapValue(root, "priority"); n != nil {
		f.Priority, _ = strconv.Atoi(n.Value)
	}
	if n := mapValue(root, "prompts_after_block"); n != nil {
		f.PromptsAfterBlock = n.Value == "true"
	}
	stepsNode := mapValue(root, "steps")
	if stepsNode == nil || stepsNode.Kind != yaml.SequenceNode {
		return f
	}
	sb := &stepBuilder{fc: fc, f: f, declared: map[string]bool{}}
	sb.declare(stepsNode)
	sb.inferVarTypes(stepsNode)
	if n := mapValue(root, "when"); n != nil && strings.HasPrefix(n.Value, "=") {
		f.When = sb.compile(n, n.Value[1:], 1, expression.KindBool)
	}
	for i, sn := range stepsNode.Content {
		f.Steps = append(f.Steps, sb.step(i, sn))
	}
	sb.resolve()
	fc.reachability(f, stepsNode)
	return f
}

type stepBuilder struct {
	fc       *fileCtx
	f        *Flow
	declared map[string]bool
	// varTypes are the variables' inferred types (see inferVarTypes).
	varTypes map[string]reflect.Type
	// refs are jump targets to resolve once every id is known.
	refs []ref
}

type ref struct {
	node *yaml.Node
	dst  *int
}

// declare collects step ids and variable names before compiling, so that
// references may point forward.
func (sb *stepBuilder) declare(steps *yaml.Node) {
	for _, v := range builtinVars {
		sb.declared[v] = true
	}
	for name := range sb.f.Vars {
		sb.declared[name] = true
	}
	for i, sn := range steps.Content {
		id := "#" + strconv.Itoa(i+1)
		if n := mapValue(sn, "id"); n != nil && n.Value != "" {
			if prev, dup := sb.f.index[n.Value]; dup {
				sb.fc.errf(n, "duplicate step id %q (first used by step %d)", n.Value, prev+1)
			} else {
				id = n.Value
			}
		}
		if _, taken := sb.f.index[id]; !taken {
			sb.f.index[id] = i
		}
		if n := mapValue(sn, "into"); n != nil {
			sb.declareVar(strings.TrimPrefix(n.Value, "@"))
		}
		if set := mapValue(sn, "set"); set != nil && set.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(set.Content); k += 2 {
				if t := set.Content[k].Value; strings.HasPrefix(t, "@") {
					sb.declareVar(t[1:])
				}
			}
		}
	}
}

func (sb *stepBuilder) declareVar(name string) {
	sb.declared[name] = true
	if _, ok := sb.f.Vars[name]; !ok {
		sb.f.Vars[name] = nil
	}
}

func (sb *stepBuilder) opts(expect expression.Kind) expression.Options {
	return expression.Options{Vars: sb.declared, Expect: expect, VarTypes: sb.varTypes}
}

func (sb *stepBuilder) step(i int, sn *yaml.Node) *Step {
	st := &Step{ID: "#" + strconv.Itoa(i+1), Pos: sb.fc.pos(sn), OnError: -1, Else: -1, Goto: -1}
	if n := mapValue(sn, "id"); n != nil && n.Value != "" {
		if idx := sb.f.index[n.Value]; idx == i {
			st.ID = n.Value
		}
	}
	if sn.Kind != yaml.MappingNode {
		return st
	}
	var kinds []string
	for _, k := range stepKinds {
		if mapValue(sn, k) != nil {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		sb.fc.errf(sn, "step %s has no kind: give one of %s", st.ID, strings.Join(stepKinds, ", "))
		return st
	case 1:
	default:
		sb.fc.errf(keyNode(sn, kinds[1]), "step %s has both %q and %q: a step does one thing", st.ID, kinds[0], kinds[1])
		return st
	}
	companions := map[string]string{"into": "ask", "params": "action", "on_error": "action", "else": "branch"}
	for key, owner := range companions {
		if mapValue(sn, key) != nil && kinds[0] != owner {
			sb.fc.errf(keyNode(sn, key), "%q belongs to %s steps, not %s", key, owner, kinds[0])
		}
	}
	switch kinds[0] {
	case "say":
		st.Kind = StepSay
		st.Text, st.Texts = sb.texts(st, "say", mapValue(sn, "say"))
	case "ask":
		st.Kind = StepAsk
		st.Text, st.Texts = sb.texts(st, "ask", mapValue(sn, "ask"))
		if n := mapValue(sn, "into"); n != nil {
			st.Into = strings.TrimPrefix(n.Value, "@")
		}
	case "set":
		st.Kind = StepSet
		sb.assignments(st, mapValue(sn, "set"))
	case "action":
		st.Kind = StepAction
		sb.action(st, sn)
	case "branch":
		st.Kind = StepBranch
		if bn := mapValue(sn, "branch"); bn != nil && bn.Kind == yaml.SequenceNode {
			// Sized up front: refs keep pointers to the elements.
			st.Cases = make([]Case, 0, len(bn.Content))
			for _, cn := range bn.Content {
				c := Case{Goto: -1, Pos: sb.fc.pos(cn)}
				if n := mapValue(cn, "if"); n != nil && strings.HasPrefix(n.Value, "=") {
					c.Cond = sb.compile(n, n.Value[1:], 1, expression.KindBool)
				}
				st.Cases = append(st.Cases, c)
				sb.addRef(mapValue(cn, "goto"), &st.Cases[len(st.Cases)-1].Goto)
			}
		}
		sb.addRef(mapValue(sn, "else"), &st.Else)
	case "goto":
		st.Kind = StepGoto
		sb.addRef(mapValue(sn, "goto"), &st.Goto)
	case "end":
		st.Kind = StepEnd
		st.EndConversation = mapValue(sn, "end").Value == "conversation"
	}
	return st
}

func (sb *stepBuilder) addRef(n *yaml.Node, dst *int) {
	if n != nil {
		sb.refs = append(sb.refs, ref{node: n, dst: dst})
	}
}

func (sb *stepBuilder) resolve() {
	ids := make([]string, 0, len(sb.f.index))
	for id := range sb.f.index {
		if !strings.HasPrefix(id, "#") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, r := range sb.refs {
		if i, ok := sb.f.index[r.node.Value]; ok {
			*r.dst = i
			continue
		}
		hint := ""
		if s := closest(r.node.Value, ids); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		sb.fc.errf(r.node, "unknown step id %q%s", r.node.Value, hint)
	}
}

// template compiles a say/ask text: "=expr" or a string with ${...}.
// texts compiles the text of a say or ask step: one template, or a map of
// templates by language ({en: …, de: …}). The default (returned first) is
// the text of the first configured language, else of en, else the first
// written. A language of Loader.Languages the map lacks is a warning.
func (sb *stepBuilder) texts(st *Step, kind string, n *yaml.Node) (*expression.Template, map[string]*expression.Template) {
	if n == nil || n.Kind != yaml.MappingNode {
		return sb.template(n), nil
	}
	texts := map[string]*expression.Template{}
	var first *expression.Template
	for i := 0; i+1 < len(n.Content); i += 2 {
		lang, v := strings.ToLower(n.Content[i].Value), n.Content[i+1]
		t := sb.template(v)
		if t == nil {
			continue
		}
		texts[lang] = t
		if first == nil {
			first = t
		}
	}
	var missing []string
	langs := sb.fc.l.Languages
	for _, l := range langs {
		if _, ok := texts[strings.ToLower(l)]; !ok {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		sb.fc.warnf(n, "step %s: %s has no text in %s (configured languages: %s)", st.ID, kind, strings.Join(missing, ", "), strings.Join(langs, ", "))
	}
	def := first
	for _, l := range append(slices.Clone(langs), "en") {
		if t, ok := texts[strings.ToLower(l)]; ok {
			def = t
			break
		}
	}
	return def, texts
}

func (sb *stepBuilder) template(n *yaml.Node) *expression.Template {
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil
	}
	src := n.Value
	prefix := 0
	if strings.HasPrefix(src, "=") {
		// "=expr" is the expression's value as text: the same as "${expr}".
		src, prefix = "${"+src[1:]+"}", -1
	}
	compile := expression.CompileMessage // DRUID's forms in text
	if prefix < 0 {
		compile = expression.CompileTemplate
	}
	t, err := compile(src, sb.opts(expression.KindAny))
	if err != nil {
		sb.exprErr(n, prefix, err)
		return nil
	}
	return t
}

// compile compiles an expression held in node n; prefix is how many bytes
// of the node's value precede src (1 for the '=').
func (sb *stepBuilder) compile(n *yaml.Node, src string, prefix int, expect expression.Kind) *expression.Program {
	p, err := expression.Compile(src, sb.opts(expect))
	if err != nil {
		sb.exprErr(n, prefix, err)
		return nil
	}
	return p
}

// value compiles a literal, '=' expression or ${} template held in n.
func (sb *stepBuilder) value(n *yaml.Node) (Value, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		switch {
		case strings.HasPrefix(n.Value, "="):
			p := sb.compile(n, n.Value[1:], 1, expression.KindAny)
			return Value{Prog: p}, p != nil
		case strings.Contains(n.Value, "${"):
			t, err := expression.CompileTemplate(n.Value, sb.opts(expression.KindAny))
			if err != nil {
				sb.exprErr(n, 0, err)
				return Value{}, false
			}
			if t.IsLiteral() {
				s, _ := t.Render(nil, nil)
				return Value{Lit: s}, true
			}
			return Value{Tmpl: t}, true
		}
	}
	var v any
	if err := n.Decode(&v); err != nil {
		sb.fc.errf(n, "%v", err)
		return Value{}, false
	}
	v, err := schemas.Normalize(v)
	if err != nil {
		sb.fc.errf(n, "%v", err)
		return Value{}, false
	}
	return Value{Lit: v}, true
}

func (sb *stepBuilder) assignments(st *Step, n *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		t, err := expression.ParseTarget(kn.Value, sb.opts(expression.KindAny))
		if err != nil {
			sb.exprErr(kn, 0, err)
			continue
		}
		v, ok := sb.value(vn)
		if !ok {
			continue
		}
		var typ reflect.Type
		switch {
		case v.Prog != nil:
			typ = v.Prog.Type()
		case v.Tmpl != nil:
			typ = reflect.TypeFor[string]()
		default:
			typ = reflect.TypeOf(v.Lit)
		}
		if err := t.Check(typ); err != nil {
			sb.fc.errf(vn, "%v", err)
			continue
		}
		st.Assign = append(st.Assign, Assignment{Target: t, Value: v})
	}
}

func (sb *stepBuilder) action(st *Step, sn *yaml.Node) {
	an := mapValue(sn, "action")
	st.Action = an.Value
	sb.addRef(mapValue(sn, "on_error"), &st.OnError)
	reg := sb.fc.l.Registry
	if !reg.Has(st.Action) {
		hint := ""
		if s := reg.Suggest(st.Action); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		sb.fc.errf(an, "unknown action %q%s", st.Action, hint)
		return
	}
	pn := mapValue(sn, "params")
	tree := map[string]any{}
	var dynamic []string // JSON pointers of leaves that need evaluation
	if pn != nil && pn.Kind == yaml.MappingNode {
		lit, ok := sb.paramTree(pn, "", &dynamic).(map[string]any)
		if !ok {
			return
		}
		tree = lit
	}
	st.Params = &Params{}
	if len(dynamic) == 0 {
		prepared, err := reg.Prepare(st.Action, tree)
		if err != nil {
			sb.paramsErr(st, pn, an, err, nil)
			return
		}
		st.Params.Prepared = prepared
		return
	}
	st.Params.Tree = tree
	// Check the literal part now; the rest is checked per call.
	if _, err := reg.Prepare(st.Action, literalOnly(tree).(map[string]any)); err != nil {
		sb.paramsErr(st, pn, an, err, dynamic)
	}
}

// paramTree converts a params node into literals and *Value leaves.
func (sb *stepBuilder) paramTree(n *yaml.Node, ptr string, dynamic *[]string) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			m[k] = sb.paramTree(n.Content[i+1], ptr+"/"+k, dynamic)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = sb.paramTree(c, ptr+"/"+strconv.Itoa(i), dynamic)
		}
		return s
	}
	v, ok := sb.value(n)
	if !ok {
		return nil
	}
	if v.IsLiteral() {
		return v.Lit
	}
	*dynamic = append(*dynamic, ptr)
	return &v
}

func literalOnly(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			if _, dyn := x.(*Value); !dyn {
				m[k] = literalOnly(x)
			}
		}
		return m
	case []any:
		s := make([]any, 0, len(t))
		for _, x := range t {
			if _, dyn := x.(*Value); !dyn {
				s = append(s, literalOnly(x))
			}
		}
		return s
	}
	return v
}

func (sb *stepBuilder) paramsErr(st *Step, pn, an *yaml.Node, err error, dynamic []string) {
	var pe *actions.ParamsError
	if !errors.As(err, &pe) {
		sb.fc.errf(an, "%v", err)
		return
	}
	for _, p := range pe.Problems {
		// Properties given by expressions are checked per call.
		if p = withoutDynamic(p, dynamic); p.Message == "" {
			continue
		}
		n := an
		if pn != nil {
			n = nodeAt(pn, p.Pointer)
			if m := additionalPropRE.FindStringSubmatch(p.Message); m != nil {
				n = keyNode(n, m[1])
			}
		}
		ptr := p.Pointer
		if ptr == "" {
			ptr = "/"
		}
		sb.fc.errf(n, "params of %s at %s: %s", st.Action, ptr, p.Message)
	}
}

var missingRE = regexp.MustCompile(`'([^']*)'`)

// withoutDynamic drops, from a "missing properties" problem, the
// properties given by expressions; the message is empty when none is left.
func withoutDynamic(p actions.Problem, dynamic []string) actions.Problem {
	if !strings.HasPrefix(p.Message, "missing properties") {
		return p
	}
	var left []string
	for _, n := range missingRE.FindAllStringSubmatch(p.Message, -1) {
		if !slices.Contains(dynamic, p.Pointer+"/"+n[1]) {
			left = append(left, "'"+n[1]+"'")
		}
	}
	if len(left) == 0 {
		p.Message = ""
	} else {
		p.Message = "missing properties: " + strings.Join(left, ", ")
	}
	return p
}

// exprErr reports an expression compile error at its position in the file,
// with the caret snippet. prefix is the number of bytes of the node value
// before the compiled source (negative when the source got longer).
func (sb *stepBuilder) exprErr(n *yaml.Node, prefix int, err error) {
	sb.fc.probs = append(sb.fc.probs, ExprProblem(sb.fc.file, sb.fc.lines, n, prefix, err))
}

// reachability warns about steps no path from the first step reaches.
func (fc *fileCtx) reachability(f *Flow, steps *yaml.Node) {
	if len(f.Steps) == 0 {
		return
	}
	seen := make([]bool, len(f.Steps))
	var stack = []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i < 0 || i >= len(f.Steps) || seen[i] {
			continue
		}
		seen[i] = true
		st := f.Steps[i]
		switch st.Kind {
		case StepGoto:
			stack = append(stack, st.Goto)
		case StepEnd:
		case StepBranch:
			for _, c := range st.Cases {
				stack = append(stack, c.Goto)
			}
			if st.Else >= 0 {
				stack = append(stack, st.Else)
			} else {
				stack = append(stack, i+1)
			}
		case StepAction:
			stack = append(stack, i+1, st.OnError)
		default:
			stack = append(stack, i+1)
		}
	}
	for i, ok := range seen {
		if !ok {
			fc.warnf(steps.Content[i], "step %s is unreachable", f.Steps[i].ID)
		}
	}
}

// Set is a checked collection of flows: every version of every flow id,
// with one flow id per trigger. It is immutable.
type Set struct {
	versions map[string]map[int]*Flow
	latest   map[string]*Flow
	// trigger lists the flow ids of each trigger in routing order: flows
	// with a When condition by priority then id, the fallback last.
	trigger map[Trigger][]string
}

// NewSet indexes flows, reporting duplicate versions, flows whose versions
// disagree on the trigger, and two fallback flows (no when) for one trigger.
func NewSet(flows []*Flow) (*Set, Problems) {
	s := &Set{versions: map[string]map[int]*Flow{}, latest: map[string]*Flow{}, trigger: map[Trigger][]string{}}
	var probs Problems
	fallback := map[Trigger]string{}
	for _, f := range flows {
		at := Pos{File: f.File, Line: 1, Col: 1}
		vs := s.versions[f.ID]
		if vs == nil {
			vs = map[int]*Flow{}
			s.versions[f.ID] = vs
		}
		if prev, dup := vs[f.Version]; dup {
			probs = append(probs, Problem{Pos: at, Msg: fmt.Sprintf("flow %q version %d is also defined in %s", f.ID, f.Version, prev.File)})
			continue
		}
		if other, ok := fallback[f.Trigger]; ok && other != f.ID && f.When == nil {
			probs = append(probs, Problem{Pos: at, Msg: fmt.Sprintf("trigger %q already has a fallback flow %q (%s): give one of them a when condition", f.Trigger, other, s.latest[other].File)})
			continue
		}
		if l := s.latest[f.ID]; l != nil && l.Trigger != f.Trigger {
			probs = append(probs, Problem{Pos: at, Msg: fmt.Sprintf("flow %q version %d has trigger %q but version %d (%s) has %q", f.ID, f.Version, f.Trigger, l.Version, l.File, l.Trigger)})
			continue
		}
		vs[f.Version] = f
		if f.When == nil {
			fallback[f.Trigger] = f.ID
		}
		if l := s.latest[f.ID]; l == nil || f.Version > l.Version {
			s.latest[f.ID] = f
		}
	}
	for id, f := range s.latest {
		s.trigger[f.Trigger] = append(s.trigger[f.Trigger], id)
	}
	for _, ids := range s.trigger {
		slices.SortFunc(ids, func(a, b string) int {
			fa, fb := s.latest[a], s.latest[b]
			if (fa.When == nil) != (fb.When == nil) {
				if fa.When == nil {
					return 1
				}
				return -1
			}
			if fa.Priority != fb.Priority {
				return fb.Priority - fa.Priority
			}
			return strings.Compare(a, b)
		})
	}
	return s, probs
}

// Latest returns the highest version of a flow.
func (s *Set) Latest(id string) (*Flow, bool) {
	f, ok := s.latest[id]
	return f, ok
}

// Version returns one version of a flow.
func (s *Set) Version(id string, v int) (*Flow, bool) {
	f, ok := s.versions[id][v]
	return f, ok
}

// ForTrigger returns the ids of the flows of a trigger in routing order.
func (s *Set) ForTrigger(t Trigger) []string { return s.trigger[t] }

// Flows returns every loaded flow version, by id then version.
func (s *Set) Flows() []*Flow {
	var out []*Flow
	for _, vs := range s.versions {
		for _, f := range vs {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *Flow) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return a.Version - b.Version
	})
	return out
}

// Merge returns a set with the flows of s and next, where next wins for
// (id, version) pairs in both. Old versions stay so that running
// conversations keep their pinned version after a reload.
func (s *Set) Merge(next *Set) (*Set, Problems) {
	all := next.Flows()
	var probs Problems
	for _, f := range s.Flows() {
		nf, ok := next.Version(f.ID, f.Version)
		if !ok {
			all = append(all, f)
			continue
		}
		if f.Digest != "" && nf.Digest != "" && nf.Digest != f.Digest {
			probs = append(probs, Problem{Pos: Pos{File: nf.File, Line: 1, Col: 1},
				Msg: fmt.Sprintf("flow %q changed but its version is still %d: give it version %d, so that running conversations keep the one they started on", f.ID, f.Version, s.latestVersion(f.ID)+1)})
		}
	}
	if probs.HasErrors() {
		return nil, probs
	}
	return NewSet(all)
}

// latestVersion is the highest loaded version of flow id.
func (s *Set) latestVersion(id string) int {
	if f, ok := s.Latest(id); ok {
		return f.Version
	}
	return 0
}
