package flows

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/flows/expression"
)

// ExprProblem locates an error of an expression held in YAML node n of
// file (whose content split at newlines is lines) the way flow lint does:
// an *expression.Error becomes a problem at the file's line and column of
// the error, with its caret snippet; anything else is reported at n.
// prefix is the number of bytes of the node's value before the compiled
// source (1 for a leading '='; negative when the source got longer, as
// for a say text "=expr" compiled as "${expr}"). Test scripts use it too,
// so their expressions are located like flow errors.
func ExprProblem(file string, lines []string, n *yaml.Node, prefix int, err error) Problem {
	p := Pos{File: file, Line: 1, Col: 1}
	if n != nil {
		p = Pos{File: file, Line: n.Line, Col: n.Column}
	}
	var ee *expression.Error
	if n == nil || !errors.As(err, &ee) {
		return Problem{Pos: p, Msg: fmt.Sprint(err)}
	}
	indent := 0 // of the lines of a block scalar
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		p.Col++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		p.Line++
		p.Col = 1
		if p.Line-1 < len(lines) {
			l := lines[p.Line-1]
			indent = len(l) - len(strings.TrimLeft(l, " "))
			p.Col = 1 + indent
		}
	}
	if ee.Line > 1 {
		p.Line += ee.Line - 1
		p.Col = indent + ee.Column
	} else {
		p.Col += prefix + ee.Column - 1
	}
	p.Col = max(p.Col, 1)
	return Problem{Pos: p, Msg: fmt.Sprintf("%s\n%s", ee.Msg, indentSnippet(ee.Snippet()))}
}

func indentSnippet(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + strings.TrimLeft(l, " ")
	}
	return strings.Join(lines, "\n")
}
