package flows

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/flows/expression"
	"github.com/chatflow/chatflow/schemas"
)

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
