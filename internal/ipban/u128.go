package ipban

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// u128 is an address as an unsigned integer: IPv4 addresses use the low 32
// bits, IPv6 addresses all 128. It keeps the hot path free of netip.Addr
// comparisons (which also compare zones) and makes prefix arithmetic cheap.
type u128 struct{ hi, lo uint64 }

// keyOf returns a's integer form. a must be valid and unmapped.
func keyOf(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{lo: uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return u128{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:])}
}

// addrOf is the inverse of keyOf.
func addrOf(u u128, is4 bool) netip.Addr {
	if is4 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(u.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], u.hi)
	binary.BigEndian.PutUint64(b[8:], u.lo)
	return netip.AddrFrom16(b)
}

func (u u128) less(v u128) bool { return u.hi < v.hi || (u.hi == v.hi && u.lo < v.lo) }

func (u u128) cmp(v u128) int {
	switch {
	case u.less(v):
		return -1
	case v.less(u):
		return 1
	}
	return 0
}

func (u u128) addOne() u128 {
	lo, carry := bits.Add64(u.lo, 1, 0)
	return u128{hi: u.hi + carry, lo: lo}
}

func (u u128) or(v u128) u128 { return u128{hi: u.hi | v.hi, lo: u.lo | v.lo} }

// lowOnes returns 2^k - 1 for k in [0, 128]: the host mask of a prefix with
// k host bits.
func lowOnes(k int) u128 {
	switch {
	case k <= 0:
		return u128{}
	case k < 64:
		return u128{lo: 1<<uint(k) - 1}
	case k < 128:
		return u128{hi: 1<<uint(k-64) - 1, lo: ^uint64(0)}
	}
	return u128{hi: ^uint64(0), lo: ^uint64(0)}
}

func (u u128) trailingZeros() int {
	if u.lo != 0 {
		return bits.TrailingZeros64(u.lo)
	}
	return 64 + bits.TrailingZeros64(u.hi) // 128 for zero
}

// prefixBounds returns the first and last address of the masked prefix p as
// integers. p must be valid and unmapped.
func prefixBounds(p netip.Prefix) (first, last u128) {
	first = keyOf(p.Addr())
	return first, first.or(lowOnes(p.Addr().BitLen() - p.Bits()))
}

// cover calls yield for each prefix (start, length) of the minimal list of
// prefixes, in address order, whose union is exactly [from, to]. from <= to,
// both within an address space of width bits (32 or 128).
func cover(from, to u128, width int, yield func(start u128, bits int)) {
	for {
		k := min(from.trailingZeros(), width)
		for k > 0 && to.less(from.or(lowOnes(k))) {
			k--
		}
		yield(from, width-k)
		last := from.or(lowOnes(k))
		if last == to {
			return
		}
		from = last.addOne()
	}
}

// appendCover appends the cover of [from, to] to dst, tagged with entry.
func appendCover(dst []prefixEntry, from, to u128, width int, entry int32) []prefixEntry {
	cover(from, to, width, func(start u128, bits int) {
		dst = append(dst, prefixEntry{first: start, bits: int32(bits), entry: entry})
	})
	return dst
}
