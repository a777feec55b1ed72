package ipban

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8:ffff::/48"),
		netip.MustParsePrefix("::ffff:192.0.2.0/120"), // mapped form: 192.0.2.0/24
	}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string // "" for the zero Addr
	}{
		{name: "direct client, no header", remote: "203.0.113.7:5555", want: "203.0.113.7"},
		{name: "direct client spoofs xff", remote: "203.0.113.7:5555", xff: []string{"1.1.1.1"}, want: "203.0.113.7"},
		{name: "direct ipv6 client", remote: "[2001:db8::7]:443", want: "2001:db8::7"},
		{name: "direct mapped client", remote: "[::ffff:203.0.113.7]:443", want: "203.0.113.7"},
		{name: "zone stripped", remote: "[fe80::1%eth0]:443", want: "fe80::1"},
		{name: "bare address", remote: "203.0.113.7", want: "203.0.113.7"},
		{name: "unparseable remote", remote: "@", want: ""},
		{name: "trusted proxy, no header", remote: "10.0.0.2:80", want: "10.0.0.2"},
		{name: "trusted proxy, one hop", remote: "10.0.0.2:80", xff: []string{"203.0.113.7"}, want: "203.0.113.7"},
		{name: "client prepends spoofed entries", remote: "10.0.0.2:80", xff: []string{"1.1.1.1, 8.8.8.8, 203.0.113.7"}, want: "203.0.113.7"},
		{name: "spoofed trusted-looking entry left of client", remote: "10.0.0.2:80", xff: []string{"10.9.9.9, 203.0.113.7"}, want: "203.0.113.7"},
		{name: "chain of trusted proxies skipped", remote: "10.0.0.2:80", xff: []string{"6.6.6.6, 203.0.113.7, 10.0.0.9, 192.0.2.4"}, want: "203.0.113.7"},
		{name: "several header lines in order", remote: "10.0.0.2:80", xff: []string{"6.6.6.6, 203.0.113.7", "10.0.0.9"}, want: "203.0.113.7"},
		{name: "empty header line skipped", remote: "10.0.0.2:80", xff: []string{"203.0.113.7", " "}, want: "203.0.113.7"},
		{name: "ipv6 proxy and client with ports", remote: "[2001:db8:ffff::1]:443", xff: []string{"[2001:db8::7]:1234, 10.0.0.3:80"}, want: "2001:db8::7"},
		{name: "bracketed ipv6 without port", remote: "10.0.0.2:80", xff: []string{"[2001:db8::7]"}, want: "2001:db8::7"},
		{name: "mapped client in xff", remote: "10.0.0.2:80", xff: []string{"::ffff:203.0.113.7"}, want: "203.0.113.7"},
		{name: "all hops trusted: leftmost", remote: "10.0.0.2:80", xff: []string{"10.1.1.1, 10.0.0.9"}, want: "10.1.1.1"},
		{name: "garbage right of client: unknown", remote: "10.0.0.2:80", xff: []string{"203.0.113.7, unknown"}, want: ""},
		{name: "garbage left of client ignored", remote: "10.0.0.2:80", xff: []string{"<script>, 203.0.113.7"}, want: "203.0.113.7"},
		{name: "empty element right of client: unknown", remote: "10.0.0.2:80", xff: []string{"203.0.113.7,,10.0.0.9"}, want: ""},
		{name: "trailing comma: unknown", remote: "10.0.0.2:80", xff: []string{"203.0.113.7,"}, want: ""},
		{name: "untrusted peer in trusted-looking v6", remote: "[2001:db8:fffe::1]:443", xff: []string{"203.0.113.7"}, want: "2001:db8:fffe::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.xff {
				h.Add("X-Forwarded-For", v)
			}
			got := ClientIP(tc.remote, h, trusted)
			var want netip.Addr
			if tc.want != "" {
				want = netip.MustParseAddr(tc.want)
			}
			if got != want {
				t.Errorf("ClientIP(%q, %q) = %v, want %v", tc.remote, tc.xff, got, want)
			}
		})
	}
	if got := ClientIP("10.0.0.2:80", http.Header{"X-Forwarded-For": {"203.0.113.7"}}, nil); got != netip.MustParseAddr("10.0.0.2") {
		t.Errorf("no trusted proxies: got %v", got)
	}
}
