package expression

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PosMap maps byte offsets in the output of Translate back to byte offsets in
// its input, so that errors found in the translated text point at what the
// author wrote. The zero PosMap maps everything to 0.
type PosMap struct {
	segs   []segment // cover the output contiguously, sorted by out
	srcLen int
	outLen int
}

// segment is a run of output bytes [out, out+outLen) produced from input
// bytes [orig, orig+origLen). A copied run has outLen == origLen; a
// replacement (null -> nil, @ -> Vars.) or an insertion (GetDate -> the "()")
// may differ.
type segment struct {
	out, orig       int
	outLen, origLen int
	copied          bool
}

// Original returns the byte offset in the original text that produced the
// byte at translatedOffset of the translated text. An offset inside a
// replacement maps into the replaced text (the '@' for "Vars.", the "null"
// for "nil"); an inserted "()" maps to the end of GetDate; offsets at or past
// the end map to the end of the original. The result is always within
// [0, len(original)].
func (m PosMap) Original(translatedOffset int) int {
	if translatedOffset < 0 || len(m.segs) == 0 {
		return 0
	}
	if translatedOffset >= m.outLen {
		return m.srcLen
	}
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].out > translatedOffset }) - 1
	s := m.segs[max(i, 0)]
	d := translatedOffset - s.out
	if d >= s.origLen {
		d = max(s.origLen-1, 0)
	}
	return s.orig + d
}

// translator accumulates the output of Translate.
type translator struct {
	src  string
	out  strings.Builder
	segs []segment
}

// copySrc copies src[from:to] to the output.
func (t *translator) copySrc(from, to int) {
	if from >= to {
		return
	}
	if n := len(t.segs); n > 0 {
		last := &t.segs[n-1]
		if last.copied && last.orig+last.origLen == from {
			last.outLen += to - from
			last.origLen += to - from
			t.out.WriteString(t.src[from:to])
			return
		}
	}
	t.segs = append(t.segs, segment{out: t.out.Len(), orig: from, outLen: to - from, origLen: to - from, copied: true})
	t.out.WriteString(t.src[from:to])
}

// replace writes repl to the output in place of src[from:to].
func (t *translator) replace(from, to int, repl string) {
	t.segs = append(t.segs, segment{out: t.out.Len(), orig: from, outLen: len(repl), origLen: to - from})
	t.out.WriteString(repl)
}

// Translate rewrites the specification's notation into expr syntax:
//
//	[[Entity]].Field  ->  Entity.Field
//	@Name             ->  Vars.Name
//	null              ->  nil
//	GetDate           ->  GetDate()   (only when not already followed by "(")
//	true.toString()   ->  (true).toString()   (DRUID; see dialectPatch)
//
// Text inside string literals ("...", '...' with backslash escapes, and raw
// `...`) and comments (// and /* */) is never touched, and neither are
// identifiers that merely contain a keyword (nullable, GetDates) or follow a
// '.' (x.null is a field called null). [[X]] is rewritten only when X is a
// single identifier written without spaces; a nested list literal of one
// identifier can be written [ [x] ].
//
// The returned PosMap maps offsets in out back to src. Translate fails, with
// an *Error, on an unterminated "..." or '...' literal and on an '@' that is
// not followed by a name.
func Translate(src string) (out string, m PosMap, err error) {
	t := &translator{src: src}
	t.out.Grow(len(src) + 16)
	// prev is the last significant (not space, not comment) byte of the
	// original text before i; it tells member access (x.null) apart.
	var prev byte
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			end, ok := scanQuoted(src, i)
			if !ok {
				return "", PosMap{}, newError(src, i, "unterminated string literal")
			}
			t.copySrc(i, end)
			prev, i = c, end
		case c == '`':
			end := strings.IndexByte(src[i+1:], '`')
			if end < 0 {
				return "", PosMap{}, newError(src, i, "unterminated string literal")
			}
			end += i + 2
			t.copySrc(i, end)
			prev, i = c, end
		case c == '/' && strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src)
			} else {
				end += i
			}
			t.copySrc(i, end)
			i = end
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) // expr reports the unclosed comment
			} else {
				end += i + 4
			}
			t.copySrc(i, end)
			i = end
		case c == '@':
			n := identLen(src[i+1:])
			if n == 0 {
				return "", PosMap{}, newError(src, i, "expected a variable name after @")
			}
			t.replace(i, i+1, "Vars.")
			t.copySrc(i+1, i+1+n)
			prev, i = 'a', i+1+n
		case c == '[' && strings.HasPrefix(src[i:], "[["):
			n := identLen(src[i+2:])
			if n > 0 && strings.HasPrefix(src[i+2+n:], "]]") {
				t.copySrc(i+2, i+2+n) // drop the brackets
				prev, i = 'a', i+2+n+2
				break
			}
			t.copySrc(i, i+1)
			prev, i = c, i+1
		case c == '#':
			// #, #acc, #index: the name after # is never sugar.
			n := 1 + identLen(src[i+1:])
			t.copySrc(i, i+n)
			prev, i = 'a', i+n
		default:
			r, size := utf8.DecodeRuneInString(src[i:])
			switch {
			case isIdentStart(r):
				n := identLen(src[i:])
				word := src[i : i+n]
				switch {
				case word == "null" && prev != '.':
					t.replace(i, i+n, "nil")
				case (word == "true" || word == "false") && prev != '.' && strings.HasPrefix(src[i+n:], ".toString("):
					// expr cannot call a method of a literal: DRUID's
					// true.toString() is (true).toString().
					t.replace(i, i+n, "("+word+")")
				case word == "GetDate" && prev != '.' && !followedByParen(src[i+n:]):
					t.copySrc(i, i+n)
					t.replace(i+n, i+n, "()")
				default:
					t.copySrc(i, i+n)
				}
				prev, i = 'a', i+n
			case unicode.IsDigit(r):
				// A number, including forms like 0x1F and 1e5; digits and
				// letters run together so 1null is never split.
				n := alnumLen(src[i:])
				t.copySrc(i, i+n)
				prev, i = '0', i+n
			case unicode.IsSpace(r):
				t.copySrc(i, i+size)
				i += size
			default:
				t.copySrc(i, i+size)
				prev, i = c, i+size
			}
		}
	}
	out = t.out.String()
	return out, PosMap{segs: t.segs, srcLen: len(src), outLen: len(out)}, nil
}

// scanQuoted returns the offset just past the string literal that starts
// with the quote at src[start]. Backslash escapes the next byte; a newline
// or the end of src before the closing quote makes the literal unterminated,
// as in expr.
func scanQuoted(src string, start int) (int, bool) {
	quote := src[start]
	for j := start + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '\n':
			return 0, false
		case quote:
			return j + 1, true
		}
	}
	return 0, false
}

// isIdentStart reports whether r may start an expr identifier.
func isIdentStart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r)
}

// isIdentPart reports whether r may continue an expr identifier.
func isIdentPart(r rune) bool {
	return isIdentStart(r) || unicode.IsDigit(r)
}

// identLen returns the byte length of the identifier at the start of s, or 0.
func identLen(s string) int {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || !isIdentStart(r) {
		return 0
	}
	return alnumLen(s)
}

// alnumLen returns the byte length of the run of identifier characters at
// the start of s.
func alnumLen(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !isIdentPart(r) {
			break
		}
		n += size
	}
	return n
}

// followedByParen reports whether the first non-space character of s is '('.
func followedByParen(s string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(s, unicode.IsSpace), "(")
}
