package ipban

import "sync/atomic"

// Holder publishes the current Table to the hot path. Readers call Load and
// never block; the refresher builds a new Table and calls Store (or Swap, to
// drain the old table's hits). The zero Holder is ready to use and holds no
// table (Load returns nil, which Lookup treats as empty). A Holder must not
// be copied after first use.
type Holder struct {
	p atomic.Pointer[Table]
}

// NewHolder returns a Holder holding t.
func NewHolder(t *Table) *Holder {
	h := &Holder{}
	h.p.Store(t)
	return h
}

// Load returns the current table, or nil if none was stored. It is a single
// atomic load.
func (h *Holder) Load() *Table { return h.p.Load() }

// Store publishes t; lookups that already loaded the previous table finish
// on it.
func (h *Holder) Store(t *Table) { h.p.Store(t) }

// Swap publishes t and returns the previous table (nil if none), so its hit
// counts can be drained.
func (h *Holder) Swap(t *Table) *Table { return h.p.Swap(t) }
