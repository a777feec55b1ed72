package ipban

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// benchEntries returns n entries, half IPv4 and half IPv6, in public space:
// mostly single addresses, then /24 and /64-style networks, some wider
// networks and start–end ranges, a few allow holes, channel-limited and
// expiring entries; and addresses that hit and miss them.
func benchEntries(n int) (entries []Entry, hits, misses []netip.Addr) {
	rng := rand.New(rand.NewPCG(42, 4242))
	pub4 := func() netip.Addr {
		for {
			a := netip.AddrFrom4([4]byte{byte(1 + rng.IntN(222)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
			if !IsNeverBlock(a, DefaultNeverBlock()) {
				return a
			}
		}
	}
	pub6 := func() netip.Addr {
		var b [16]byte
		b[0], b[1] = 0x20, byte(rng.IntN(16))
		for i := 2; i < 16; i++ {
			b[i] = byte(rng.IntN(256))
		}
		return netip.AddrFrom16(b)
	}
	until := t0.Add(24 * time.Hour)
	for i := range n {
		is4 := i%2 == 0
		a := pub6()
		if is4 {
			a = pub4()
		}
		var r Range
		switch k := rng.IntN(100); {
		case k < 70:
			r, _ = PrefixRange(netip.PrefixFrom(a, a.BitLen()))
		case k < 85:
			p, _ := a.Prefix(map[bool]int{true: 24, false: 64}[is4])
			r, _ = PrefixRange(p)
		case k < 90:
			p, _ := a.Prefix(map[bool]int{true: 16 + rng.IntN(8), false: 32 + rng.IntN(16)}[is4])
			r, _ = PrefixRange(p)
		default:
			k := keyOf(a)
			span := uint64(1 + rng.IntN(5000))
			end := u128{hi: k.hi, lo: k.lo + span}
			if end.lo < k.lo || (is4 && end.lo > 0xffffffff) {
				end = k
			}
			r, _ = AddrRange(a, addrOf(end, is4))
		}
		e := Entry{ID: fmt.Sprintf("ban-%06d", i), Range: r, Allow: rng.IntN(20) == 0}
		if rng.IntN(10) == 0 {
			e.Channels = []string{"chat"}
		}
		if rng.IntN(2) == 0 {
			e.Until = &until
		}
		entries = append(entries, e)
		hits = append(hits, r.From())
	}
	tab, err := NewTable(entries)
	if err != nil {
		panic(err)
	}
	for len(misses) < 4096 {
		a := pub6()
		if len(misses)%2 == 0 {
			a = pub4()
		}
		if e, _ := tab.Lookup(a, "chat", t0); e.ID == "" {
			misses = append(misses, a)
		}
	}
	tab.DrainHits()
	return entries, hits, misses
}

func BenchmarkLookup(b *testing.B) {
	entries, hits, misses := benchEntries(100_000)
	tab, err := NewTable(entries)
	if err != nil {
		b.Fatal(err)
	}
	split := func(as []netip.Addr, v4 bool) []netip.Addr {
		var out []netip.Addr
		for _, a := range as {
			if a.Is4() == v4 {
				out = append(out, a)
			}
		}
		return out
	}
	for _, bc := range []struct {
		name  string
		addrs []netip.Addr
	}{
		{"hit/v4", split(hits, true)},
		{"hit/v6", split(hits, false)},
		{"miss/v4", split(misses, true)},
		{"miss/v6", split(misses, false)},
		{"neverblock", []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fd00::1")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				tab.Lookup(bc.addrs[i%len(bc.addrs)], "chat", t0)
				i++
			}
		})
	}
	b.Run("hit/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(len(hits))
			for pb.Next() {
				tab.Lookup(hits[i%len(hits)], "chat", t0)
				i++
			}
		})
	})
}

func BenchmarkNewTable(b *testing.B) {
	entries, _, _ := benchEntries(100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewTable(entries); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	entries, hits, misses := benchEntries(2000)
	tab := mustTable(t, entries)
	if n := testing.AllocsPerRun(100, func() {
		tab.Lookup(hits[7], "chat", t0)
		tab.Lookup(hits[8], "chat", t0)
		tab.Lookup(misses[3], "chat", t0)
	}); n != 0 {
		t.Errorf("Lookup allocates %v times per run", n)
	}
}
