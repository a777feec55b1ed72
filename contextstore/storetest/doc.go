// Package storetest is the conformance suite of contextstore.Store: every
// backend (memory, the embedded bbolt store, Redis) runs the same tests, so
// that they behave identically and a flow tested on the memory store behaves
// the same in production.
//
// A backend's test calls Run with a factory that returns a fresh, empty store
// and registers its own cleanup:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) contextstore.Store {
//			s := memory.New()
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The subtests run one after another (never in parallel), so a factory may
// give each store its own key prefix or database on one shared server.
//
// # What the suite decides
//
// Where the interface comments leave room, the suite pins one behaviour,
// the one the backends already share:
//
//   - Times are compared with time.Equal: a backend may return another
//     *time.Location (JSON decoding gives UTC or a fixed zone), but must keep
//     nanoseconds, because RFC 3339 JSON does.
//   - Nil and empty slices and maps are equal (JSON's omitempty cannot keep
//     the difference); a nil pointer is not equal to a set one.
//   - Conversation.Vars holds the JSON value model plus times: string,
//     float64, bool, nil, []any, map[string]any, time.Time and *time.Time come
//     back with the same dynamic type. Other numbers (int, int64, float32, ...)
//     come back as float64 and typed slices and maps as []any and
//     map[string]any, exactly as JSON decodes them; a nil *time.Time comes
//     back as nil. A value JSON cannot encode (NaN, ±Inf, a channel, a func)
//     makes the write fail, and nothing is stored.
//   - A record with an empty key (conversation ID, activity UserID, block ID)
//     is rejected.
//   - Audit events with the same caller-chosen ID are all kept, in append
//     order; store-assigned IDs increase in append order.
//   - Lists with no match may be nil or empty; Dequeue is atomic (no entry
//     is handed out twice under concurrency).
//
// Tests that depend on a backend's own options (TTLs, durability across
// restarts, closing) belong to that backend's package, not here.
package storetest
