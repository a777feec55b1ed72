package flowtest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/actions/suggest"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/flows/expression"
)

// CheckOptions configures Check.
type CheckOptions struct {
	// Commands are the names of the extra commands the scripts may use
	// beside the built-in ones (System.Commands of the Builder they run
	// with).
	Commands []string
	// Vars returns the variables the flows at paths declare (flows.Flow
	// VarNames, all flows together), so that a misspelled @Name in an
	// expectation is reported; nil, or a nil result, skips that check.
	Vars func(paths []string) map[string]bool
}

// Check does the static checks of a test script, without running it, and
// returns every problem, each located at its file:line:col: the script
// parses, its flows exist, every step is a map with one key naming a known
// command (with a did-you-mean), and the expressions of assert, expect
// (keys, and values written "=...") compile, with the caret under the
// error as in flow lint. A duration of advance must parse too.
func Check(path string, opts CheckOptions) flows.Problems {
	at := func(line, col int, format string, args ...any) flows.Problem {
		return flows.Problem{Pos: flows.Pos{File: path, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return flows.Problems{at(1, 1, "%v", err)}
	}
	var sc Script
	if err := yaml.Unmarshal(data, &sc); err != nil {
		return flows.Problems{at(1, 1, "invalid test script: %v", err)}
	}
	var probs flows.Problems
	dirs := sc.Flows
	if len(dirs) == 0 {
		dirs = Paths{"../flows"}
	}
	paths := make([]string, len(dirs))
	for i, dir := range dirs {
		paths[i] = dir
		if !filepath.IsAbs(dir) {
			paths[i] = filepath.Join(filepath.Dir(path), dir)
		}
		if _, err := os.Stat(paths[i]); err != nil {
			probs = append(probs, at(1, 1, "flows %q: %v", dir, err))
		}
	}
	if sc.Steps.Kind != yaml.SequenceNode {
		return append(probs, at(1, 1, "a test script needs a list of steps"))
	}
	known := slices.Concat(slices.Collect(maps.Keys(builtinCommands())), opts.Commands)
	slices.Sort(known)
	c := &scriptChecker{file: path, lines: strings.Split(string(data), "\n")}
	if opts.Vars != nil && len(probs) == 0 {
		c.vars = opts.Vars(paths)
	}
	for i, st := range sc.Steps.Content {
		if st.Kind != yaml.MappingNode || len(st.Content) != 2 {
			probs = append(probs, at(st.Line, st.Column, "step %d: a step is a map with one key", i+1))
			continue
		}
		kn, arg := st.Content[0], st.Content[1]
		if !slices.Contains(known, kn.Value) {
			probs = append(probs, at(kn.Line, kn.Column, "step %d: %s", i+1, unknownCommand(kn.Value, known)))
			continue
		}
		switch kn.Value {
		case "assert":
			c.expr(arg, expression.KindBool)
		case "expect":
			if arg.Kind != yaml.MappingNode {
				probs = append(probs, at(arg.Line, arg.Column, "step %d: expect takes a map of expression: expected value", i+1))
				continue
			}
			for k := 0; k+1 < len(arg.Content); k += 2 {
				c.expr(arg.Content[k], expression.KindAny)
				if vn := arg.Content[k+1]; vn.Kind == yaml.ScalarNode && vn.Tag == "!!str" && strings.HasPrefix(vn.Value, "=") {
					c.expr(vn, expression.KindAny)
				}
			}
		case "advance":
			if _, err := ParseDuration(arg.Value); err != nil {
				probs = append(probs, at(arg.Line, arg.Column, "step %d: advance: %v", i+1, err))
			}
		}
	}
	probs = append(probs, c.probs...)
	slices.SortStableFunc(probs, func(a, b flows.Problem) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	return probs
}

// scriptChecker compiles a script's expressions.
type scriptChecker struct {
	file  string
	lines []string
	vars  map[string]bool
	probs flows.Problems
}

// expr compiles the expression of n (with or without the leading '='), as
// Session.Eval will, and reports an error where it is in the file.
func (c *scriptChecker) expr(n *yaml.Node, expect expression.Kind) {
	src, prefix := n.Value, 0
	if s, ok := strings.CutPrefix(src, "="); ok {
		src, prefix = s, 1
	}
	if _, err := expression.Compile(src, expression.Options{Vars: c.vars, Expect: expect}); err != nil {
		c.probs = append(c.probs, flows.ExprProblem(c.file, c.lines, n, prefix, err))
	}
}

// unknownCommand explains an unknown command, with a did-you-mean when a
// known one is close, else the list of known ones.
func unknownCommand(name string, known []string) string {
	if s := suggest.Closest(name, known, max(2, len(name)/3)); s != "" {
		return fmt.Sprintf("unknown command %q (did you mean %q?)", name, s)
	}
	return fmt.Sprintf("unknown command %q (known: %s)", name, strings.Join(known, ", "))
}
