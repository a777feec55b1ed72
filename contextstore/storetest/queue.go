package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

func entry(queue, conv string, sec int) contextstore.QueueEntry {
	return contextstore.QueueEntry{ConversationID: conv, Queue: queue, EnqueuedAt: t0.Add(time.Duration(sec) * time.Second)}
}

func mustEnqueue(t *testing.T, s contextstore.Store, e contextstore.QueueEntry) {
	t.Helper()
	noErr(t, fmt.Sprintf("Enqueue %s in %s", e.ConversationID, e.Queue), s.Enqueue(t.Context(), e))
}

func mustDequeue(t *testing.T, s contextstore.Store, queue string) contextstore.QueueEntry {
	t.Helper()
	e, err := s.Dequeue(t.Context(), queue)
	noErr(t, "Dequeue from "+queue, err)
	return e
}

func mustListQueue(t *testing.T, s contextstore.Store, queue string) []contextstore.QueueEntry {
	t.Helper()
	out, err := s.ListQueue(t.Context(), queue)
	noErr(t, "ListQueue "+queue, err)
	return out
}

func testQueue(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Run("FIFO", func(t *testing.T) {
		s := newStore(t)
		want := []contextstore.QueueEntry{entry("support", "c3", 0), entry("support", "c1", 1), entry("support", "c2", 2)}
		for _, e := range want {
			mustEnqueue(t, s, e)
		}
		requireEqual(t, "queue", want, mustListQueue(t, s, "support"))
		for i, w := range want {
			requireEqual(t, fmt.Sprintf("dequeued entry %d", i), w, mustDequeue(t, s, "support"))
		}
		_, err := s.Dequeue(t.Context(), "support")
		wantErr(t, "Dequeue from a drained queue", err, contextstore.ErrNotFound)
		if l := mustListQueue(t, s, "support"); len(l) != 0 {
			t.Fatalf("drained queue lists %q", ids(l, queueID))
		}
	})

	t.Run("EnqueueTwiceKeepsPlace", func(t *testing.T) {
		s := newStore(t)
		mustEnqueue(t, s, entry("support", "c1", 0))
		mustEnqueue(t, s, entry("support", "c2", 1))
		mustEnqueue(t, s, entry("support", "c1", 5)) // a retry
		want := []contextstore.QueueEntry{entry("support", "c1", 0), entry("support", "c2", 1)}
		requireEqual(t, "queue after enqueueing c1 twice", want, mustListQueue(t, s, "support"))
		requireEqual(t, "first dequeued", want[0], mustDequeue(t, s, "support"))
	})

	t.Run("DequeueEmptyIsNotFound", func(t *testing.T) {
		s := newStore(t)
		e, err := s.Dequeue(t.Context(), "never-used")
		wantErr(t, "Dequeue from an unknown queue", err, contextstore.ErrNotFound)
		if e != (contextstore.QueueEntry{}) {
			t.Fatalf("Dequeue from an empty queue returned %+v with its error", e)
		}
		if l := mustListQueue(t, s, "never-used"); len(l) != 0 {
			t.Fatalf("unknown queue lists %q", ids(l, queueID))
		}
	})

	t.Run("Remove", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for i, c := range []string{"c1", "c2", "c3"} {
			mustEnqueue(t, s, entry("support", c, i))
		}
		noErr(t, "RemoveFromQueue c2", s.RemoveFromQueue(ctx, "support", "c2"))
		requireEqual(t, "queue after removing c2", []contextstore.QueueEntry{entry("support", "c1", 0), entry("support", "c3", 2)}, mustListQueue(t, s, "support"))
		noErr(t, "RemoveFromQueue of an absent conversation", s.RemoveFromQueue(ctx, "support", "c2"))
		noErr(t, "RemoveFromQueue from an unknown queue", s.RemoveFromQueue(ctx, "nope", "c1"))

		// A removed conversation that comes back goes to the end.
		noErr(t, "RemoveFromQueue c1", s.RemoveFromQueue(ctx, "support", "c1"))
		mustEnqueue(t, s, entry("support", "c1", 9))
		requireEqual(t, "queue after c1 re-entered", []contextstore.QueueEntry{entry("support", "c3", 2), entry("support", "c1", 9)}, mustListQueue(t, s, "support"))
		// So does a dequeued one.
		requireEqual(t, "dequeued", entry("support", "c3", 2), mustDequeue(t, s, "support"))
		mustEnqueue(t, s, entry("support", "c3", 10))
		sameIDs(t, "queue after c3 re-entered", []string{"c1", "c3"}, ids(mustListQueue(t, s, "support"), queueID))
	})

	t.Run("QueuesAreIndependent", func(t *testing.T) {
		s := newStore(t)
		mustEnqueue(t, s, entry("support", "c1", 0))
		mustEnqueue(t, s, entry("billing", "c2", 1))
		mustEnqueue(t, s, entry("billing", "c1", 2))
		mustEnqueue(t, s, entry("support", "c3", 3))
		requireEqual(t, "dequeued from support", entry("support", "c1", 0), mustDequeue(t, s, "support"))
		requireEqual(t, "billing", []contextstore.QueueEntry{entry("billing", "c2", 1), entry("billing", "c1", 2)}, mustListQueue(t, s, "billing"))
		noErr(t, "RemoveFromQueue", s.RemoveFromQueue(t.Context(), "billing", "c2"))
		requireEqual(t, "support", []contextstore.QueueEntry{entry("support", "c3", 3)}, mustListQueue(t, s, "support"))
		requireEqual(t, "billing", []contextstore.QueueEntry{entry("billing", "c1", 2)}, mustListQueue(t, s, "billing"))
	})

	t.Run("ConcurrentDequeueHandsOutEachOnce", func(t *testing.T) {
		s := newStore(t)
		const n, takers = 40, 8
		for i := range n {
			mustEnqueue(t, s, entry("support", fmt.Sprintf("c%02d", i), i))
		}
		var mu sync.Mutex
		var got []string
		var wg sync.WaitGroup
		for range takers {
			wg.Go(func() {
				for {
					e, err := s.Dequeue(t.Context(), "support")
					if errors.Is(err, contextstore.ErrNotFound) {
						return
					}
					if err != nil {
						t.Errorf("Dequeue: %v", err)
						return
					}
					mu.Lock()
					got = append(got, e.ConversationID)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(got)
		want := make([]string, n)
		for i := range n {
			want[i] = fmt.Sprintf("c%02d", i)
		}
		sameIDs(t, "dequeued conversations", want, got)
	})
}
