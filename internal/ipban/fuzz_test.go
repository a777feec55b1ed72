package ipban

import (
	"net/netip"
	"testing"
)

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{
		"203.0.113.7", "203.0.113.0/24", "10.0.0.5-10.0.0.9", "10.0.0.5 - 10.0.0.9", "2001:db8::/32",
		"2001:db8::1-2001:db8::ff", "::ffff:1.2.3.4", "::ffff:10.0.0.0/104", "10.0.0.9-10.0.0.5", "10.0.0.1-2001:db8::1",
		"203.0.113.7/24", "fe80::1%eth0", "", " - ", "0.0.0.0/0", "::/0", "1.2.3.4-", "1.2.3.4/33", "::-::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			if r.IsValid() {
				t.Fatalf("ParseRange(%q) returned %v with error %v", s, r, err)
			}
			return
		}
		if !r.IsValid() || r.To().Less(r.From()) || r.From().Is4() != r.To().Is4() || r.From().Is4In6() || r.From().Zone() != "" {
			t.Fatalf("ParseRange(%q) = bad range %#v", s, r)
		}
		again, err := ParseRange(r.String())
		if err != nil || again != r {
			t.Fatalf("ParseRange(%q).String() = %q re-parses to %v, %v", s, r.String(), again, err)
		}
		ps := r.Prefixes()
		if len(ps) == 0 || len(ps) > 2*r.From().BitLen() {
			t.Fatalf("%v: %d prefixes", r, len(ps))
		}
		if !ps[0].Contains(r.From()) || !ps[len(ps)-1].Contains(r.To()) || !r.Contains(r.From()) || !r.Contains(r.To()) {
			t.Fatalf("%v: cover %v does not span the range", r, ps)
		}
		if p, ok := r.Prefix(); ok && (len(ps) != 1 || ps[0] != p) {
			t.Fatalf("%v: Prefix %v but cover %v", r, p, ps)
		}
		_ = r.Overlaps(netip.PrefixFrom(r.From(), r.From().BitLen()))
	})
}
