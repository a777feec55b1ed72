package ipban

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { u := t0.Add(d); return &u }

func mustTable(t testing.TB, entries []Entry, opts ...Option) *Table {
	t.Helper()
	tab, err := NewTable(entries, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestLookup(t *testing.T) {
	entries := []Entry{
		{ID: "net24", Range: MustParseRange("203.0.113.0/24")},
		{ID: "hole25", Range: MustParseRange("203.0.113.128/25"), Allow: true},
		{ID: "rebanned", Range: MustParseRange("203.0.113.200"), Channels: []string{"chat"}},
		{ID: "expired", Range: MustParseRange("198.51.100.0/24"), Until: at(-time.Minute)},
		{ID: "until-now", Range: MustParseRange("198.51.100.7"), Until: at(0)},
		{ID: "soon", Range: MustParseRange("198.51.100.8"), Until: at(time.Hour)},
		{ID: "forum-only", Range: MustParseRange("192.0.2.0/24"), Channels: []string{"forum", "contact_form"}},
		{ID: "wide16", Range: MustParseRange("192.0.0.0/16")},
		{ID: "range", Range: MustParseRange("198.18.0.5-198.18.0.9")},
		{ID: "range-allow", Range: MustParseRange("198.18.0.6"), Allow: true},
		{ID: "tie-allow", Range: MustParseRange("198.18.1.0/24"), Allow: true},
		{ID: "tie-ban", Range: MustParseRange("198.18.1.0/24")},
		{ID: "b-short", Range: MustParseRange("198.18.2.0/24"), Until: at(time.Hour)},
		{ID: "a-long", Range: MustParseRange("198.18.2.0/24"), Until: at(2 * time.Hour)},
		{ID: "c-perm", Range: MustParseRange("198.18.3.0/24")},
		{ID: "a-perm", Range: MustParseRange("198.18.3.0/24")},
		{ID: "v6-48", Range: MustParseRange("2001:db8:1::/48")},
		{ID: "v6-64-allow", Range: MustParseRange("2001:db8:1:2::/64"), Allow: true},
		{ID: "v6-one", Range: MustParseRange("2001:db8:1:2::bad")},
		{ID: "private", Range: MustParseRange("10.0.0.0/8")},
		{ID: "cgnat-part", Range: MustParseRange("100.64.0.0-100.200.0.0")},
		{ID: "everything6", Range: MustParseRange("::/0"), Channels: []string{"call"}},
	}
	tab := mustTable(t, entries)

	tests := []struct {
		name, addr, channel string
		now                 time.Time
		wantID              string // deciding entry, "" for none
		banned              bool
	}{
		{name: "inside /24 outside hole", addr: "203.0.113.5", channel: "chat", wantID: "net24", banned: true},
		{name: "allow /25 carves a hole", addr: "203.0.113.129", channel: "chat", wantID: "hole25", banned: false},
		{name: "ban inside the hole", addr: "203.0.113.200", channel: "chat", wantID: "rebanned", banned: true},
		{name: "ban inside the hole other channel", addr: "203.0.113.200", channel: "forum", wantID: "hole25", banned: false},
		{name: "mapped address is ipv4", addr: "::ffff:203.0.113.5", channel: "chat", wantID: "net24", banned: true},
		{name: "no entry", addr: "203.0.114.1", channel: "chat"},
		{name: "expired ignored", addr: "198.51.100.1", channel: "chat"},
		{name: "until equal to now is expired", addr: "198.51.100.7", channel: "chat"},
		{name: "not yet expired", addr: "198.51.100.8", channel: "chat", wantID: "soon", banned: true},
		{name: "expired later", addr: "198.51.100.8", channel: "chat", now: t0.Add(time.Hour)},
		{name: "channel match", addr: "192.0.2.1", channel: "forum", wantID: "forum-only", banned: true},
		{name: "channel mismatch falls back to less specific", addr: "192.0.2.1", channel: "chat", wantID: "wide16", banned: true},
		{name: "empty channel only all-channel entries", addr: "192.0.2.1", channel: "", wantID: "wide16", banned: true},
		{name: "start-end range edge", addr: "198.18.0.5", channel: "chat", wantID: "range", banned: true},
		{name: "start-end range end", addr: "198.18.0.9", channel: "chat", wantID: "range", banned: true},
		{name: "start-end range outside", addr: "198.18.0.10", channel: "chat"},
		{name: "allow single inside start-end", addr: "198.18.0.6", channel: "chat", wantID: "range-allow"},
		{name: "neighbour of allow still banned", addr: "198.18.0.7", channel: "chat", wantID: "range", banned: true},
		{name: "tie: ban beats allow", addr: "198.18.1.1", channel: "chat", wantID: "tie-ban", banned: true},
		{name: "tie: longest-lasting ban returned", addr: "198.18.2.1", channel: "chat", wantID: "a-long", banned: true},
		{name: "tie: an expired ban is skipped", addr: "198.18.2.1", channel: "chat", now: t0.Add(90 * time.Minute), wantID: "a-long", banned: true},
		{name: "tie: permanent bans by id", addr: "198.18.3.1", channel: "chat", wantID: "a-perm", banned: true},
		{name: "v6 /48", addr: "2001:db8:1:3::1", channel: "chat", wantID: "v6-48", banned: true},
		{name: "v6 allow /64", addr: "2001:db8:1:2::1", channel: "chat", wantID: "v6-64-allow"},
		{name: "v6 single inside allow", addr: "2001:db8:1:2::bad", channel: "chat", wantID: "v6-one", banned: true},
		{name: "v6 zone ignored", addr: "2001:db8:1:3::1%eth0", channel: "chat", wantID: "v6-48", banned: true},
		{name: "v6 catch-all on its channel", addr: "2001:db8:ffff::1", channel: "call", wantID: "everything6", banned: true},
		{name: "v6 catch-all not on others", addr: "2001:db8:ffff::1", channel: "chat"},
		{name: "private never blocked", addr: "10.1.2.3", channel: "chat"},
		{name: "cgnat never blocked", addr: "100.64.0.1", channel: "chat"},
		{name: "range beyond cgnat banned", addr: "100.128.0.1", channel: "chat", wantID: "cgnat-part", banned: true},
		{name: "ipv6 loopback never blocked", addr: "::1", channel: "call"},
		{name: "ipv6 link-local never blocked", addr: "fe80::1", channel: "call"},
		{name: "ipv6 ula never blocked", addr: "fd00::1", channel: "call"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			e, banned := tab.Lookup(netip.MustParseAddr(tc.addr), tc.channel, now)
			if e.ID != tc.wantID || banned != tc.banned {
				t.Errorf("Lookup(%s, %q) = %q, %v; want %q, %v", tc.addr, tc.channel, e.ID, banned, tc.wantID, tc.banned)
			}
			if e.ID != "" && e.Allow == banned {
				t.Errorf("banned = %v but entry Allow = %v", banned, e.Allow)
			}
		})
	}

	if _, banned := tab.Lookup(netip.Addr{}, "chat", t0); banned {
		t.Error("zero Addr banned")
	}
	var nilTab *Table
	if _, banned := nilTab.Lookup(netip.MustParseAddr("203.0.113.5"), "chat", t0); banned || nilTab.Len() != 0 || len(nilTab.Hits()) != 0 {
		t.Error("nil table not empty")
	}
}

func TestNeverBlockOption(t *testing.T) {
	entries := []Entry{{ID: "private", Range: MustParseRange("10.0.0.0/8")}, {ID: "pub", Range: MustParseRange("203.0.113.0/24")}}
	addr := netip.MustParseAddr("10.1.2.3")

	if _, banned := mustTable(t, entries).Lookup(addr, "chat", t0); banned {
		t.Error("default: private address banned")
	}
	if _, banned := mustTable(t, entries, WithNeverBlock(nil)).Lookup(addr, "chat", t0); !banned {
		t.Error("WithNeverBlock(nil): private address not banned")
	}
	custom := mustTable(t, entries, WithNeverBlock([]netip.Prefix{netip.MustParsePrefix("::ffff:203.0.113.0/120")}))
	if _, banned := custom.Lookup(netip.MustParseAddr("203.0.113.9"), "chat", t0); banned {
		t.Error("custom never-block (mapped prefix) not honoured")
	}
	if _, banned := custom.Lookup(addr, "chat", t0); !banned {
		t.Error("custom never-block list should replace the defaults")
	}
	if !custom.NeverBlocked(netip.MustParseAddr("203.0.113.1")) || custom.NeverBlocked(addr) {
		t.Error("NeverBlocked wrong")
	}
}

func TestIsNeverBlockAndCheck(t *testing.T) {
	def := DefaultNeverBlock()
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.0.0.1": true, "172.16.0.1": true, "172.31.255.255": true, "172.32.0.0": false,
		"192.168.1.1": true, "fc00::1": true, "fdff::1": true, "fe00::1": false, "169.254.1.1": true, "fe80::1%eth0": true,
		"100.64.0.0": true, "100.127.255.255": true, "100.128.0.0": false, "::ffff:10.0.0.1": true, "8.8.8.8": false, "2001:db8::1": false,
	} {
		if got := IsNeverBlock(netip.MustParseAddr(addr), def); got != want {
			t.Errorf("IsNeverBlock(%s) = %v, want %v", addr, got, want)
		}
		tab := mustTable(t, nil)
		if got := tab.NeverBlocked(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Table.NeverBlocked(%s) = %v, want %v", addr, got, want)
		}
	}
	if IsNeverBlock(netip.MustParseAddr("10.0.0.1"), nil) {
		t.Error("empty list blocks nothing")
	}

	tests := []struct {
		in, wantErr string
		contained   bool
	}{
		{in: "203.0.113.0/24"},
		{in: "10.1.2.3", wantErr: "ip range 10.1.2.3 lies inside never-block network 10.0.0.0/8: a ban on it has no effect", contained: true},
		{in: "9.255.255.0-10.0.0.10", wantErr: "ip range 9.255.255.0-10.0.0.10 overlaps never-block network 10.0.0.0/8: addresses in it stay unbanned"},
		{in: "0.0.0.0/0", wantErr: "ip range 0.0.0.0/0 overlaps never-block network 127.0.0.0/8: addresses in it stay unbanned"},
		{in: "fe80::/64", wantErr: "ip range fe80::/64 lies inside never-block network fe80::/10: a ban on it has no effect", contained: true},
		{in: "2001:db8::/32"},
	}
	for _, tc := range tests {
		err := CheckNeverBlock(MustParseRange(tc.in), def)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("CheckNeverBlock(%s) = %v", tc.in, err)
			}
			continue
		}
		var nb *NeverBlockError
		if !errors.Is(err, ErrNeverBlock) || !errors.As(err, &nb) || err.Error() != tc.wantErr || nb.Contained != tc.contained {
			t.Errorf("CheckNeverBlock(%s) = %v\nwant %q (contained %v)", tc.in, err, tc.wantErr, tc.contained)
		}
	}
}

func TestNewTableErrors(t *testing.T) {
	_, err := NewTable([]Entry{
		{ID: "a", Range: MustParseRange("1.2.3.4")},
		{ID: "", Range: MustParseRange("1.2.3.5")},
		{ID: "a", Range: MustParseRange("1.2.3.6")},
		{ID: "z"},
	})
	want := "entry 1: invalid ban entry: empty id\n" +
		"entry 2 (id \"a\"): invalid ban entry: duplicate id of entry 0\n" +
		"entry 3 (id \"z\"): invalid ban entry: invalid ip range: zero Range"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	for _, target := range []error{ErrInvalidEntry, ErrEmptyID, ErrDuplicateID, ErrInvalidRange} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(err, %v) = false", target)
		}
	}
}

func TestNewTableCopiesEntries(t *testing.T) {
	until := t0.Add(time.Hour)
	in := []Entry{{ID: "a", Range: MustParseRange("203.0.113.1"), Channels: []string{"chat"}, Until: &until}}
	tab := mustTable(t, in)
	in[0].Channels[0] = "forum"
	until = t0.Add(-time.Hour)
	e, banned := tab.Lookup(netip.MustParseAddr("203.0.113.1"), "chat", t0)
	if !banned || e.Channels[0] != "chat" || !e.Until.Equal(t0.Add(time.Hour)) {
		t.Errorf("table changed with its input: %+v %v", e, banned)
	}
	if got := tab.Entries(); len(got) != 1 || got[0].ID != "a" || tab.Len() != 1 {
		t.Errorf("Entries = %+v", got)
	}
}

func TestHits(t *testing.T) {
	tab := mustTable(t, []Entry{
		{ID: "ban", Range: MustParseRange("203.0.113.0/24")},
		{ID: "allow", Range: MustParseRange("203.0.113.128/25"), Allow: true},
		{ID: "idle", Range: MustParseRange("198.51.100.0/24")},
	})
	ban, hole := netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("203.0.113.200")
	tab.Lookup(ban, "chat", t0.Add(2*time.Second))
	tab.Lookup(ban, "chat", t0.Add(time.Second)) // an older clock reading does not move Last back
	tab.Lookup(hole, "chat", t0)
	tab.Lookup(netip.MustParseAddr("192.0.2.1"), "chat", t0) // miss: nothing counted

	want := map[string]HitStat{
		"ban":   {Count: 2, Last: t0.Add(2 * time.Second)},
		"allow": {Count: 1, Last: t0},
	}
	if got := tab.Hits(); !hitsEqual(got, want) {
		t.Errorf("Hits = %v, want %v", got, want)
	}
	if got := tab.DrainHits(); !hitsEqual(got, want) {
		t.Errorf("DrainHits = %v, want %v", got, want)
	}
	if got := tab.Hits(); len(got) != 0 {
		t.Errorf("Hits after drain = %v", got)
	}
	tab.Lookup(ban, "chat", t0)
	if got := tab.DrainHits(); !hitsEqual(got, map[string]HitStat{"ban": {Count: 1, Last: t0.Add(2 * time.Second)}}) {
		t.Errorf("DrainHits keeps Last: %v", got)
	}
}

func hitsEqual(a, b map[string]HitStat) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w.Count != v.Count || !w.Last.Equal(v.Last) {
			return false
		}
	}
	return true
}

func TestHolderConcurrent(t *testing.T) {
	var h Holder
	if h.Load() != nil {
		t.Fatal("zero Holder not empty")
	}
	addr := netip.MustParseAddr("203.0.113.1")
	if _, banned := h.Load().Lookup(addr, "chat", t0); banned {
		t.Fatal("empty holder bans")
	}
	mk := func(i int) *Table {
		return mustTable(t, []Entry{{ID: fmt.Sprint("ban", i), Range: MustParseRange("203.0.113.0/24")}})
	}
	h.Store(mk(0))

	const readers, swaps = 8, 200
	var wg sync.WaitGroup
	var drained int64
	stop := make(chan struct{})
	// Every reader makes one lookup before the swaps begin, so the hits
	// asserted below do not depend on the scheduler running a reader
	// before the 200 swaps are over (on two cores it often did not).
	var ready sync.WaitGroup
	ready.Add(readers)
	for range readers {
		wg.Go(func() {
			first := true
			for {
				if _, banned := h.Load().Lookup(addr, "chat", t0); !banned {
					t.Error("lookup during swap not banned")
					if first {
						ready.Done()
					}
					return
				}
				if first {
					ready.Done()
					first = false
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		})
	}
	ready.Wait()
	for i := 1; i <= swaps; i++ {
		old := h.Swap(mk(i))
		for _, st := range old.DrainHits() {
			drained += st.Count
		}
	}
	close(stop)
	wg.Wait()
	for _, st := range h.Load().DrainHits() {
		drained += st.Count
	}
	// The readers' first lookups all hit table 0 before the first swap
	// drained it; later hits may be lost to a drain that races a lookup.
	if drained < readers {
		t.Errorf("hits counted = %d, want at least %d (one per reader)", drained, readers)
	}
	if got := h.Load().Entries()[0].ID; got != fmt.Sprint("ban", swaps) {
		t.Errorf("last stored table = %s", got)
	}
}

// oracleLookup is the specification of Lookup as a linear scan.
func oracleLookup(entries []Entry, addr netip.Addr, channel string, now time.Time) (Entry, bool) {
	addr = addr.Unmap()
	best, bestBits := -1, -1
	for i := range entries {
		e := &entries[i]
		if !e.Range.Contains(addr) || !e.ActiveAt(now) || !e.AppliesTo(channel) {
			continue
		}
		bits := -1
		for _, p := range e.Range.Prefixes() {
			if p.Contains(addr) {
				bits = p.Bits()
			}
		}
		if bits > bestBits || (bits == bestBits && oraclePrecedes(e, &entries[best])) {
			best, bestBits = i, bits
		}
	}
	if best < 0 {
		return Entry{}, false
	}
	return entries[best], !entries[best].Allow
}

func oraclePrecedes(a, b *Entry) bool {
	if a.Allow != b.Allow {
		return !a.Allow
	}
	ua, ub := time.Unix(1<<40, 0), time.Unix(1<<40, 0)
	if a.Until != nil {
		ua = *a.Until
	}
	if b.Until != nil {
		ub = *b.Until
	}
	if c := ub.Compare(ua); c != 0 {
		return c < 0
	}
	return cmp.Less(a.ID, b.ID)
}

// TestLookupMatchesOracle compares Lookup with the linear specification on
// random, heavily nested entries in a small address space.
func TestLookupMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	channels := []string{"chat", "forum", "call"}
	randAddr := func(is4 bool) netip.Addr {
		if is4 {
			return netip.AddrFrom4([4]byte{198, 18, byte(rng.IntN(4)), byte(rng.IntN(256))})
		}
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(rng.IntN(4)), 15: byte(rng.IntN(256))})
	}
	for round := range 40 {
		var entries []Entry
		for i := range 1 + rng.IntN(60) {
			is4 := rng.IntN(2) == 0
			var r Range
			switch rng.IntN(3) {
			case 0:
				r = MustParseRange(randAddr(is4).String())
			case 1:
				a := randAddr(is4)
				bits := a.BitLen() - rng.IntN(11)
				p, _ := a.Prefix(bits)
				r, _ = PrefixRange(p)
			default:
				a, b := randAddr(is4), randAddr(is4)
				if b.Less(a) {
					a, b = b, a
				}
				r, _ = AddrRange(a, b)
			}
			e := Entry{ID: fmt.Sprintf("e%02d", i), Range: r, Allow: rng.IntN(3) == 0}
			if rng.IntN(3) == 0 {
				e.Channels = []string{channels[rng.IntN(len(channels))]}
			}
			if rng.IntN(3) == 0 {
				e.Until = at(time.Duration(rng.IntN(5)-2) * time.Hour)
			}
			entries = append(entries, e)
		}
		tab := mustTable(t, entries, WithNeverBlock(nil))
		for range 500 {
			addr := randAddr(rng.IntN(2) == 0)
			ch := channels[rng.IntN(len(channels))]
			now := t0.Add(time.Duration(rng.IntN(5)-2) * time.Hour)
			got, gotB := tab.Lookup(addr, ch, now)
			want, wantB := oracleLookup(entries, addr, ch, now)
			if got.ID != want.ID || gotB != wantB {
				t.Fatalf("round %d: Lookup(%s, %s, %v) = %q %v, oracle %q %v\nentries: %+v",
					round, addr, ch, now, got.ID, gotB, want.ID, wantB, summarize(entries))
			}
		}
	}
}

func summarize(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s %v allow=%v ch=%v until=%v", e.ID, e.Range, e.Allow, e.Channels, e.Until))
	}
	slices.Sort(out)
	return out
}

func TestIndexEdges(t *testing.T) {
	// Prefixes touching both ends of each address space and nested at a
	// shared start address.
	tab := mustTable(t, []Entry{
		{ID: "all4", Range: MustParseRange("0.0.0.0/0")},
		{ID: "first4", Range: MustParseRange("0.0.0.0")},
		{ID: "last4", Range: MustParseRange("255.255.255.255"), Allow: true},
		{ID: "all6", Range: MustParseRange("::/0")},
		{ID: "first6", Range: MustParseRange("::/1"), Allow: true},
		{ID: "last6", Range: MustParseRange("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")},
		{ID: "high6", Range: MustParseRange("8000::/1"), Allow: true},
	}, WithNeverBlock(nil))
	for addr, want := range map[string]string{
		"0.0.0.0": "first4", "0.0.0.1": "all4", "255.255.255.254": "all4", "255.255.255.255": "last4",
		"::": "first6", "7fff::": "first6", "8000::": "high6", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe": "high6",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": "last6",
	} {
		if e, _ := tab.Lookup(netip.MustParseAddr(addr), "chat", t0); e.ID != want {
			t.Errorf("Lookup(%s) = %q, want %q", addr, e.ID, want)
		}
	}
}
