package match

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// unit is one folded rune of the text and the bytes of the original it
// came from. A rune that decomposes (ﬁ, ß) gives several units sharing one
// span; a combining mark or an invisible character gives none and widens
// the span of the unit before it.
type unit struct {
	start, end int32
	r          rune // folded: lower case, no diacritics, homoglyphs mapped
	kind       uint8
}

const (
	kindSep    uint8 = iota // separator: space, punctuation, symbols
	kindLetter              // letters and spacing marks
	kindDigit               // decimal digits
	kindSubst               // @ $ ! |: letters inside a word only
)

// asciiFold maps an ASCII byte to its folded rune and kind.
var asciiFold [128]struct {
	r    rune
	kind uint8
}

func init() {
	for c := range 128 {
		f := &asciiFold[c]
		f.r, f.kind = rune(c), kindSep
		switch {
		case c >= 'a' && c <= 'z':
			f.kind = kindLetter
		case c >= 'A' && c <= 'Z':
			f.r, f.kind = rune(c+'a'-'A'), kindLetter
		case c >= '0' && c <= '9':
			f.kind = kindDigit
		case c == '@' || c == '$' || c == '!' || c == '|':
			f.kind = kindSubst
		}
	}
}

// homoglyphs maps letters of other scripts that look like Latin ones, and
// folds that lower-casing misses, to their Latin reading.
var homoglyphs = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o',
	'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's',
	'α': 'a', 'ο': 'o', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ρ': 'p', 'τ': 't', 'υ': 'u',
	'ς': 'σ', 'ı': 'i', 'ł': 'l', 'ø': 'o', 'đ': 'd', 'ħ': 'h', 'ŧ': 't',
}

// invisible reports runes that render as nothing and are dropped wherever
// they appear: format characters (zero-width space and joiners, soft
// hyphen, bidirectional controls, tags), combining marks (diacritics once
// decomposed, variation selectors) and the Hangul fillers.
func invisible(r rune) bool {
	switch r {
	case 0x115F, 0x1160, 0x3164, 0xFFA0:
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me)
}

// fold appends the units of text to dst.
func fold(dst []unit, text string, buf []byte) ([]unit, []byte) {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			f := asciiFold[c]
			dst = append(dst, unit{start: int32(i), end: int32(i + 1), r: f.r, kind: f.kind})
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		start, end := int32(i), int32(i+size)
		i += size
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, unit{start: start, end: end, r: r, kind: kindSep})
			continue
		}
		buf = norm.NFKD.AppendString(buf[:0], text[start:end])
		added := false
		for j := 0; j < len(buf); {
			d, n := utf8.DecodeRune(buf[j:])
			j += n
			if invisible(d) {
				continue
			}
			added = true
			if d < utf8.RuneSelf {
				f := asciiFold[d]
				dst = append(dst, unit{start: start, end: end, r: f.r, kind: f.kind})
				continue
			}
			d = unicode.ToLower(d)
			if h, ok := homoglyphs[d]; ok {
				d = h
			}
			switch {
			case d == 'ß':
				dst = append(dst, unit{start, end, 's', kindLetter}, unit{start, end, 's', kindLetter})
			case unicode.IsLetter(d) || unicode.Is(unicode.Mc, d):
				dst = append(dst, unit{start, end, d, kindLetter})
			case unicode.IsDigit(d):
				dst = append(dst, unit{start, end, d, kindDigit})
			case unicode.IsSpace(d):
				dst = append(dst, unit{start, end, ' ', kindSep})
			default:
				dst = append(dst, unit{start, end, d, kindSep})
			}
		}
		if !added && len(dst) > 0 && dst[len(dst)-1].end == start {
			// A mark or an invisible character belongs to what it follows,
			// so that masking covers it.
			dst[len(dst)-1].end = end
		}
	}
	return dst, buf
}

// subst is the letter a digit or symbol stands for inside a word, and the
// second reading of the ambiguous ones (1 and | read as i or l).
func subst(r rune) (first, alt rune) {
	switch r {
	case '0':
		return 'o', 0
	case '1', '|':
		return 'i', 'l'
	case '3':
		return 'e', 0
	case '4', '@':
		return 'a', 0
	case '5', '$':
		return 's', 0
	case '7':
		return 't', 0
	case '!':
		return 'i', 0
	}
	return 0, 0
}
