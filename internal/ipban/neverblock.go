package ipban

import (
	"net/netip"
	"slices"
)

// DefaultNeverBlock returns the networks that a Table never bans unless
// configured otherwise (WithNeverBlock): loopback (127.0.0.0/8, ::1/128),
// private networks (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16;
// unique local fc00::/7), link-local (169.254.0.0/16, fe80::/10) and
// carrier-grade NAT (100.64.0.0/10). Banning one of them would lock out a
// whole office, a reverse proxy or thousands of mobile users behind one
// address. It returns a new slice on each call.
func DefaultNeverBlock() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("fc00::/7"),
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("100.64.0.0/10"),
	}
}

// IsNeverBlock reports whether addr lies in one of the never networks
// (typically DefaultNeverBlock()). addr is unmapped first. It is a linear
// scan meant for the admin API; Table.NeverBlocked is the indexed form.
func IsNeverBlock(addr netip.Addr, never []netip.Prefix) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range never {
		if p.IsValid() && unmapPrefix(p).Contains(addr) {
			return true
		}
	}
	return false
}

// CheckNeverBlock is the admin API's guard before it saves a ban: it returns
// nil when r touches none of the never networks, else a *NeverBlockError
// (wrapping ErrNeverBlock) naming the first such network. Its Contained field
// tells a ban that would never take effect (refuse it) from one that partly
// overlaps (warn, the rest of the range is still banned). Allow entries need
// no check.
func CheckNeverBlock(r Range, never []netip.Prefix) error {
	var partial *NeverBlockError
	for _, p := range never {
		if !p.IsValid() || !r.Overlaps(p) {
			continue
		}
		p = unmapPrefix(p)
		if p.Contains(r.From()) && p.Contains(r.To()) {
			return &NeverBlockError{Range: r, Prefix: p, Contained: true}
		}
		if partial == nil {
			partial = &NeverBlockError{Range: r, Prefix: p}
		}
	}
	if partial != nil {
		return partial
	}
	return nil
}

// rangeSet is a set of addresses as sorted, disjoint, non-adjacent-merged
// intervals per family, for the never-block check on the hot path.
type rangeSet struct {
	v4, v6 []interval
}

type interval struct{ first, last u128 }

func newRangeSet(prefixes []netip.Prefix) rangeSet {
	var s rangeSet
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		p = unmapPrefix(p)
		first, last := prefixBounds(p)
		if p.Addr().Is4() {
			s.v4 = append(s.v4, interval{first, last})
		} else {
			s.v6 = append(s.v6, interval{first, last})
		}
	}
	s.v4, s.v6 = mergeIntervals(s.v4), mergeIntervals(s.v6)
	return s
}

func mergeIntervals(in []interval) []interval {
	slices.SortFunc(in, func(a, b interval) int { return a.first.cmp(b.first) })
	out := in[:0]
	for _, iv := range in {
		if l := len(out) - 1; l >= 0 && !out[l].last.less(iv.first) {
			if out[l].last.less(iv.last) {
				out[l].last = iv.last
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

func (s *rangeSet) contains(k u128, is4 bool) bool {
	ivs := s.v6
	if is4 {
		ivs = s.v4
	}
	lo, hi := 0, len(ivs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if k.less(ivs[m].first) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo > 0 && !ivs[lo-1].last.less(k)
}
