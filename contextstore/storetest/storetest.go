package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// Run runs the conformance suite against the stores newStore makes. Each call
// of newStore must return a fresh, empty store; the factory registers its own
// cleanup with t.Cleanup. Subtests are grouped by area (Conversations,
// Activity, Blocks, Audit, Queue, Accounts, ...) and never run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Helper()
	t.Run("Ping", func(t *testing.T) {
		if err := newStore(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping on a healthy store: %v", err)
		}
	})
	t.Run("Conversations", func(t *testing.T) { testConversations(t, newStore) })
	t.Run("ConversationConcurrency", func(t *testing.T) { testConversationConcurrency(t, newStore) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore) })
	t.Run("Activity", func(t *testing.T) { testActivity(t, newStore) })
	t.Run("Blocks", func(t *testing.T) { testBlocks(t, newStore) })
	t.Run("BlockQueries", func(t *testing.T) { testBlockQueries(t, newStore) })
	t.Run("BansVersion", func(t *testing.T) { testBansVersion(t, newStore) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, newStore) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, newStore) })
	t.Run("Queue", func(t *testing.T) { testQueue(t, newStore) })
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, newStore) })
	t.Run("Strikes", func(t *testing.T) { testStrikes(t, newStore) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, newStore) })
}

// t0 is the suite's reference time; tests never read the clock.
var t0 = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)

// tp returns a pointer to a copy of tm.
func tp(tm time.Time) *time.Time { return &tm }

// wantErr fails unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one wrapping %q", what, err, target)
	}
}

// noErr fails if err is not nil.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// ids returns the IDs of records, in order.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func convID(c *contextstore.Conversation) string { return c.ID }
func blockID(b *contextstore.Block) string       { return b.ID }
func auditID(e *contextstore.AuditEvent) string  { return e.ID }
func queueID(e contextstore.QueueEntry) string   { return e.ConversationID }

// sameIDs fails unless got lists exactly want, in order.
func sameIDs(t *testing.T, what string, want, got []string) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("%s: got %q, want %q", what, got, want)
		}
	}
}
