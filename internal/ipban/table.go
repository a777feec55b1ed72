package ipban

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"
)

// Entry is one ban (or allow) rule of a Table.
type Entry struct {
	// ID identifies the entry, typically the store's ban id; it is required
	// and unique within a table, and keys Hits.
	ID string
	// Range is the banned (or allowed) addresses; required.
	Range Range
	// Allow makes the entry an exception: an address whose most specific
	// applicable entry is an Allow entry is not banned.
	Allow bool
	// Channels limits the entry to these channels ("chat", "contact_form",
	// ...); empty means every channel.
	Channels []string
	// Until is when the entry stops applying (exclusive: it applies while
	// now < *Until); nil means permanent.
	Until *time.Time
}

// ActiveAt reports whether e applies at now: it is permanent or now is
// before Until.
func (e *Entry) ActiveAt(now time.Time) bool { return e.Until == nil || now.Before(*e.Until) }

// AppliesTo reports whether e covers channel: Channels is empty, or lists
// channel. The empty channel matches only entries for every channel.
func (e *Entry) AppliesTo(channel string) bool {
	if len(e.Channels) == 0 {
		return true
	}
	for _, c := range e.Channels {
		if c == channel {
			return true
		}
	}
	return false
}

// HitStat is the hit count of one entry, as returned by Table.Hits.
type HitStat struct {
	// Count is the number of lookups this entry decided.
	Count int64
	// Last is the now of the latest such lookup (UTC).
	Last time.Time
}

// Option configures NewTable.
type Option func(*options)

type options struct {
	neverBlock    []netip.Prefix
	neverBlockSet bool
}

// WithNeverBlock sets the networks that are never banned, whatever the
// entries say. The default, without this option, is DefaultNeverBlock();
// an empty or nil list turns the protection off. Prefixes inside
// ::ffff:0:0/96 are treated as IPv4; invalid prefixes are ignored.
func WithNeverBlock(prefixes []netip.Prefix) Option {
	return func(o *options) {
		o.neverBlock = slices.Clone(prefixes)
		o.neverBlockSet = true
	}
}

// Table is an immutable IP ban table: it is built once by NewTable and then
// only read, so any number of goroutines may call Lookup concurrently without
// locks. To change the bans, build a new Table and publish it with
// Holder.Store. The only state a Table mutates is its per-entry hit counters,
// which are atomics. A nil *Table is an empty table.
type Table struct {
	entries []Entry
	hits    []hitCounter
	v4, v6  index
	never   rangeSet
}

// hitCounter counts the lookups one entry decided.
type hitCounter struct {
	count atomic.Int64
	last  atomic.Int64 // UnixNano of the latest hit; 0 = none
}

func (c *hitCounter) record(now time.Time) {
	c.count.Add(1)
	n := now.UnixNano()
	for {
		old := c.last.Load()
		if n <= old || c.last.CompareAndSwap(old, n) {
			return
		}
	}
}

// NewTable builds a Table from entries. Each entry's Range is expanded to its
// minimal CIDR cover (Range.Prefixes), so a start–end range takes the
// specificity of the cover prefix that contains the address looked up.
// Entries are copied (Channels and Until included), so the caller may reuse
// them. Every entry needs a unique non-empty ID and a valid Range; all
// problems are reported at once, joined, each wrapping ErrInvalidEntry.
func NewTable(entries []Entry, opts ...Option) (*Table, error) {
	o := options{neverBlock: DefaultNeverBlock()}
	for _, opt := range opts {
		opt(&o)
	}

	var errs []error
	seen := make(map[string]int, len(entries))
	t := &Table{
		entries: make([]Entry, 0, len(entries)),
		never:   newRangeSet(o.neverBlock),
	}
	var v4, v6 []prefixEntry
	for i, e := range entries {
		switch j, dup := seen[e.ID]; {
		case e.ID == "":
			errs = append(errs, fmt.Errorf("entry %d: %w: %w", i, ErrInvalidEntry, ErrEmptyID))
			continue
		case dup:
			errs = append(errs, fmt.Errorf("entry %d (id %q): %w: %w of entry %d", i, e.ID, ErrInvalidEntry, ErrDuplicateID, j))
			continue
		case !e.Range.IsValid():
			errs = append(errs, fmt.Errorf("entry %d (id %q): %w: %w: zero Range", i, e.ID, ErrInvalidEntry, ErrInvalidRange))
			continue
		}
		seen[e.ID] = i
		e.Channels = slices.Clone(e.Channels)
		if e.Until != nil {
			u := *e.Until
			e.Until = &u
		}
		idx := int32(len(t.entries))
		t.entries = append(t.entries, e)
		from, to := keyOf(e.Range.From()), keyOf(e.Range.To())
		if e.Range.Is4() {
			v4 = appendCover(v4, from, to, 32, idx)
		} else {
			v6 = appendCover(v6, from, to, 128, idx)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	t.hits = make([]hitCounter, len(t.entries))
	t.v4 = buildIndex(v4, 32, t.precedes)
	t.v6 = buildIndex(v6, 128, t.precedes)
	return t, nil
}

// precedes orders entries with the same prefix: bans before allows (so at
// equal specificity a ban wins: to carve a hole, an allow must be more
// specific), then permanent before expiring, later Until first, then ID.
// The first of them that applies decides.
func (t *Table) precedes(a, b int32) int {
	ea, eb := &t.entries[a], &t.entries[b]
	if ea.Allow != eb.Allow {
		if eb.Allow {
			return -1
		}
		return 1
	}
	switch {
	case ea.Until == nil && eb.Until != nil:
		return -1
	case ea.Until != nil && eb.Until == nil:
		return 1
	case ea.Until != nil:
		if c := eb.Until.Compare(*ea.Until); c != 0 {
			return c
		}
	}
	return cmp.Compare(ea.ID, eb.ID)
}

// Lookup decides whether addr is banned on channel at now.
//
// addr is unmapped (::ffff:a.b.c.d is a.b.c.d) and its zone ignored. An
// address in a never-block network, or an invalid one, is not banned. Else
// the entries whose Range contains addr, that are active at now and apply to
// channel, are considered, and the most specific one decides: the one whose
// cover prefix containing addr is longest. If it is a ban, Lookup returns it
// and true; if it is an Allow entry, Lookup returns it and false; with no
// such entry it returns the zero Entry and false. At equal specificity a ban
// beats an allow; among bans, the one lasting longest (permanent first), then
// the smallest ID, is returned.
//
// The deciding entry's hit counter is incremented (an atomic add; no lock).
// The returned Entry shares Channels and Until with the table: do not modify
// them. Lookup does not allocate and never blocks.
func (t *Table) Lookup(addr netip.Addr, channel string, now time.Time) (Entry, bool) {
	if t == nil || !addr.IsValid() {
		return Entry{}, false
	}
	addr = addr.Unmap()
	k := keyOf(addr)
	is4 := addr.Is4()
	if t.never.contains(k, is4) {
		return Entry{}, false
	}
	ix := &t.v6
	if is4 {
		ix = &t.v4
	}
	for n := ix.find(k); n >= 0; n = ix.parent[n] {
		for _, ei := range ix.members[ix.off[n]:ix.off[n+1]] {
			e := &t.entries[ei]
			if !e.ActiveAt(now) || !e.AppliesTo(channel) {
				continue
			}
			t.hits[ei].record(now)
			return *e, !e.Allow
		}
	}
	return Entry{}, false
}

// NeverBlocked reports whether addr lies in one of the table's never-block
// networks (see WithNeverBlock); Lookup never bans such an address.
func (t *Table) NeverBlocked(addr netip.Addr) bool {
	if t == nil || !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	return t.never.contains(keyOf(addr), addr.Is4())
}

// Len returns the number of entries.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Entries returns a copy of the table's entries, in the order given to
// NewTable. Channels and Until are shared: do not modify them.
func (t *Table) Entries() []Entry {
	if t == nil {
		return nil
	}
	return slices.Clone(t.entries)
}

// Hits returns, per entry ID, the lookups each entry decided since the table
// was built (or since the last DrainHits); entries without hits are left
// out. It reads atomics and does not stop concurrent lookups, so the counts
// are a moment's snapshot.
func (t *Table) Hits() map[string]HitStat {
	return t.hitStats(false)
}

// DrainHits is Hits that also resets the counts to zero (Last is kept), so a
// periodic flush adds each hit to the store once. After Holder.Swap, drain
// the old table once more: lookups still running on it when it was drained
// may add a few hits that are then lost, which is acceptable for statistics.
func (t *Table) DrainHits() map[string]HitStat {
	return t.hitStats(true)
}

func (t *Table) hitStats(reset bool) map[string]HitStat {
	out := make(map[string]HitStat)
	if t == nil {
		return out
	}
	for i := range t.hits {
		c := &t.hits[i]
		var n int64
		if reset {
			n = c.count.Swap(0)
		} else {
			n = c.count.Load()
		}
		if n == 0 {
			continue
		}
		out[t.entries[i].ID] = HitStat{Count: n, Last: time.Unix(0, c.last.Load()).UTC()}
	}
	return out
}
