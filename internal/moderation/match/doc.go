// Package match is the watched-words matcher of automatic moderation, in
// the spirit of Discourse's watched words: rules of words (or phrases) and
// regular expressions, each with an id and an action (warn, censor, hold,
// flag, block — plain data here). Compile checks and compiles the rules
// once; (*Matcher).Match returns every hit with its rule, action and byte
// span in the original text; Censor masks those spans.
//
// # Normalization
//
// Words are matched after the same normalization on both sides, so a rule
// word "ass" and a text "A$$" meet in the middle:
//
//   - Unicode: compatibility decomposition (NFKD: fullwidth ｆ and the
//     ligature ﬁ become f and fi), combining marks removed (ü → u), lower
//     case, ß → ss, and a few look-alike letters of Cyrillic and Greek
//     mapped to Latin (Cyrillic а → a).
//   - Invisible characters (format characters such as zero-width spaces
//     and joiners, soft hyphens, bidirectional controls; variation
//     selectors; Hangul fillers) are ignored wherever they appear, so
//     "f\u200buck" is one word.
//   - Inside a word that has a letter, 0 → o, 1 → i or l, 3 → e, 4 → a,
//     5 → s, 7 → t, @ → a, $ → s, ! and | → i (| also l). @ and $ belong to
//     a word when they touch a letter or digit ("@ss", "a$$"); ! and | only
//     between two ("sh!t"), so "ASS!" is the word "ass" and a "!". Words
//     of digits only keep their digits ("420", "$100"). 1 and | are tried
//     both ways: a second pass runs only when the text has one in a word.
//   - Repeated letters: a text letter may repeat more often than in the
//     rule word, never less. "fuuuck" matches "fuck" and "asss" matches
//     "ass", but "as" does not match "ass". Digits must repeat exactly.
//   - Word boundaries: a rule word matches whole words only: "ass" does
//     not match "assessment", "class" or "asshole" (list those separately).
//     A phrase "dumb ass" matches across any separators ("dumb, ass").
//   - Spaced-out words: three or more single letters in a row, at most
//     three separator characters apart, are read as one word, so "a s s",
//     "a.s.s" and "f u c k" match; two ("a s") are not.
//
// Scripts written without spaces between words (Chinese, Japanese, Thai)
// form one long "word" under these rules; use a pattern for them.
//
// Patterns are RE2 regular expressions matched against the folded text:
// lower case, no diacritics, no invisible characters, but punctuation,
// digits and repeats as written — so write them in lower case; a phone
// number pattern `\b\d{3}-\d{4}\b` works. They cost far more than words
// (see the README's figures): prefer words.
//
// Words are found with an Aho-Corasick automaton compiled to a full DFA
// over byte classes (aho.go), one table lookup per byte; then the repeat
// counts of each candidate are checked. A Matcher is safe for concurrent
// use; Match allocates only its result.
//
// internal/moderation compiles the configured rules with it.
package match
