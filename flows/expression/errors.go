package expression

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chatflow/chatflow/actions/suggest"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrTypeMismatch is wrapped by Target.Check, Target.Set and Runner.Run
	// when a value has the wrong type for where it goes.
	ErrTypeMismatch = errors.New("type mismatch")
	// ErrNullTime is wrapped by the time functions that cannot work on a
	// null time (MinutesBetween).
	ErrNullTime = errors.New("time is null")
)

// Error is an error in an expression, template or assignment target, located
// in the ORIGINAL text the author wrote (not in the expr syntax it was
// translated to). Compile, CompileTemplate and ParseTarget return it, and so
// does Runner.Run for errors raised while evaluating.
type Error struct {
	// Source is the text the position refers to: the expression (without
	// the leading '='), the whole template, or the target.
	Source string
	// Offset is the 0-based byte offset of the error in Source.
	Offset int
	// Line and Column are 1-based; Column counts characters (runes), not
	// bytes, from the start of the line.
	Line, Column int
	// Msg says what is wrong, lowercase, without position.
	Msg string

	err error // the underlying error, if any; see Unwrap
}

// newError returns an *Error at byte offset off of src, computing the line
// and column. off is clamped to [0, len(src)].
func newError(src string, off int, msg string) *Error {
	off = max(0, min(off, len(src)))
	// Step back onto a rune boundary if off landed inside a rune.
	for off > 0 && off < len(src) && !utf8.RuneStart(src[off]) {
		off--
	}
	lineStart := strings.LastIndexByte(src[:off], '\n') + 1
	return &Error{
		Source: src,
		Offset: off,
		Line:   strings.Count(src[:off], "\n") + 1,
		Column: utf8.RuneCountInString(src[lineStart:off]) + 1,
		Msg:    msg,
	}
}

// Error returns "line:column: message" followed by the Snippet.
func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: %s%s", e.Line, e.Column, e.Msg, e.Snippet())
}

// Snippet returns the source line of the error and a caret under the
// error's column, each line prefixed with "\n | " like expr's file.Error:
//
//	| [[ConversationInfo]].LiveChatBlockedUntl
//	| .....................^
//
// Tabs in the line are shown as spaces so that the caret lines up. Snippet
// returns "" when the line is empty.
func (e *Error) Snippet() string {
	off := max(0, min(e.Offset, len(e.Source)))
	lineStart := strings.LastIndexByte(e.Source[:off], '\n') + 1
	lineEnd := strings.IndexByte(e.Source[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(e.Source)
	} else {
		lineEnd += lineStart
	}
	line := strings.TrimSuffix(e.Source[lineStart:lineEnd], "\r")
	if line == "" {
		return ""
	}
	const prefix = "\n | "
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString(strings.ReplaceAll(line, "\t", " "))
	b.WriteString(prefix)
	b.WriteString(strings.Repeat(".", max(e.Column-1, 0)))
	b.WriteByte('^')
	return b.String()
}

// Unwrap returns the underlying error: for run-time errors, the error a
// function returned (for example ErrNullTime); otherwise nil.
func (e *Error) Unwrap() error {
	return e.err
}

// suggestion returns " (did you mean X?)" when one of candidates is close
// to name, or "".
func suggestion(name string, candidates []string, prefix string) string {
	best := suggest.Closest(name, candidates, min(2, max(1, len(name)/3)))
	if best == "" {
		return ""
	}
	return " (did you mean " + prefix + best + "?)"
}
