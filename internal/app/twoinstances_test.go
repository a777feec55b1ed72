package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/chatflow/chatflow/contextstore"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/redistest"
)

// These tests run two App instances, as two `chatflow serve` processes
// would, on one real Redis named by REDIS_ADDR (host:port; a
// comma-separated list is taken as Cluster seeds). .ci/run sets it; the
// tests are skipped only when it is unset. Each test uses a key prefix of
// its own and deletes its keys afterwards.

// twoInstances are two wired systems sharing one Redis and key prefix,
// each with a store, a clock and a logger of its own.
type twoInstances struct {
	A, B       *app.App
	clkA, clkB *clock.Fake
	storeA     *redisstore.Store
	storeB     *redisstore.Store
	prefix     string // the key prefix both share
}

// instanceOptions tune newTwoInstances.
type instanceOptions struct {
	// wrapB wraps B's store before B is built on it.
	wrapB func(*redisstore.Store) contextstore.Store
	// logLevel is the level logged to the test output (default warn).
	logLevel zapcore.Level
	// addrs are the Redis addresses; default redistest.Addrs (REDIS_ADDR).
	addrs []string
}

func newTwoInstances(t *testing.T, o instanceOptions) *twoInstances {
	t.Helper()
	ctx := t.Context()
	addrs := o.addrs
	if addrs == nil {
		addrs = redistest.Addrs(t)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	prefix := "chatflow-test:" + t.Name() + ":" + hex.EncodeToString(rnd[:]) + ":"
	if o.logLevel == 0 {
		o.logLevel = zap.WarnLevel
	}
	// The instances must share the key that encrypts visitor IPs, as
	// servers sharing a Redis share CHATFLOW_ENCRYPTION_KEY.
	key := privacy.NewKey()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := &twoInstances{clkA: clock.NewFake(t0), clkB: clock.NewFake(t0), prefix: prefix}
	build := func(name string, clk *clock.Fake, wrap func(*redisstore.Store) contextstore.Store) (*app.App, *redisstore.Store) {
		log := zaptest.NewLogger(t, zaptest.Level(o.logLevel)).Named(name)
		rs, err := redisstore.Connect(ctx, redisstore.Config{
			Addrs: addrs, KeyPrefix: prefix,
			Options: redisstore.Options{Logger: log, Clock: clk.Now},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rs.Close() })
		var store contextstore.Store = rs
		if wrap != nil {
			store = wrap(rs)
		}
		a, err := app.New(ctx, app.Options{
			Store: store, FlowPaths: []string{"../../examples/flows"},
			Clock: clk.Now, Logger: log, EncryptionKey: key,
		})
		if err != nil {
			t.Fatal(err)
		}
		return a, rs
	}
	p.A, p.storeA = build("A", p.clkA, nil)
	p.B, p.storeB = build("B", p.clkB, o.wrapB)
	// Runs before the stores close (cleanups run last in, first out).
	t.Cleanup(func() { redistest.DeleteKeys(t, p.storeA.Client(), prefix) })
	return p
}

// later moves both clocks on by a minute, as time passes between the steps
// of a scenario (so that a ban table refresh interval of up to a minute
// has passed on both instances).
func (p *twoInstances) later() {
	p.clkA.Advance(time.Minute)
	p.clkB.Advance(time.Minute)
}

// visitor is the sender of askForAgent's message.
type visitor struct {
	ip   string
	user *contextstore.ChatUser // nil: anonymous
}

// askForAgent sends "agent" to a conversation of inst, which makes the
// example live-chat flow call ConnectToHelpdeskAgent.
func askForAgent(t *testing.T, inst *app.App, conv, key string, v visitor) *contextstore.Conversation {
	t.Helper()
	res, err := inst.Executor.Handle(t.Context(), flows.Event{
		Type: flows.EventMessage, ConversationID: conv, Key: key, Text: "agent",
		VisitorIP: v.ip, User: v.user,
	})
	if err != nil {
		t.Fatalf("conversation %s: %v", conv, err)
	}
	return res.Conversation
}

// wantRefused checks that ConnectToHelpdeskAgent refused the conversation.
func wantRefused(t *testing.T, inst *app.App, c *contextstore.Conversation) {
	t.Helper()
	if r, ok := c.Vars["InternalActionResult"].(bool); !ok || r {
		t.Errorf("conversation %s: @InternalActionResult = %v, want false", c.ID, c.Vars["InternalActionResult"])
	}
	if !c.Helpdesk.IsBlockedForLiveChat || c.Helpdesk.InQueue {
		t.Errorf("conversation %s: IsBlockedForLiveChat %v, InQueue %v; want blocked, not queued", c.ID, c.Helpdesk.IsBlockedForLiveChat, c.Helpdesk.InQueue)
	}
	if slices.Contains(waitingIn(t, inst), c.ID) {
		t.Errorf("conversation %s is in the support queue, but it was refused", c.ID)
	}
}

// wantQueued checks that ConnectToHelpdeskAgent queued the conversation.
func wantQueued(t *testing.T, inst *app.App, c *contextstore.Conversation) {
	t.Helper()
	if r, ok := c.Vars["InternalActionResult"].(bool); !ok || !r {
		t.Errorf("conversation %s: @InternalActionResult = %v, want true", c.ID, c.Vars["InternalActionResult"])
	}
	if c.Helpdesk.IsBlockedForLiveChat || !c.Helpdesk.InQueue {
		t.Errorf("conversation %s: IsBlockedForLiveChat %v, InQueue %v; want queued", c.ID, c.Helpdesk.IsBlockedForLiveChat, c.Helpdesk.InQueue)
	}
	if !slices.Contains(waitingIn(t, inst), c.ID) {
		t.Errorf("conversation %s is not in the support queue", c.ID)
	}
}

func waitingIn(t *testing.T, inst *app.App) []string {
	t.Helper()
	entries, err := inst.Queue.Waiting(t.Context(), "support")
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ConversationID
	}
	return ids
}

// TestTwoInstancesBans: an admin's IP range ban, an allow hole in it, an IP
// ban inside the hole and the lifting of the range, all made on instance A,
// decide ConnectToHelpdeskAgent on instance B.
func TestTwoInstancesBans(t *testing.T) {
	p := newTwoInstances(t, instanceOptions{})
	ctx := t.Context()
	const admin = "admin@example.com"

	rangeBan, err := p.A.Blocking.Create(ctx, blocking.NewBlock{
		Range: "203.0.113.0/24", Period: blocking.Period{Minutes: blocking.MinutesPerDay},
		ReasonCategory: blocking.CategorySpam, Notes: "bot network", Actor: admin,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.later()
	wantRefused(t, p.B, askForAgent(t, p.B, "b-banned", "k1", visitor{ip: "203.0.113.77"}))
	wantQueued(t, p.B, askForAgent(t, p.B, "b-outside", "k1", visitor{ip: "198.51.100.77"}))

	if _, err := p.A.Blocking.Create(ctx, blocking.NewBlock{
		Range: "203.0.113.0/28", Allow: true, Period: blocking.Period{Permanent: true}, Actor: admin,
	}); err != nil {
		t.Fatal(err)
	}
	p.later()
	wantQueued(t, p.B, askForAgent(t, p.B, "b-hole", "k1", visitor{ip: "203.0.113.5"}))
	wantRefused(t, p.B, askForAgent(t, p.B, "b-banned-2", "k1", visitor{ip: "203.0.113.200"}))

	// An IP ban is stored encrypted: B reads it with the shared key.
	if _, err := p.A.Blocking.Create(ctx, blocking.NewBlock{
		IP: "203.0.113.9", Period: blocking.Period{Minutes: blocking.MinutesPerHour},
		ReasonCategory: blocking.CategoryHarassment, Actor: admin,
	}); err != nil {
		t.Fatal(err)
	}
	p.later()
	wantRefused(t, p.B, askForAgent(t, p.B, "b-ip-in-hole", "k1", visitor{ip: "203.0.113.9"}))

	if _, err := p.A.Blocking.Lift(ctx, rangeBan.ID, admin, "false positive"); err != nil {
		t.Fatal(err)
	}
	p.later()
	wantQueued(t, p.B, askForAgent(t, p.B, "b-lifted", "k1", visitor{ip: "203.0.113.200"}))
	// The conversation refused before asks again after the lift.
	wantQueued(t, p.B, askForAgent(t, p.B, "b-banned", "k2", visitor{ip: "203.0.113.77"}))
}

// TestTwoInstancesUserBlock: an authenticated user blocked by the
// agent-disconnected flow on instance A is refused in a new conversation
// on instance B, and queued there again once an admin on A unblocked them.
func TestTwoInstancesUserBlock(t *testing.T) {
	p := newTwoInstances(t, instanceOptions{})
	ctx := t.Context()
	user := &contextstore.ChatUser{UserID: "u-42", Name: "Sam", IsAuthenticated: true}
	v := visitor{ip: "198.51.100.42", user: user}

	wantQueued(t, p.A, askForAgent(t, p.A, "a-1", "k1", v))
	taken, err := p.A.Desk.Take(ctx, "support", "agent@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if taken.ID != "a-1" {
		t.Fatalf("the agent took %s, want a-1", taken.ID)
	}
	blockedAt := p.clkA.Now()
	res, err := p.A.Desk.Disconnect(ctx, "a-1", "", contextstore.AgentFeedback{
		Block: true, ReasonCategory: blocking.CategoryAbusiveLanguage, Notes: "insults", BlockIntervalMinutes: 120,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Conversation.Info.Blocked {
		t.Fatalf("the agent-disconnected flow did not block: %+v", res.Conversation.Info)
	}
	p.later()

	c := askForAgent(t, p.B, "b-1", "k1", v)
	wantRefused(t, p.B, c)
	act, err := p.B.Store.GetActivity(ctx, user.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if want := blockedAt.Add(120 * time.Minute); act.LiveChatBlockedUntil == nil || !act.LiveChatBlockedUntil.Equal(want) {
		t.Errorf("ChatActivityData.LiveChatBlockedUntil read on B = %v, want %s", act.LiveChatBlockedUntil, want)
	}
	// An anonymous visitor from the same address is not the blocked user.
	wantQueued(t, p.B, askForAgent(t, p.B, "b-anon", "k1", visitor{ip: v.ip}))

	n, err := p.A.Blocking.UnblockUser(ctx, user.UserID, "admin@example.com", "appeal accepted")
	if err != nil || n != 1 {
		t.Fatalf("UnblockUser = %d, %v; want 1 block lifted", n, err)
	}
	p.later()
	wantQueued(t, p.B, askForAgent(t, p.B, "b-1", "k2", v))
	if act, err := p.B.Store.GetActivity(ctx, user.UserID); err != nil || act.LiveChatBlockedUntil != nil {
		t.Errorf("ChatActivityData on B after the unblock: %+v, %v; want LiveChatBlockedUntil cleared", act, err)
	}
}

// frozenCheck marks a context whose Check may not ask the store for the
// bans version: see noPollStore.
type frozenCheck struct{}

// noPollStore is instance B's store in TestTwoInstancesBanNotifications.
// It hides the bans version from contexts marked frozenCheck, so a Check
// made with such a context cannot notice another instance's ban change by
// itself (as with a long refresh interval) and keeps the table it has. The
// table then changes only when Background refreshes it (with a context of
// its own) on a pub/sub notification. SubscribeBans and everything else
// come from the embedded *redisstore.Store.
type noPollStore struct{ *redisstore.Store }

// BansVersion implements contextstore.BlockStore.
func (s noPollStore) BansVersion(ctx context.Context) (int64, error) {
	if ctx.Value(frozenCheck{}) != nil {
		return 0, errors.New("the bans version is hidden from this check by the test")
	}
	return s.Store.BansVersion(ctx)
}

// TestTwoInstancesBanNotifications: a ban change made on A reaches B's
// in-memory ban table through pub/sub while B's Background runs, without
// any check on B polling the store; a notification B missed while its
// Background was stopped is caught up when the subscription is
// established again, and the version counter catches up the next check.
func TestTwoInstancesBanNotifications(t *testing.T) {
	p := newTwoInstances(t, instanceOptions{
		wrapB:    func(s *redisstore.Store) contextstore.Store { return noPollStore{s} },
		logLevel: zap.ErrorLevel, // frozen checks warn that they cannot refresh
	})
	ctx := t.Context()
	frozen := context.WithValue(ctx, frozenCheck{}, true)
	ip := blocking.Subject{IP: netip.MustParseAddr("203.0.113.50"), Channel: blocking.ChannelLiveChat}
	opts := app.BackgroundOptions{NewTicker: (&manualTicks{}).newTicker} // no maintenance rounds

	blocked := func(ctx context.Context) bool {
		t.Helper()
		d, err := p.B.Blocking.Check(ctx, ip)
		if err != nil {
			t.Fatalf("Check on B: %v", err)
		}
		return d.Blocked
	}
	// eventually waits, bounded, for B's table to say want: pub/sub
	// delivery is asynchronous.
	eventually := func(what string, want bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		poll := time.NewTicker(5 * time.Millisecond)
		defer poll.Stop()
		for blocked(frozen) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: B's ban table did not say blocked=%v within 5s", what, want)
			}
			<-poll.C
		}
	}

	if err := p.B.Blocking.Refresh(ctx); err != nil { // B's table, before any ban
		t.Fatal(err)
	}
	if blocked(frozen) {
		t.Fatal("blocked before any ban")
	}
	stopB := runBackground(t, p.B, opts)

	const admin = "admin@example.com"
	ban, err := p.A.Blocking.Create(ctx, blocking.NewBlock{
		Range: "203.0.113.0/24", Period: blocking.Period{Minutes: blocking.MinutesPerDay},
		ReasonCategory: blocking.CategorySpam, Actor: admin,
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually("ban created on A", true)

	// With B's Background stopped, A's lift is announced to nobody on B:
	// B's frozen checks keep the old table (this is what makes the
	// assertion above about pub/sub, not about polling).
	stopB()
	if _, err := p.A.Blocking.Lift(ctx, ban.ID, admin, "false positive"); err != nil {
		t.Fatal(err)
	}
	if !blocked(frozen) {
		t.Fatal("B's frozen check refreshed its table by itself")
	}
	// Subscribing again delivers the current version: the missed lift is
	// caught up.
	stopB = runBackground(t, p.B, opts)
	eventually("lift on A, missed while B was not listening", false)

	// The version counter catches up a missed message on the next check
	// that may poll the store, even with no notification at all.
	stopB()
	if _, err := p.A.Blocking.Create(ctx, blocking.NewBlock{
		Range: "203.0.113.0/25", Period: blocking.Period{Minutes: blocking.MinutesPerHour},
		ReasonCategory: blocking.CategoryFraud, Actor: admin,
	}); err != nil {
		t.Fatal(err)
	}
	if blocked(frozen) {
		t.Fatal("B's frozen check saw a ban no notification announced")
	}
	p.later() // a refresh interval (up to a minute) has passed on B
	if !blocked(ctx) {
		t.Error("B's next check did not catch up the ban through the bans version")
	}
}
