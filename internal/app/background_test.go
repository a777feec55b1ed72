package app_test

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/bolt"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
)

// manualTicks drives Background's loops from the test: each loop gets an
// unbuffered channel of its own, which ticks only when the test says so.
type manualTicks struct {
	mu    sync.Mutex
	loops map[string]chan time.Time
}

func (m *manualTicks) ch(loop string) chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loops == nil {
		m.loops = map[string]chan time.Time{}
	}
	if m.loops[loop] == nil {
		m.loops[loop] = make(chan time.Time)
	}
	return m.loops[loop]
}

// newTicker is BackgroundOptions.NewTicker.
func (m *manualTicks) newTicker(loop string, _ time.Duration) (<-chan time.Time, func()) {
	return m.ch(loop), func() {}
}

// round makes loop run one round and returns once that round has finished:
// the channel is unbuffered, so the second send is received only when the
// loop is back from its first round. (The second tick starts a repeat of
// the round, which finds nothing left to do as long as the test does not
// change the clock or the store meanwhile in a way that matters to it.)
func (m *manualTicks) round(t *testing.T, loop string) {
	t.Helper()
	c := m.ch(loop)
	for range 2 {
		select {
		case c <- time.Time{}:
		case <-time.After(10 * time.Second):
			t.Fatalf("the %s loop did not take a tick within 10s", loop)
		}
	}
}

// runBackground starts a.Background and returns a function that stops it
// and waits until it returned (it is also called at cleanup).
func runBackground(t *testing.T, a *app.App, o app.BackgroundOptions) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- a.Background(ctx, o) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Background returned %v, want nil once its context is done", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Background did not return within 10s of its context being done")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestBackgroundBolt runs Background on the embedded store: the sweep
// deletes expired conversations, the maintenance flushes ban hit counts
// (and flushes them once more on shutdown) and purges a ban's personal
// data once retention has passed, all driven by the fake clock and manual
// ticks.
func TestBackgroundBolt(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	store, err := bolt.Open(filepath.Join(t.TempDir(), "chatflow.db"), bolt.Options{Clock: clk.Now, ConversationTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	a, err := app.New(ctx, app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ticks := &manualTicks{}
	stop := runBackground(t, a, app.BackgroundOptions{NewTicker: ticks.newTicker})

	say := func(conv, key string) {
		t.Helper()
		if _, err := a.Executor.Handle(ctx, flows.Event{Type: flows.EventMessage, ConversationID: conv, Key: key, Text: "hello", VisitorIP: "198.51.100.20"}); err != nil {
			t.Fatalf("message to %s: %v", conv, err)
		}
	}

	t.Run("sweep", func(t *testing.T) {
		say("old", "k1") // updated at t0: expires at t0+1h
		clk.Advance(45 * time.Minute)
		say("recent", "k2")           // expires at t0+1h45m
		clk.Advance(45 * time.Minute) // t0+90m: "old" expired, "recent" not
		ticks.round(t, app.LoopSweep)
		clk.Set(t0.Add(10 * time.Minute)) // both would be live again, had they been kept
		if _, err := store.GetConversation(ctx, "old"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Errorf("expired conversation after the sweep: err = %v, want ErrNotFound (it was not deleted)", err)
		}
		if _, err := store.GetConversation(ctx, "recent"); err != nil {
			t.Errorf("live conversation after the sweep: %v", err)
		}
	})

	clk.Set(t0)
	ip := netip.MustParseAddr("203.0.113.7")
	ban, err := a.Blocking.Create(ctx, blocking.NewBlock{
		IP: ip.String(), Period: blocking.Period{Minutes: 60},
		ReasonCategory: blocking.CategorySpam, Actor: "admin@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		d, err := a.Blocking.Check(ctx, blocking.Subject{IP: ip, Channel: blocking.ChannelLiveChat})
		if err != nil || !d.Blocked {
			t.Fatalf("Check(%s) = %+v, %v; want blocked", ip, d, err)
		}
	}
	get := func() *blocking.View {
		t.Helper()
		v, err := a.Blocking.Get(ctx, ban.ID)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("hit counts", func(t *testing.T) {
		check()
		ticks.round(t, app.LoopMaintenance)
		if v := get(); v.Block.HitCount != 1 || v.Block.LastHitAt == nil || !v.Block.LastHitAt.Equal(t0) {
			t.Errorf("after a maintenance round: HitCount %d, LastHitAt %v; want 1 at %s", v.Block.HitCount, v.Block.LastHitAt, t0)
		}
	})

	t.Run("purge after retention", func(t *testing.T) {
		end := t0.Add(time.Hour)
		clk.Set(end.Add(a.Blocking.Retention() - time.Minute))
		ticks.round(t, app.LoopMaintenance)
		if v := get(); v.Block.Purged || v.IP != ip.String() {
			t.Fatalf("a minute before retention passed: Purged %v, IP %q; want kept", v.Block.Purged, v.IP)
		}
		clk.Set(end.Add(a.Blocking.Retention()))
		ticks.round(t, app.LoopMaintenance)
		v := get()
		if !v.Block.Purged || v.IP != "" || v.Block.IPHash != "" {
			t.Errorf("once retention passed: Purged %v, IP %q, IPHash %q; want purged", v.Block.Purged, v.IP, v.Block.IPHash)
		}
		if v.Block.HitCount != 1 {
			t.Errorf("purge lost the hit count: %d, want 1", v.Block.HitCount)
		}
	})

	t.Run("final flush on shutdown", func(t *testing.T) {
		clk.Set(t0.Add(30 * time.Minute))
		ban2, err := a.Blocking.Create(ctx, blocking.NewBlock{
			Range: "198.51.100.0/24", Period: blocking.Period{Minutes: 60},
			ReasonCategory: blocking.CategorySpam, Actor: "admin@example.com",
		})
		if err != nil {
			t.Fatal(err)
		}
		d, err := a.Blocking.Check(ctx, blocking.Subject{IP: netip.MustParseAddr("198.51.100.9"), Channel: blocking.ChannelLiveChat})
		if err != nil || !d.Blocked {
			t.Fatalf("Check = %+v, %v; want blocked", d, err)
		}
		stop() // no tick: only the flush on shutdown can store the hit
		v, err := a.Blocking.Get(ctx, ban2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Block.HitCount != 1 {
			t.Errorf("after Background stopped: HitCount %d, want 1", v.Block.HitCount)
		}
	})
}

// TestBackgroundOptions checks that invalid intervals are refused at once,
// naming their configuration keys, and that the config maps onto them.
func TestBackgroundOptions(t *testing.T) {
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Background(t.Context(), app.BackgroundOptions{MaintenanceInterval: -time.Second, SweepInterval: -time.Minute})
	want := "maintenance_interval: -1s is negative\nsweep_interval: -1m0s is negative"
	if err == nil || err.Error() != want {
		t.Errorf("Background with negative intervals: %v, want %q", err, want)
	}
	cfg := app.Config{MaintenanceInterval: app.Duration(2 * time.Minute), SweepInterval: app.Duration(time.Hour)}
	if o := cfg.BackgroundOptions(); o.MaintenanceInterval != 2*time.Minute || o.SweepInterval != time.Hour {
		t.Errorf("Config.BackgroundOptions() = %+v", o)
	}
}
