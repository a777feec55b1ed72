// Package memory is an in-memory contextstore.Store, for tests and
// `chatflow run`. Nothing survives the process.
//
// It passes the conformance suite in contextstore/storetest, and the durable
// backends (bolt, redis) compare themselves against it, so its observable
// behaviour is the reference: compare-and-swap on Version, ordering by id,
// sentinel errors from package contextstore, audit ids assigned from a
// per-append sequence (20 digits, zero-padded).
//
// # Copies
//
// The store never shares memory with its callers: every write stores a deep
// copy and every read returns one, so a caller may mutate what it put or got
// (maps, slices, pointed-to times) without affecting the store. Stored
// records are immutable; a write replaces the record, so readers copy
// outside the lock. The copies are explicit (no JSON round trip): loading
// and saving a typical conversation costs a handful of allocations (see
// BenchmarkConversationGetPut).
//
// # Conversation variables
//
// Conversation.Vars is stored the way a JSON backend stores it, so that a
// flow tested against this store behaves the same against bolt or Redis:
//
//   - string, float64, bool, nil, time.Time, *time.Time, []any and
//     map[string]any (nested to any depth) are kept with their type; times
//     lose their monotonic clock reading, as JSON drops it.
//   - Other numbers (int, int64, uint8, float32, json.Number, ...) are stored
//     as float64; a nil *time.Time, []any or map[string]any as nil.
//   - Any other value (a []string, a map[string]int, a struct) is stored as
//     encoding/json decodes its encoding: []any, map[string]any, float64, ...
//   - A value JSON cannot encode (NaN, ±Inf, a channel, a func) makes the
//     write fail with an error naming the variable, and nothing is stored.
//
// # Other behaviour
//
// A cancelled context makes an operation fail with the context's error;
// after Close every operation fails with an error wrapping
// contextstore.ErrUnavailable. Lists are nil when nothing matches. The
// queue operations are linear in the queue's length, lists in the number of
// records after the After cursor: fine for tests and a terminal session,
// not meant for production load.
package memory
