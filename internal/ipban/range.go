package ipban

import (
	"net/netip"
	"strconv"
	"strings"
)

// Range is a contiguous, inclusive range of IP addresses of one family:
// a single address, a CIDR prefix or a start–end range. The zero Range is
// invalid and contains nothing. Range is comparable: two Ranges are == iff
// they hold the same addresses. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
// are stored as IPv4.
type Range struct {
	from, to netip.Addr
}

// ParseRange parses admin input into a Range. Accepted forms, with
// surrounding white space ignored:
//
//	203.0.113.7                 a single address (IPv4 or IPv6)
//	203.0.113.0/24, 2001:db8::/32   a CIDR prefix; host bits must be zero
//	10.0.0.5-10.0.0.9, 10.0.0.5 - 10.0.0.9   start–end, inclusive
//
// IPv4-mapped IPv6 addresses are unmapped (so "::ffff:10.0.0.0/104" is
// 10.0.0.0/8). Errors are *RangeError values wrapping ErrInvalidRange and a
// specific sentinel: ErrEmptyRange, ErrSyntax, ErrMixedFamily,
// ErrReversedRange, ErrHostBits or ErrZone.
func ParseRange(s string) (Range, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Range{}, &RangeError{Input: s, Detail: "empty input", Err: ErrEmptyRange}
	}
	if strings.Contains(in, "/") {
		p, err := netip.ParsePrefix(in)
		if err != nil {
			return Range{}, &RangeError{Input: s, Detail: "not a valid CIDR prefix: " + err.Error(), Err: ErrSyntax}
		}
		return prefixRange(s, p)
	}
	if start, end, ok := strings.Cut(in, "-"); ok {
		start, end = strings.TrimSpace(start), strings.TrimSpace(end)
		if start == "" || end == "" {
			return Range{}, &RangeError{Input: s, Detail: "a start–end range needs both a start and an end address", Err: ErrEmptyRange}
		}
		from, err := parseAddr(s, "start", start)
		if err != nil {
			return Range{}, err
		}
		to, err := parseAddr(s, "end", end)
		if err != nil {
			return Range{}, err
		}
		return addrRange(s, from, to)
	}
	a, err := parseAddr(s, "address", in)
	if err != nil {
		return Range{}, err
	}
	return Range{from: a, to: a}, nil
}

// MustParseRange is ParseRange for constants in tests and examples; it
// panics on error.
func MustParseRange(s string) Range {
	r, err := ParseRange(s)
	if err != nil {
		panic(err)
	}
	return r
}

// AddrRange returns the inclusive range [from, to]. Both must be valid, of
// the same family after unmapping, without zone, and from <= to; errors are
// as for ParseRange. Use it for ranges stored as a start and end column.
func AddrRange(from, to netip.Addr) (Range, error) {
	in := from.String() + "-" + to.String()
	f, err := checkAddr(in, "start", from)
	if err != nil {
		return Range{}, err
	}
	t, err := checkAddr(in, "end", to)
	if err != nil {
		return Range{}, err
	}
	return addrRange(in, f, t)
}

// PrefixRange returns the range of the CIDR prefix p. p must be valid with
// zero host bits; errors are as for ParseRange.
func PrefixRange(p netip.Prefix) (Range, error) {
	if !p.IsValid() {
		return Range{}, &RangeError{Input: p.String(), Detail: "not a valid CIDR prefix", Err: ErrSyntax}
	}
	return prefixRange(p.String(), p)
}

func parseAddr(input, what, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, &RangeError{Input: input, Detail: what + " " + quote(s) + " is not an IP address", Err: ErrSyntax}
	}
	return checkAddr(input, what, a)
}

func checkAddr(input, what string, a netip.Addr) (netip.Addr, error) {
	if !a.IsValid() {
		return netip.Addr{}, &RangeError{Input: input, Detail: what + " is not a valid IP address", Err: ErrSyntax}
	}
	if a.Zone() != "" {
		return netip.Addr{}, &RangeError{Input: input, Detail: what + " " + a.String() + " has a zone", Err: ErrZone}
	}
	return a.Unmap(), nil
}

func addrRange(input string, from, to netip.Addr) (Range, error) {
	if from.Is4() != to.Is4() {
		return Range{}, &RangeError{Input: input, Err: ErrMixedFamily,
			Detail: "start " + from.String() + " is " + family(from) + " but end " + to.String() + " is " + family(to)}
	}
	if to.Less(from) {
		return Range{}, &RangeError{Input: input, Err: ErrReversedRange,
			Detail: "start " + from.String() + " is after end " + to.String()}
	}
	return Range{from: from, to: to}, nil
}

func prefixRange(input string, p netip.Prefix) (Range, error) {
	a := p.Addr()
	if a.Zone() != "" { // unreachable through netip.ParsePrefix, kept for safety
		return Range{}, &RangeError{Input: input, Detail: "prefix has a zone", Err: ErrZone}
	}
	if m := p.Masked(); m != p {
		return Range{}, &RangeError{Input: input, Err: ErrHostBits,
			Detail: "host bits set after /" + strconv.Itoa(p.Bits()) + " (did you mean " + unmapPrefix(m).String() + "?)"}
	}
	p = unmapPrefix(p)
	first, last := prefixBounds(p)
	return Range{from: addrOf(first, p.Addr().Is4()), to: addrOf(last, p.Addr().Is4())}, nil
}

// unmapPrefix turns a prefix inside ::ffff:0:0/96 into its IPv4 form and
// masks it; other prefixes are only masked.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return p.Masked()
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

func quote(s string) string { return `"` + s + `"` }

// From returns the first address of the range (invalid for the zero Range).
func (r Range) From() netip.Addr { return r.from }

// To returns the last address of the range, inclusive.
func (r Range) To() netip.Addr { return r.to }

// IsValid reports whether r is a non-zero Range.
func (r Range) IsValid() bool { return r.from.IsValid() }

// Is4 reports whether r is an IPv4 range.
func (r Range) Is4() bool { return r.from.Is4() }

// IsSingle reports whether r holds exactly one address.
func (r Range) IsSingle() bool { return r.IsValid() && r.from == r.to }

// Prefix returns the CIDR prefix equal to r, if there is one (a single
// address is a /32 or /128).
func (r Range) Prefix() (netip.Prefix, bool) {
	if !r.IsValid() {
		return netip.Prefix{}, false
	}
	from, to := keyOf(r.from), keyOf(r.to)
	width := r.from.BitLen()
	k := min(from.trailingZeros(), width)
	for k > 0 && to.less(from.or(lowOnes(k))) {
		k--
	}
	if from.or(lowOnes(k)) != to {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(r.from, width-k), true
}

// Prefixes returns the minimal list of CIDR prefixes, in address order, whose
// union is exactly r: one prefix for a single address or a CIDR range, at
// most 2*(32 or 128)-2 for a start–end range. It is nil for the zero Range.
func (r Range) Prefixes() []netip.Prefix {
	if !r.IsValid() {
		return nil
	}
	var out []netip.Prefix
	is4 := r.from.Is4()
	cover(keyOf(r.from), keyOf(r.to), r.from.BitLen(), func(start u128, bits int) {
		out = append(out, netip.PrefixFrom(addrOf(start, is4), bits))
	})
	return out
}

// Contains reports whether a lies in r. a is unmapped and its zone ignored,
// so ::ffff:10.0.0.1 is in 10.0.0.0/8.
func (r Range) Contains(a netip.Addr) bool {
	if !r.IsValid() || !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	return a.Is4() == r.from.Is4() && r.from.Compare(a) <= 0 && a.Compare(r.to) <= 0
}

// Overlaps reports whether r and the prefix p share an address. A prefix
// inside ::ffff:0:0/96 is treated as IPv4.
func (r Range) Overlaps(p netip.Prefix) bool {
	if !r.IsValid() || !p.IsValid() {
		return false
	}
	p = unmapPrefix(p)
	if p.Addr().Is4() != r.Is4() {
		return false
	}
	first, last := prefixBounds(p)
	return !last.less(keyOf(r.from)) && !keyOf(r.to).less(first)
}

// String returns the canonical form, which ParseRange parses back to r: the
// address for a single address, "a.b.c.d/n" when r is exactly one CIDR
// prefix, else "start-end" without spaces. Addresses are in RFC 5952 form.
// The zero Range is "invalid Range".
func (r Range) String() string {
	switch {
	case !r.IsValid():
		return "invalid Range"
	case r.from == r.to:
		return r.from.String()
	}
	if p, ok := r.Prefix(); ok {
		return p.String()
	}
	return r.from.String() + "-" + r.to.String()
}

// MarshalText implements encoding.TextMarshaler with String's form; the zero
// Range marshals to empty text.
func (r Range) MarshalText() ([]byte, error) {
	if !r.IsValid() {
		return []byte{}, nil
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseRange; empty
// text yields the zero Range.
func (r *Range) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*r = Range{}
		return nil
	}
	v, err := ParseRange(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
