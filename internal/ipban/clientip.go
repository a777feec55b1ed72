package ipban

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client behind an HTTP request, for ban
// checks and for showing agents who they talk to.
//
// remoteAddr is http.Request.RemoteAddr ("ip:port", or a bare address). When
// the direct peer is not in trusted, it is the answer and X-Forwarded-For is
// ignored: anyone can send that header. When the peer is a trusted proxy, the
// X-Forwarded-For chain (all header lines, in order) is walked from right to
// left, skipping trusted proxies, and the first untrusted address is the
// client. The leftmost entries are never taken blindly, since the client
// writes them. If every hop is trusted, the leftmost one is returned (a
// client inside the proxies' own network). If the walk meets an entry that
// is not an address ("unknown", garbage, an empty element), a trusted proxy
// has written it, the client cannot be known, and the zero Addr is returned
// rather than a proxy's address, which must never be banned. Entries may carry
// a port ("203.0.113.7:4711", "[2001:db8::1]:443").
//
// The result is unmapped and without zone; it is the zero Addr when
// remoteAddr cannot be parsed (for instance a Unix socket peer). Prefixes in
// trusted inside ::ffff:0:0/96 are treated as IPv4. The Forwarded (RFC 7239)
// and X-Real-IP headers are not read.
func ClientIP(remoteAddr string, header http.Header, trusted []netip.Prefix) netip.Addr {
	peer := parseHostAddr(remoteAddr)
	if !peer.IsValid() || !inPrefixes(peer, trusted) {
		return peer
	}
	client := peer
	values := header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		rest := values[i]
		if strings.TrimSpace(rest) == "" {
			continue // an empty header line is no hop
		}
		for more := true; more; {
			var part string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				part, rest = rest[j+1:], rest[:j]
			} else {
				part, more = rest, false
			}
			a := parseHostAddr(strings.TrimSpace(part))
			if !a.IsValid() {
				return netip.Addr{}
			}
			if !inPrefixes(a, trusted) {
				return a
			}
			client = a
		}
	}
	return client
}

// parseHostAddr parses "ip", "ip:port", "[ipv6]:port" or "[ipv6]".
func parseHostAddr(s string) netip.Addr {
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
	} else if b, err := netip.ParseAddr(s); err == nil {
		a = b
	} else if b, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil && s[0] == '[' && s[len(s)-1] == ']' {
		a = b
	} else {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

func inPrefixes(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.IsValid() && unmapPrefix(p).Contains(a) {
			return true
		}
	}
	return false
}
