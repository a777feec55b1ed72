package match

// automaton is a compact Aho-Corasick automaton compiled to a full DFA
// over byte classes: one table lookup per byte of text, no failure-link
// walks while scanning, every overlapping match reported.
//
// (The Aho-Corasick modules on the proxy were measured first: the fastest,
// github.com/petar-dambovaliev/aho-corasick, spent ~10 ns per byte in its
// overlapping iterator on these patterns, which all start with a space and
// so defeat its prefilter; this table is ~1 ns per byte.)
type automaton struct {
	classes  [256]uint8 // byte → class; 0 for bytes in no pattern
	nclass   int32
	trans    []int32 // state*nclass + class → state
	emit     []int32 // per state: the pattern ending here, or -1
	link     []int32 // per state: the nearest suffix state that emits, or -1
	patLen   []int32
	hasMatch []bool // per state: emit or link set
}

// newAutomaton compiles patterns (distinct, non-empty).
func newAutomaton(patterns [][]byte) *automaton {
	a := &automaton{nclass: 1}
	for _, p := range patterns {
		for _, b := range p {
			if a.classes[b] == 0 {
				if a.nclass == 256 {
					panic("match: more than 255 byte classes")
				}
				a.classes[b] = uint8(a.nclass)
				a.nclass++
			}
		}
	}
	nc := a.nclass
	newState := func() int32 {
		s := int32(len(a.emit))
		for range nc {
			a.trans = append(a.trans, -1)
		}
		a.emit = append(a.emit, -1)
		return s
	}
	newState() // root
	for pi, p := range patterns {
		s := int32(0)
		for _, b := range p {
			c := int32(a.classes[b])
			if a.trans[s*nc+c] < 0 {
				a.trans[s*nc+c] = newState()
			}
			s = a.trans[s*nc+c]
		}
		a.emit[s] = int32(pi)
		a.patLen = append(a.patLen, int32(len(p)))
	}
	n := int32(len(a.emit))
	fail := make([]int32, n)
	a.link = make([]int32, n)
	a.hasMatch = make([]bool, n)
	queue := make([]int32, 0, n)
	a.link[0] = -1
	for c := range nc {
		t := a.trans[c]
		if t < 0 {
			a.trans[c] = 0
			continue
		}
		fail[t], a.link[t] = 0, -1
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		if a.emit[f] >= 0 {
			a.link[s] = f
		} else {
			a.link[s] = a.link[f]
		}
		a.hasMatch[s] = a.emit[s] >= 0 || a.link[s] >= 0
		for c := range nc {
			t := a.trans[s*nc+c]
			if t < 0 {
				a.trans[s*nc+c] = a.trans[f*nc+c]
				continue
			}
			fail[t] = a.trans[f*nc+c]
			queue = append(queue, t)
		}
	}
	return a
}

// scan calls found for every occurrence of every pattern in text, with the
// pattern and its byte span, in order of the span's end.
func (a *automaton) scan(text []byte, found func(pattern, start, end int)) {
	s := int32(0)
	nc := a.nclass
	for i, b := range text {
		s = a.trans[s*nc+int32(a.classes[b])]
		if !a.hasMatch[s] {
			continue
		}
		for u := s; u >= 0; u = a.link[u] {
			if p := a.emit[u]; p >= 0 {
				found(int(p), i+1-int(a.patLen[p]), i+1)
			}
		}
	}
}
