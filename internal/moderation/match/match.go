package match

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Action is what a rule asks for when it matches. The matcher only carries
// it; enforcing it is the caller's business.
type Action string

// The actions of watched-word rules.
const (
	ActionWarn   Action = "warn"   // the bot answers with a configured warning
	ActionCensor Action = "censor" // masked in what agents and exports see
	ActionHold   Action = "hold"   // held until a supervisor releases it
	ActionFlag   Action = "flag"   // a staff notification
	ActionBlock  Action = "block"  // a sanction
)

// Actions lists the valid actions, in the order above.
var Actions = []Action{ActionWarn, ActionCensor, ActionHold, ActionFlag, ActionBlock}

// Valid reports whether a is one of Actions.
func (a Action) Valid() bool { return slices.Contains(Actions, a) }

// Errors of Compile, each wrapped in a *RuleError. Check them with
// errors.Is.
var (
	ErrNoID          = errors.New("rule has no id")
	ErrDuplicateID   = errors.New("duplicate rule id")
	ErrUnknownAction = errors.New("unknown action")
	ErrNoWords       = errors.New("rule has no words and no patterns")
	ErrEmptyWord     = errors.New("word has no letters or digits")
	ErrBadPattern    = errors.New("bad regular expression")
)

// Rule is one watched-word rule: a list of words (or phrases) and regular
// expressions with one action.
//
// Words are matched as whole words after the normalization the package doc
// describes, the same on both sides, so "A$$" as a word is the same as
// "ass". Patterns are RE2 regular expressions (package regexp) matched
// against the folded text: lower case, diacritics and invisible characters
// removed, but punctuation, digits and repeats kept; so they are written in
// lower case.
type Rule struct {
	ID       string
	Action   Action
	Words    []string
	Patterns []string
}

// RuleError is a problem with one rule: Index is its position in the list
// given to Compile; Word or Pattern is the offending entry, if any.
type RuleError struct {
	Index   int
	ID      string
	Word    string
	Pattern string
	Err     error
}

func (e *RuleError) Error() string {
	where := fmt.Sprintf("rule %d", e.Index)
	if e.ID != "" {
		where = fmt.Sprintf("rule %q", e.ID)
	}
	switch {
	case e.Word != "":
		where += fmt.Sprintf(", word %q", e.Word)
	case e.Pattern != "":
		where += fmt.Sprintf(", pattern %q", e.Pattern)
	}
	return where + ": " + e.Err.Error()
}

func (e *RuleError) Unwrap() error { return e.Err }

// Match is one hit: the rule, and the bytes [Start, End) of the original
// text it covers (whole runes, including the marks and invisible
// characters inside), ready for Censor.
type Match struct {
	RuleID string
	Action Action
	// Entry is the word or pattern of the rule that matched, as written.
	Entry      string
	Start, End int
}

// Matcher holds compiled rules. It is safe for concurrent use.
type Matcher struct {
	rules   []Rule
	order   map[string]int // rule id → index
	ac      *automaton
	words   [][]wordEntry // per automaton pattern
	regexps []regexpEntry
	scratch sync.Pool
}

type wordEntry struct {
	rule   int32
	word   string
	counts []int32 // per skeleton char: how many times the letter repeats
}

type regexpEntry struct {
	rule    int32
	pattern string
	re      *regexp.Regexp
}

// Compile checks and compiles rules. Every problem is reported, each a
// *RuleError, joined with errors.Join.
func Compile(rules []Rule) (*Matcher, error) {
	m := &Matcher{rules: slices.Clone(rules), order: make(map[string]int, len(rules))}
	var errs []error
	fail := func(i int, word, pattern string, err error) {
		errs = append(errs, &RuleError{Index: i, ID: rules[i].ID, Word: word, Pattern: pattern, Err: err})
	}
	seen := map[string]bool{}
	patternIndex := map[string]int{}
	var patterns [][]byte
	var sc scratch
	for i, r := range rules {
		switch {
		case r.ID == "":
			fail(i, "", "", ErrNoID)
		case seen[r.ID]:
			fail(i, "", "", ErrDuplicateID)
		}
		seen[r.ID] = true
		m.order[r.ID] = i
		if !r.Action.Valid() {
			fail(i, "", "", fmt.Errorf("%w %q (want one of %v)", ErrUnknownAction, r.Action, Actions))
		}
		if len(r.Words) == 0 && len(r.Patterns) == 0 {
			fail(i, "", "", ErrNoWords)
		}
		for _, w := range r.Words {
			sc.skeletonOf(w, false)
			if len(sc.sk.chars) == 0 {
				fail(i, w, "", ErrEmptyWord)
				continue
			}
			key := string(sc.sk.text)
			pi, ok := patternIndex[key]
			if !ok {
				pi = len(patterns)
				patternIndex[key] = pi
				patterns = append(patterns, []byte(key))
				m.words = append(m.words, nil)
			}
			counts := make([]int32, len(sc.sk.chars))
			for k, c := range sc.sk.chars {
				counts[k] = c.count
			}
			m.words[pi] = append(m.words[pi], wordEntry{rule: int32(i), word: w, counts: counts})
		}
		for _, p := range r.Patterns {
			re, err := regexp.Compile(p)
			if err != nil {
				fail(i, "", p, fmt.Errorf("%w: %w", ErrBadPattern, err))
				continue
			}
			m.regexps = append(m.regexps, regexpEntry{rule: int32(i), pattern: p, re: re})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(patterns) > 0 {
		m.ac = newAutomaton(patterns)
	}
	m.scratch.New = func() any { return new(scratch) }
	return m, nil
}

// scratch is the reusable memory of one Match call.
type scratch struct {
	units  []unit
	toks   []token
	buf    []byte
	sk     skeleton
	folded []byte
	fmap   []int32
}

// skeletonOf builds the skeleton of text into sc.sk and reports whether it
// has an ambiguous substitution.
func (sc *scratch) skeletonOf(text string, alt bool) bool {
	sc.units, sc.buf = fold(sc.units[:0], text, sc.buf)
	sc.toks = tokenize(sc.units, sc.toks[:0])
	return sc.sk.build(sc.units, sc.toks, alt)
}

// Match returns every match of every rule in text, ordered by Start, then
// End, then the rules' order; one rule matching one span twice (through
// two of its words, say) is reported once.
func (m *Matcher) Match(text string) []Match {
	sc := m.scratch.Get().(*scratch)
	defer m.scratch.Put(sc)
	var out []Match
	if len(m.words) > 0 {
		if sc.skeletonOf(text, false) {
			out = m.scanWords(sc, out)
			sc.sk.build(sc.units, sc.toks, true)
		}
		out = m.scanWords(sc, out)
	} else if len(m.regexps) > 0 {
		sc.units, sc.buf = fold(sc.units[:0], text, sc.buf)
	}
	if len(m.regexps) > 0 {
		out = m.scanRegexps(sc, out)
	}
	if len(out) < 2 {
		return out
	}
	slices.SortFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End), cmp.Compare(m.ruleIndex(a), m.ruleIndex(b)))
	})
	return slices.CompactFunc(out, func(a, b Match) bool {
		return a.Start == b.Start && a.End == b.End && a.RuleID == b.RuleID
	})
}

func (m *Matcher) ruleIndex(x Match) int { return m.order[x.RuleID] }

func (m *Matcher) scanWords(sc *scratch, out []Match) []Match {
	sk := &sc.sk
	m.ac.scan(sk.text, func(pattern, start, end int) {
		// The pattern is " word ": its chars are those of its inner bytes.
		first, last := sk.index[start+1], sk.index[end-2]
		for _, w := range m.words[pattern] {
			if !repeatsCover(sk.chars[first:last+1], w.counts) {
				continue
			}
			r := &m.rules[w.rule]
			out = append(out, Match{
				RuleID: r.ID, Action: r.Action, Entry: w.word,
				Start: int(sc.units[sk.chars[first].first].start),
				End:   int(sc.units[sk.chars[last].last].end),
			})
		}
	})
	return out
}

// repeatsCover reports whether each letter of the text repeats at least as
// often as in the word ("fuuuck" covers "fuck"; "as" does not cover "ass").
func repeatsCover(chars []char, counts []int32) bool {
	if len(chars) != len(counts) {
		return false
	}
	for i, c := range chars {
		if c.count < counts[i] {
			return false
		}
	}
	return true
}

func (m *Matcher) scanRegexps(sc *scratch, out []Match) []Match {
	sc.folded, sc.fmap = sc.folded[:0], sc.fmap[:0]
	for i, u := range sc.units {
		n := len(sc.folded)
		sc.folded = utf8.AppendRune(sc.folded, u.r)
		for range len(sc.folded) - n {
			sc.fmap = append(sc.fmap, int32(i))
		}
	}
	for _, e := range m.regexps {
		for _, loc := range e.re.FindAllIndex(sc.folded, -1) {
			if loc[0] == loc[1] {
				continue
			}
			r := &m.rules[e.rule]
			out = append(out, Match{
				RuleID: r.ID, Action: r.Action, Entry: e.pattern,
				Start: int(sc.units[sc.fmap[loc[0]]].start),
				End:   int(sc.units[sc.fmap[loc[1]-1]].end),
			})
		}
	}
	return out
}

// Censor returns text with the spans of matches masked: every visible rune
// in a span becomes '*', white space is kept and invisible characters and
// combining marks are dropped, so "fu\u0301ck you" with a match on its
// first word becomes "**** you". Spans out of range are clipped; spans need
// not be sorted or disjoint.
func Censor(text string, matches []Match) string {
	if len(matches) == 0 {
		return text
	}
	spans := make([][2]int, 0, len(matches))
	for _, x := range matches {
		s, e := max(x.Start, 0), min(x.End, len(text))
		if s < e {
			spans = append(spans, [2]int{s, e})
		}
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	var b strings.Builder
	b.Grow(len(text))
	pos := 0
	for _, sp := range spans {
		if sp[1] <= pos {
			continue
		}
		s := max(sp[0], pos)
		b.WriteString(text[pos:s])
		for _, r := range text[s:sp[1]] {
			switch {
			case unicode.IsSpace(r):
				b.WriteRune(r)
			case invisible(r):
			default:
				b.WriteByte('*')
			}
		}
		pos = sp[1]
	}
	b.WriteString(text[pos:])
	return b.String()
}
