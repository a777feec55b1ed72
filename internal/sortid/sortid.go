// Package sortid makes ids that sort by creation time, for records that
// are listed oldest first (blocks, staff accounts) and paged with an
// "after" cursor.
package sortid

import (
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
	"time"
)

// Generator makes ids: 16 hex digits of a strictly increasing UnixNano
// (the clock, bumped by 1 ns when it did not move, so ids of one
// Generator never tie) and 8 hex digits from crypto/rand, which keep the
// ids of different instances apart. The zero value is ready; it is safe
// for concurrent use.
type Generator struct {
	last atomic.Int64 // UnixNano of the last id
}

// New returns the id of a record created at now.
func (g *Generator) New(now time.Time) string {
	var n int64
	for {
		old := g.last.Load()
		n = max(now.UnixNano(), old+1)
		if g.last.CompareAndSwap(old, n) {
			break
		}
	}
	var buf [12]byte
	for i := range 8 {
		buf[i] = byte(uint64(n) >> (56 - 8*i))
	}
	_, _ = rand.Read(buf[8:]) // never fails since Go 1.24
	return hex.EncodeToString(buf[:])
}
