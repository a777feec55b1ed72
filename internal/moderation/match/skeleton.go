package match

import "unicode/utf8"

// char is one character of a skeleton: a run of one repeated letter (or a
// single digit) of the text, from units[first] to units[last].
type char struct {
	first, last int32
	count       int32
}

// skeleton is the text as word rules see it: the words' letters with
// substitutions applied and runs collapsed, between single spaces, with a
// space at both ends, so a listed word " ass " can only match whole words.
type skeleton struct {
	text  []byte
	index []int32 // per byte of text: its char, or -1 for a space
	chars []char
	prev  rune // the letter of the last char, -1 after a space or digit
}

func (s *skeleton) reset() {
	s.text, s.index, s.chars = s.text[:0], s.index[:0], s.chars[:0]
}

// maxGap is how many separator units may stand between the letters of a
// spaced-out word ("a s s", "f.u.c.k", "s - h - i - t").
const maxGap = 3

// minSpaced is how many single-letter words in a row are read as one word.
const minSpaced = 3

// token is a word of the text: units[start:end] without separators.
type token struct{ start, end int32 }

// tokenize splits units into words. @ and $ belong to a word when they
// touch a letter or digit; ! and | only between two word characters.
func tokenize(units []unit, dst []token) []token {
	wordChar := func(i int) bool {
		if i < 0 || i >= len(units) {
			return false
		}
		k := units[i].kind
		return k == kindLetter || k == kindDigit
	}
	inWord := func(i int) bool {
		switch units[i].kind {
		case kindLetter, kindDigit:
			return true
		case kindSubst:
			if r := units[i].r; r == '@' || r == '$' {
				// a run of them (a$$, @@) counts as touching its neighbours
				j, k := i, i
				for j > 0 && (units[j-1].r == '@' || units[j-1].r == '$') {
					j--
				}
				for k+1 < len(units) && (units[k+1].r == '@' || units[k+1].r == '$') {
					k++
				}
				return wordChar(j-1) || wordChar(k+1)
			}
			return wordChar(i-1) && wordChar(i+1)
		}
		return false
	}
	start := -1
	for i := range units {
		if inWord(i) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			dst = append(dst, token{int32(start), int32(i)})
			start = -1
		}
	}
	if start >= 0 {
		dst = append(dst, token{int32(start), int32(len(units))})
	}
	return dst
}

// build writes the skeleton of units cut into toks; alt selects the second
// reading of ambiguous substitutions. It reports whether any ambiguous
// substitution was made (so the caller knows whether a second reading is
// worth building).
func (s *skeleton) build(units []unit, toks []token, alt bool) (ambiguous bool) {
	s.reset()
	s.space()
	for ti := 0; ti < len(toks); {
		// A run of single-letter words close together is one spaced-out word.
		tj := ti + 1
		if toks[ti].end-toks[ti].start == 1 && units[toks[ti].start].kind == kindLetter {
			for tj < len(toks) && toks[tj].end-toks[tj].start == 1 && units[toks[tj].start].kind == kindLetter &&
				toks[tj].start-toks[tj-1].end <= maxGap {
				tj++
			}
			if tj-ti < minSpaced {
				tj = ti + 1
			}
		}
		for _, t := range toks[ti:tj] {
			if s.word(units, t, alt) {
				ambiguous = true
			}
		}
		s.space()
		ti = tj
	}
	return ambiguous
}

func (s *skeleton) space() {
	s.text = append(s.text, ' ')
	s.index = append(s.index, -1)
	s.prev = -1
}

// word appends the letters of one word, substituting digits and symbols
// when the word has a letter, collapsing runs of a letter (across the
// words of a spaced-out word too: nothing resets prev between them).
func (s *skeleton) word(units []unit, t token, alt bool) (ambiguous bool) {
	hasLetter := false
	for _, u := range units[t.start:t.end] {
		if u.kind == kindLetter {
			hasLetter = true
			break
		}
	}
	for i := t.start; i < t.end; i++ {
		u := units[i]
		r, letter := u.r, u.kind == kindLetter
		if hasLetter && u.kind != kindLetter {
			if first, second := subst(r); first != 0 {
				r, letter = first, true
				if second != 0 {
					ambiguous = true
					if alt {
						r = second
					}
				}
			}
		}
		if letter && r == s.prev {
			c := &s.chars[len(s.chars)-1]
			c.last, c.count = i, c.count+1
			continue
		}
		if u.kind == kindSubst && !letter {
			continue // @ $ in a word of digits only: not part of the skeleton
		}
		s.prev = -1
		if letter {
			s.prev = r
		}
		s.chars = append(s.chars, char{first: i, last: i, count: 1})
		ci := int32(len(s.chars) - 1)
		if r < utf8.RuneSelf {
			s.text = append(s.text, byte(r))
			s.index = append(s.index, ci)
			continue
		}
		n := len(s.text)
		s.text = utf8.AppendRune(s.text, r)
		for range len(s.text) - n {
			s.index = append(s.index, ci)
		}
	}
	return ambiguous
}
