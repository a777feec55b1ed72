package ipban

import (
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		name, in   string
		want       string // canonical String(); empty when an error is expected
		from, to   string
		wantErr    string
		wantTarget error
	}{
		{name: "ipv4 single", in: "203.0.113.7", want: "203.0.113.7", from: "203.0.113.7", to: "203.0.113.7"},
		{name: "ipv6 single", in: "2001:DB8:0:0::1", want: "2001:db8::1", from: "2001:db8::1", to: "2001:db8::1"},
		{name: "spaces trimmed", in: "  203.0.113.7\t", want: "203.0.113.7", from: "203.0.113.7", to: "203.0.113.7"},
		{name: "mapped single", in: "::ffff:1.2.3.4", want: "1.2.3.4", from: "1.2.3.4", to: "1.2.3.4"},
		{name: "ipv4 cidr", in: "203.0.113.0/24", want: "203.0.113.0/24", from: "203.0.113.0", to: "203.0.113.255"},
		{name: "ipv4 /32 is single", in: "203.0.113.7/32", want: "203.0.113.7", from: "203.0.113.7", to: "203.0.113.7"},
		{name: "ipv4 /0", in: "0.0.0.0/0", want: "0.0.0.0/0", from: "0.0.0.0", to: "255.255.255.255"},
		{name: "ipv6 cidr", in: "2001:db8::/32", want: "2001:db8::/32", from: "2001:db8::", to: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
		{name: "ipv6 /0", in: "::/0", want: "::/0", from: "::", to: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{name: "mapped cidr", in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8", from: "10.0.0.0", to: "10.255.255.255"},
		{name: "ipv4 start-end", in: "10.0.0.5-10.0.0.9", want: "10.0.0.5-10.0.0.9", from: "10.0.0.5", to: "10.0.0.9"},
		{name: "ipv4 start - end spaced", in: "10.0.0.5 - 10.0.0.9", want: "10.0.0.5-10.0.0.9", from: "10.0.0.5", to: "10.0.0.9"},
		{name: "start-end equal to prefix", in: "10.0.0.0-10.0.0.255", want: "10.0.0.0/24", from: "10.0.0.0", to: "10.0.0.255"},
		{name: "start-end single", in: "10.0.0.5-10.0.0.5", want: "10.0.0.5", from: "10.0.0.5", to: "10.0.0.5"},
		{name: "ipv6 start-end", in: "2001:db8::1 - 2001:db8::ff", want: "2001:db8::1-2001:db8::ff", from: "2001:db8::1", to: "2001:db8::ff"},
		{name: "mapped start-end", in: "::ffff:10.0.0.1-10.0.0.3", want: "10.0.0.1-10.0.0.3", from: "10.0.0.1", to: "10.0.0.3"},

		{name: "empty", in: "  ", wantErr: `invalid ip range "  ": empty input`, wantTarget: ErrEmptyRange},
		{name: "garbage", in: "banana", wantErr: `invalid ip range "banana": address "banana" is not an IP address`, wantTarget: ErrSyntax},
		{name: "ipv4 out of range", in: "10.0.0.256", wantErr: `invalid ip range "10.0.0.256": address "10.0.0.256" is not an IP address`, wantTarget: ErrSyntax},
		{name: "bad start", in: "10.0.0.x-10.0.0.9", wantErr: `invalid ip range "10.0.0.x-10.0.0.9": start "10.0.0.x" is not an IP address`, wantTarget: ErrSyntax},
		{name: "bad end", in: "10.0.0.1-10.0.0.x", wantErr: `invalid ip range "10.0.0.1-10.0.0.x": end "10.0.0.x" is not an IP address`, wantTarget: ErrSyntax},
		{name: "two dashes", in: "10.0.0.1-10.0.0.2-10.0.0.3", wantErr: `invalid ip range "10.0.0.1-10.0.0.2-10.0.0.3": end "10.0.0.2-10.0.0.3" is not an IP address`, wantTarget: ErrSyntax},
		{name: "missing end", in: "10.0.0.1-", wantErr: `invalid ip range "10.0.0.1-": a start–end range needs both a start and an end address`, wantTarget: ErrEmptyRange},
		{name: "missing start", in: " - 10.0.0.1", wantErr: `invalid ip range " - 10.0.0.1": a start–end range needs both a start and an end address`, wantTarget: ErrEmptyRange},
		{name: "reversed", in: "10.0.0.9-10.0.0.5", wantErr: `invalid ip range "10.0.0.9-10.0.0.5": start 10.0.0.9 is after end 10.0.0.5`, wantTarget: ErrReversedRange},
		{name: "reversed ipv6", in: "2001:db8::9-2001:db8::1", wantErr: `invalid ip range "2001:db8::9-2001:db8::1": start 2001:db8::9 is after end 2001:db8::1`, wantTarget: ErrReversedRange},
		{name: "mixed families", in: "10.0.0.1-2001:db8::1", wantErr: `invalid ip range "10.0.0.1-2001:db8::1": start 10.0.0.1 is IPv4 but end 2001:db8::1 is IPv6`, wantTarget: ErrMixedFamily},
		{name: "host bits", in: "203.0.113.7/24", wantErr: `invalid ip range "203.0.113.7/24": host bits set after /24 (did you mean 203.0.113.0/24?)`, wantTarget: ErrHostBits},
		{name: "host bits mapped", in: "::ffff:10.0.0.1/104", wantErr: `invalid ip range "::ffff:10.0.0.1/104": host bits set after /104 (did you mean 10.0.0.0/8?)`, wantTarget: ErrHostBits},
		{name: "bad prefix length", in: "10.0.0.0/33", wantErr: `invalid ip range "10.0.0.0/33": not a valid CIDR prefix: netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`, wantTarget: ErrSyntax},
		{name: "zone", in: "fe80::1%eth0", wantErr: `invalid ip range "fe80::1%eth0": address fe80::1%eth0 has a zone`, wantTarget: ErrZone},
		{name: "zone in range", in: "fe80::1%eth0-fe80::2", wantErr: `invalid ip range "fe80::1%eth0-fe80::2": start fe80::1%eth0 has a zone`, wantTarget: ErrZone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRange(tc.in)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseRange(%q) = %v, want error %q", tc.in, r, tc.wantErr)
				}
				if err.Error() != tc.wantErr {
					t.Errorf("error = %q\nwant    %q", err, tc.wantErr)
				}
				if !errors.Is(err, ErrInvalidRange) || !errors.Is(err, tc.wantTarget) {
					t.Errorf("errors.Is(err, ErrInvalidRange / %v) = false", tc.wantTarget)
				}
				var re *RangeError
				if !errors.As(err, &re) || re.Input != tc.in {
					t.Errorf("want *RangeError with Input %q, got %#v", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRange(%q): %v", tc.in, err)
			}
			if got := r.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if r.From() != netip.MustParseAddr(tc.from) || r.To() != netip.MustParseAddr(tc.to) {
				t.Errorf("From, To = %v, %v, want %s, %s", r.From(), r.To(), tc.from, tc.to)
			}
			again, err := ParseRange(r.String())
			if err != nil || again != r {
				t.Errorf("ParseRange(String()) = %v, %v; want %v", again, err, r)
			}
		})
	}
}

func TestRangePrefixes(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"203.0.113.7", []string{"203.0.113.7/32"}},
		{"2001:db8::1", []string{"2001:db8::1/128"}},
		{"203.0.113.0/24", []string{"203.0.113.0/24"}},
		{"10.0.0.5-10.0.0.9", []string{"10.0.0.5/32", "10.0.0.6/31", "10.0.0.8/31"}},
		{"10.0.0.0-10.0.1.255", []string{"10.0.0.0/23"}},
		{"10.0.0.1-10.0.1.254", []string{
			"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/28", "10.0.0.32/27", "10.0.0.64/26", "10.0.0.128/25",
			"10.0.1.0/25", "10.0.1.128/26", "10.0.1.192/27", "10.0.1.224/28", "10.0.1.240/29", "10.0.1.248/30", "10.0.1.252/31", "10.0.1.254/32"}},
		{"0.0.0.0-255.255.255.255", []string{"0.0.0.0/0"}},
		{"255.255.255.254-255.255.255.255", []string{"255.255.255.254/31"}},
		{"0.0.0.1-255.255.255.255", func() []string {
			var out []string
			for bits := 32; bits >= 1; bits-- {
				out = append(out, netip.PrefixFrom(addrOf(lowOnes(32-bits).addOne(), true), bits).String())
			}
			return out
		}()},
		{"2001:db8::ffff-2001:db8::1:0", []string{"2001:db8::ffff/128", "2001:db8::1:0/128"}},
		{"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", []string{"::/0"}},
		{"2001:db8::1-2001:db8::1:1", []string{
			"2001:db8::1/128", "2001:db8::2/127", "2001:db8::4/126", "2001:db8::8/125", "2001:db8::10/124", "2001:db8::20/123",
			"2001:db8::40/122", "2001:db8::80/121", "2001:db8::100/120", "2001:db8::200/119", "2001:db8::400/118", "2001:db8::800/117",
			"2001:db8::1000/116", "2001:db8::2000/115", "2001:db8::4000/114", "2001:db8::8000/113", "2001:db8::1:0/127"}},
		{"::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", nil}, // 128 prefixes; shape checked by checkCover
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r := MustParseRange(tc.in)
			got := r.Prefixes()
			checkCover(t, r, got)
			if len(tc.want) == 0 {
				return
			}
			var gotS []string
			for _, p := range got {
				gotS = append(gotS, p.String())
			}
			if !slices.Equal(gotS, tc.want) {
				t.Errorf("Prefixes() = %v\nwant %v", gotS, tc.want)
			}
		})
	}
}

// checkCover verifies that ps are masked, ordered, contiguous, exactly cover
// r, and minimal (no two neighbours merge into one prefix).
func checkCover(t *testing.T, r Range, ps []netip.Prefix) {
	t.Helper()
	if len(ps) == 0 {
		t.Fatalf("no prefixes for %v", r)
	}
	if max := 2*r.From().BitLen() - 2; len(ps) > max && len(ps) != 1 {
		t.Errorf("%d prefixes, more than %d", len(ps), max)
	}
	next := keyOf(r.From())
	for i, p := range ps {
		if p.Masked() != p {
			t.Errorf("prefix %v not masked", p)
		}
		first, last := prefixBounds(p)
		if first != next {
			t.Fatalf("prefix %d %v starts at %v, want %v", i, p, addrOf(first, r.Is4()), addrOf(next, r.Is4()))
		}
		if i > 0 && ps[i-1].Bits() == p.Bits() && p.Bits() > 0 {
			if parent := netip.PrefixFrom(ps[i-1].Addr(), p.Bits()-1).Masked(); parent.Addr() == ps[i-1].Addr() {
				t.Errorf("prefixes %v and %v merge into %v: cover not minimal", ps[i-1], p, parent)
			}
		}
		next = last.addOne()
		if i == len(ps)-1 && addrOf(last, r.Is4()) != r.To() {
			t.Errorf("cover ends at %v, want %v", addrOf(last, r.Is4()), r.To())
		}
	}
}

func TestRangeContainsAndOverlaps(t *testing.T) {
	r := MustParseRange("10.0.0.5-10.0.0.9")
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"10.0.0.4", false}, {"10.0.0.5", true}, {"10.0.0.7", true}, {"10.0.0.9", true}, {"10.0.0.10", false},
		{"::ffff:10.0.0.6", true}, {"2001:db8::1", false},
	} {
		if got := r.Contains(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Contains(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	if (Range{}).Contains(netip.MustParseAddr("10.0.0.1")) || r.Contains(netip.Addr{}) {
		t.Error("zero Range or zero Addr contains something")
	}
	v6 := MustParseRange("fe80::1-fe80::3")
	if !v6.Contains(netip.MustParseAddr("fe80::2%eth0")) {
		t.Error("zone should be ignored by Contains")
	}
	for _, tc := range []struct {
		prefix string
		want   bool
	}{
		{"10.0.0.0/30", false}, {"10.0.0.4/30", true}, {"10.0.0.8/30", true}, {"10.0.0.12/30", false}, {"0.0.0.0/0", true},
		{"::ffff:10.0.0.0/120", true}, {"::/0", false},
	} {
		if got := r.Overlaps(netip.MustParsePrefix(tc.prefix)); got != tc.want {
			t.Errorf("Overlaps(%s) = %v, want %v", tc.prefix, got, tc.want)
		}
	}
}

func TestRangeConstructors(t *testing.T) {
	r, err := AddrRange(netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("10.0.0.3"))
	if err != nil || r.String() != "10.0.0.1-10.0.0.3" {
		t.Errorf("AddrRange = %v, %v", r, err)
	}
	_, err = AddrRange(netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("10.0.0.1"))
	if !errors.Is(err, ErrReversedRange) || err.Error() != `invalid ip range "10.0.0.3-10.0.0.1": start 10.0.0.3 is after end 10.0.0.1` {
		t.Errorf("AddrRange reversed: %v", err)
	}
	_, err = AddrRange(netip.Addr{}, netip.MustParseAddr("10.0.0.1"))
	if !errors.Is(err, ErrSyntax) {
		t.Errorf("AddrRange zero: %v", err)
	}
	r, err = PrefixRange(netip.MustParsePrefix("2001:db8::/48"))
	if err != nil || r.String() != "2001:db8::/48" {
		t.Errorf("PrefixRange = %v, %v", r, err)
	}
	if _, err = PrefixRange(netip.MustParsePrefix("2001:db8::1/48")); !errors.Is(err, ErrHostBits) {
		t.Errorf("PrefixRange host bits: %v", err)
	}
	if _, err = PrefixRange(netip.Prefix{}); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("PrefixRange zero: %v", err)
	}
	if p, ok := MustParseRange("10.0.0.5-10.0.0.9").Prefix(); ok {
		t.Errorf("Prefix() of non-prefix range = %v", p)
	}
	if p, ok := MustParseRange("10.0.0.8-10.0.0.15").Prefix(); !ok || p.String() != "10.0.0.8/29" {
		t.Errorf("Prefix() = %v, %v", p, ok)
	}
	if !MustParseRange("1.2.3.4").IsSingle() || MustParseRange("1.2.3.4/31").IsSingle() || (Range{}).IsSingle() {
		t.Error("IsSingle wrong")
	}
	if (Range{}).String() != "invalid Range" || (Range{}).Prefixes() != nil {
		t.Error("zero Range String/Prefixes")
	}
}

func TestRangeJSON(t *testing.T) {
	type doc struct {
		R Range `json:"r"`
		Z Range `json:"z"`
	}
	b, err := json.Marshal(doc{R: MustParseRange("10.0.0.5 - 10.0.0.9")})
	if err != nil || string(b) != `{"r":"10.0.0.5-10.0.0.9","z":""}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil || d.R != MustParseRange("10.0.0.5-10.0.0.9") || d.Z.IsValid() {
		t.Fatalf("Unmarshal = %+v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"r":"10.0.0.9-10.0.0.5"}`), &d); !errors.Is(err, ErrReversedRange) {
		t.Errorf("Unmarshal bad range: %v", err)
	}
}
