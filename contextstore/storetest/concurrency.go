package storetest

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatflow/chatflow/contextstore"
)

const (
	// workers × increments read-modify-writes of one conversation: enough
	// contention to lose updates in a store without compare-and-swap, fast
	// enough under -race on two cores.
	workers    = 16
	increments = 20
	// maxAttempts bounds the retries of one worker so that a broken store
	// fails the test instead of hanging it.
	maxAttempts = 20000
)

func testConversationConcurrency(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Run("NoLostUpdates", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		mustPutConversation(t, s, &contextstore.Conversation{ID: "hot", Vars: map[string]any{"n": 0.0}})

		var conflicts atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range workers {
			wg.Go(func() {
				<-start
				mine := fmt.Sprintf("w%02d", w)
				done := 0
				for attempt := 0; done < increments; attempt++ {
					if attempt == maxAttempts {
						t.Errorf("worker %d: no progress after %d attempts", w, attempt)
						return
					}
					c, err := s.GetConversation(ctx, "hot")
					if err != nil {
						t.Errorf("worker %d: GetConversation: %v", w, err)
						return
					}
					n, ok := c.Vars["n"].(float64)
					if !ok {
						t.Errorf("worker %d: Vars[n] = %#v, want a float64", w, c.Vars["n"])
						return
					}
					own, _ := c.Vars[mine].(float64)
					c.Vars["n"] = n + 1
					c.Vars[mine] = own + 1
					runtime.Gosched() // the turn's work, between load and save
					err = s.PutConversation(ctx, c)
					if errors.Is(err, contextstore.ErrVersionConflict) {
						conflicts.Add(1)
						continue
					}
					if err != nil {
						t.Errorf("worker %d: PutConversation: %v", w, err)
						return
					}
					done++
				}
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		c := mustGetConversation(t, s, "hot")
		if got, want := c.Vars["n"], float64(workers*increments); got != want {
			t.Errorf("counter = %v, want %v: updates were lost", got, want)
		}
		for w := range workers {
			key := fmt.Sprintf("w%02d", w)
			if got := c.Vars[key]; got != float64(increments) {
				t.Errorf("Vars[%s] = %v, want %d: a write dropped another worker's key", key, got, increments)
			}
		}
		if want := int64(1 + workers*increments); c.Version != want {
			t.Errorf("Version = %d, want %d (one per successful put)", c.Version, want)
		}
		t.Logf("%d version conflicts retried", conflicts.Load())
	})

	t.Run("ConcurrentCreateHasOneWinner", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		var winners atomic.Int64
		winner := make([]bool, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range workers {
			wg.Go(func() {
				<-start
				c := &contextstore.Conversation{ID: "new", Vars: map[string]any{"by": float64(w)}}
				err := s.PutConversation(ctx, c)
				switch {
				case err == nil:
					winners.Add(1)
					winner[w] = true
				case !errors.Is(err, contextstore.ErrVersionConflict):
					t.Errorf("worker %d: PutConversation: %v, want nil or ErrVersionConflict", w, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := winners.Load(); n != 1 {
			t.Fatalf("%d concurrent creates succeeded, want exactly 1", n)
		}
		c := mustGetConversation(t, s, "new")
		by, _ := c.Vars["by"].(float64)
		if c.Version != 1 || !winner[int(by)] {
			t.Fatalf("stored Version %d by worker %v, want Version 1 by the winner", c.Version, c.Vars["by"])
		}
	})

	t.Run("ActivityNoLostUpdates", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		noErr(t, "PutActivity", s.PutActivity(ctx, &contextstore.ChatActivityData{UserID: "u1"}))
		const n = 8
		var wg sync.WaitGroup
		for w := range n {
			wg.Go(func() {
				for done, attempt := 0, 0; done < increments; attempt++ {
					if attempt == maxAttempts {
						t.Errorf("worker %d: no progress after %d attempts", w, attempt)
						return
					}
					d, err := s.GetActivity(ctx, "u1")
					if err != nil {
						t.Errorf("worker %d: GetActivity: %v", w, err)
						return
					}
					d.LiveChatBlockedReason = fmt.Sprintf("w%d", w)
					runtime.Gosched()
					err = s.PutActivity(ctx, d)
					if errors.Is(err, contextstore.ErrVersionConflict) {
						continue
					}
					if err != nil {
						t.Errorf("worker %d: PutActivity: %v", w, err)
						return
					}
					done++
				}
			})
		}
		wg.Wait()
		d, err := s.GetActivity(ctx, "u1")
		noErr(t, "GetActivity", err)
		if want := int64(1 + n*increments); d.Version != want {
			t.Fatalf("Version = %d, want %d: updates were lost", d.Version, want)
		}
	})
}
