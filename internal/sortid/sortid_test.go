package sortid

import (
	"sort"
	"sync"
	"testing"
	"time"
)

// TestNewSortsAndNeverTies: ids made at one instant, from several
// goroutines, and at later instants are distinct and sort in the order
// they were made at (per goroutine and across instants).
func TestNewSortsAndNeverTies(t *testing.T) {
	var g Generator
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			prev := ""
			for range 500 {
				id := g.New(at)
				if id <= prev {
					t.Errorf("id %s after %s does not sort after it", id, prev)
				}
				prev = id
				mu.Lock()
				if seen[id] {
					t.Errorf("id %s made twice", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	later := g.New(at.Add(time.Hour))
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if later <= ids[len(ids)-1] || len(later) != 24 {
		t.Errorf("an id of a later instant %q does not sort after %q", later, ids[len(ids)-1])
	}
}
