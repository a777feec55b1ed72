package blocking_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
)

func TestPurgeAfterRetention(t *testing.T) {
	e := newEnv(t) // default retention: 7 days
	ctx := t.Context()
	if e.svc.Retention() != 7*24*time.Hour {
		t.Fatalf("retention %s", e.svc.Retention())
	}
	ip := e.create(t, blocking.NewBlock{Kind: contextstore.KindIP, IP: "198.51.100.7", UserID: "u-1", ConversationID: "c-1", Period: blocking.Period{Minutes: 60}, Reason: "spam bot", Notes: "caught by Ann"})
	user, _, _ := e.svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{UserID: "u-2", AgentEmail: "ann@acme.test", Minutes: 600, Reason: "insults", ReasonCategory: "abusive_language"})
	perm := e.create(t, blocking.NewBlock{UserID: "u-3", Period: blocking.Period{Permanent: true}})
	rng := e.create(t, blocking.NewBlock{Range: "203.0.113.0/24", Period: blocking.Period{Minutes: 60}})
	e.clk.Advance(30 * time.Minute)
	if _, err := e.svc.Lift(ctx, user.ID, "boss@acme.test", "said sorry"); err != nil {
		t.Fatal(err)
	}
	// ip and rng end at t0+1h, user was lifted at t0+30m, perm never ends.

	purge := func() int {
		t.Helper()
		n, err := e.svc.Purge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	e.clk.Set(t0.Add(30*time.Minute + 7*24*time.Hour - time.Second))
	if n := purge(); n != 0 {
		t.Fatalf("purged %d a second before retention", n)
	}
	e.clk.Advance(time.Second)
	if n := purge(); n != 1 {
		t.Fatalf("purged %d at the lifted block's retention, want 1", n)
	}
	e.clk.Set(t0.Add(time.Hour + 7*24*time.Hour))
	if n := purge(); n != 2 {
		t.Fatalf("purged %d, want 2", n)
	}
	if n := purge(); n != 0 {
		t.Fatalf("purged %d again", n)
	}

	got, _ := e.store.GetBlock(ctx, ip.ID)
	raw, _ := json.Marshal(got)
	for _, personal := range []string{"u-1", "c-1", "spam bot", "Ann", "IPHash", "IPCipher"} {
		if strings.Contains(string(raw), personal) {
			t.Errorf("purged ip ban still holds %q: %s", personal, raw)
		}
	}
	if !got.Purged || got.Kind != contextstore.KindIP || got.ReasonCategory != "spam" || got.CreatedBy != "admin@acme.test" ||
		!got.CreatedAt.Equal(t0) || !got.Until.Equal(t0.Add(time.Hour)) {
		t.Fatalf("purged ip ban lost its statistics: %+v", got)
	}
	got, _ = e.store.GetBlock(ctx, user.ID)
	if !got.Purged || got.UserID != "" || got.Reason != "" || got.LiftNotes != "" ||
		got.LiftedBy != "boss@acme.test" || got.LiftedAt == nil || got.ReasonCategory != "abusive_language" || got.CreatedBy != "ann@acme.test" {
		t.Fatalf("purged user block %+v", got)
	}
	got, _ = e.store.GetBlock(ctx, rng.ID)
	if !got.Purged || got.Range != "203.0.113.0/24" {
		t.Fatalf("purged range %+v", got)
	}
	if got, _ := e.store.GetBlock(ctx, perm.ID); got.Purged || got.UserID != "u-3" {
		t.Fatalf("active permanent block purged: %+v", got)
	}
	// Still in the history, as statistics.
	hist, _ := e.svc.History(ctx, contextstore.BlockQuery{})
	if len(hist) != 3 || hist[0].IP != "" {
		t.Fatalf("history %+v", hist)
	}
	evs, _ := e.svc.Audit(ctx, contextstore.AuditQuery{Action: blocking.ActionPurge})
	if len(evs) != 3 || evs[0].Actor != blocking.ActorSystem || evs[0].Details["retention"] != "168h0m0s" {
		t.Fatalf("purge audit %+v", evs)
	}
	// A purged block is statistics: it cannot be renewed.
	if _, err := e.svc.Renew(ctx, ip.ID, blocking.Period{Minutes: 5}, "a", ""); errText(err) != "renewing block "+ip.ID+": block was purged" {
		t.Fatalf("renew of purged: %v", err)
	}
}

func TestPurgeCustomRetention(t *testing.T) {
	e := newEnv(t, func(o *blocking.Options) { o.Retention = time.Hour })
	b := e.create(t, blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 1}})
	e.clk.Advance(time.Minute + time.Hour)
	if n, err := e.svc.Purge(t.Context()); n != 1 || err != nil {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	if got, _ := e.store.GetBlock(t.Context(), b.ID); !got.Purged {
		t.Fatal("not purged")
	}
}

// TestRun drives the maintenance loop with a ticker the test controls.
func TestRun(t *testing.T) {
	ticks := make(chan time.Time)
	stopped := false
	e := newEnv(t, func(o *blocking.Options) {
		o.Retention = time.Hour
		o.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
			if d != time.Minute {
				t.Errorf("interval %s, want the default 1m", d)
			}
			return ticks, func() { stopped = true }
		}
	})
	ctx := t.Context()
	ban := e.create(t, blocking.NewBlock{Range: "198.51.100.0/24", Period: blocking.Period{Minutes: 60}})
	user := e.create(t, blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 1}})
	e.check(t, nil, ipSub("198.51.100.1"))

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- e.svc.Run(runCtx) }()
	e.clk.Advance(2 * time.Hour)
	ticks <- e.clk.Now()
	ticks <- e.clk.Now() // accepted only once the first round is over
	if got, _ := e.store.GetBlock(ctx, ban.ID); got.HitCount != 1 {
		t.Fatalf("hits not flushed: %d", got.HitCount)
	}
	if got, _ := e.store.GetBlock(ctx, user.ID); !got.Purged {
		t.Fatal("not purged")
	}
	// Hits counted after the last tick are flushed when Run stops.
	e.clk.Set(t0)
	e.check(t, nil, ipSub("198.51.100.1"))
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if !stopped {
		t.Error("ticker not stopped")
	}
	if got, _ := e.store.GetBlock(ctx, ban.ID); got.HitCount != 2 {
		t.Fatalf("final flush: %d hits", got.HitCount)
	}
}

func TestNewOptions(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		o    blocking.Options
		want string
	}{
		{"no sealer", blocking.Options{}, "blocking: a privacy sealer is required (visitor IPs are encrypted at rest)"},
		{"negative retention", blocking.Options{Sealer: e.sealer, Retention: -time.Hour}, "blocking: retention -1h0m0s is negative"},
		{"negative refresh", blocking.Options{Sealer: e.sealer, RefreshInterval: -1}, "blocking: refresh interval -1ns is negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := blocking.New(e.store, tc.o); errText(err) != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
	if _, err := blocking.New(nil, blocking.Options{Sealer: e.sealer}); errText(err) != "blocking: a store is required" {
		t.Fatalf("nil store: %v", err)
	}
}
