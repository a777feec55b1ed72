package ipban

import (
	"cmp"
	"slices"
)

// index is the prefix structure of one address family.
//
// The prefixes of all entries form a laminar family: two prefixes are either
// nested or disjoint. The index flattens that tree into the sorted start
// addresses of elementary segments: segment i is [starts[i], starts[i+1])
// (the last one runs to the end of the address space), and seg[i] is the most
// specific prefix node covering all of it, or -1. parent[n] is the next less
// specific node holding entries. A lookup is one binary search over starts
// plus a walk up the parent chain, which is at most one step per distinct
// prefix length covering the address and usually zero or one step.
//
// Node n's entries are members[off[n]:off[n+1]], sorted by precedence (see
// precedes), so the first entry that applies at a node decides.
type index struct {
	starts  []u128
	seg     []int32
	parent  []int32
	off     []int32
	members []int32
}

// find returns the most specific node containing k, or -1.
func (ix *index) find(k u128) int32 {
	// Largest i with starts[i] <= k; starts[0] is the zero address.
	lo, hi := 0, len(ix.starts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if k.less(ix.starts[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == 0 {
		return -1
	}
	return ix.seg[lo-1]
}

// prefixEntry is one prefix of an entry's cover.
type prefixEntry struct {
	first u128
	bits  int32
	entry int32
}

// node is a distinct prefix of the index.
type node struct {
	first, last u128
}

// buildIndex builds the index of one family (width 32 or 128) from
// (prefix, entry) pairs, which it sorts in place. less orders the entries of
// one prefix, most decisive first.
func buildIndex(pairs []prefixEntry, width int, less func(a, b int32) int) index {
	// Containers before what they contain (by start, then shorter prefix),
	// and the entries of one prefix by precedence.
	slices.SortFunc(pairs, func(a, b prefixEntry) int {
		if c := a.first.cmp(b.first); c != 0 {
			return c
		}
		if c := cmp.Compare(a.bits, b.bits); c != 0 {
			return c
		}
		return less(a.entry, b.entry)
	})
	var nodes []node
	ix := index{members: make([]int32, len(pairs)), off: []int32{0}}
	for i, pe := range pairs {
		if i == 0 || pe.first != pairs[i-1].first || pe.bits != pairs[i-1].bits {
			if i > 0 {
				ix.off = append(ix.off, int32(i))
			}
			nodes = append(nodes, node{first: pe.first, last: pe.first.or(lowOnes(width - int(pe.bits)))})
		}
		ix.members[i] = pe.entry
	}
	ix.off = append(ix.off, int32(len(pairs)))
	if len(pairs) == 0 {
		ix.off = ix.off[:1]
	}
	ix.parent = make([]int32, len(nodes))

	ix.starts = make([]u128, 0, 2*len(nodes)+1)
	ix.seg = make([]int32, 0, 2*len(nodes)+1)
	emit := func(start u128, n int32) {
		if l := len(ix.starts) - 1; l >= 0 {
			if ix.starts[l] == start {
				ix.seg[l] = n
				return
			}
			if ix.seg[l] == n {
				return
			}
		}
		ix.starts = append(ix.starts, start)
		ix.seg = append(ix.seg, n)
	}
	top := func(stack []int32) int32 {
		if len(stack) == 0 {
			return -1
		}
		return stack[len(stack)-1]
	}

	emit(u128{}, -1)
	var stack []int32
	for i := range nodes {
		n := &nodes[i]
		for len(stack) > 0 && nodes[top(stack)].last.less(n.first) {
			done := nodes[top(stack)].last
			stack = stack[:len(stack)-1]
			emit(done.addOne(), top(stack)) // cannot overflow: done < n.first
		}
		ix.parent[i] = top(stack)
		stack = append(stack, int32(i))
		emit(n.first, int32(i))
	}
	for len(stack) > 0 {
		done := nodes[top(stack)].last
		stack = stack[:len(stack)-1]
		if done == lowOnes(128) {
			break // end of the IPv6 space; for IPv4 a segment past 2^32-1 is harmless
		}
		emit(done.addOne(), top(stack))
	}
	return ix
}
