package blocking_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
)

func TestIPBanStoredEncrypted(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for _, in := range []string{"198.51.100.23", "2001:db8:4:5::77", "::ffff:198.51.100.99"} {
		t.Run(in, func(t *testing.T) {
			b := e.create(t, blocking.NewBlock{IP: in, Period: blocking.Period{Minutes: 60}, UserID: "u-9", ConversationID: "c-9", Kind: contextstore.KindIP})
			want := netip.MustParseAddr(in).Unmap().String()
			stored, err := e.store.GetBlock(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(stored)
			if err != nil {
				t.Fatal(err)
			}
			// No textual form of the address anywhere in the record.
			for _, form := range []string{want, in, netip.MustParseAddr(in).StringExpanded()} {
				if strings.Contains(string(raw), form) {
					t.Fatalf("stored block contains %q: %s", form, raw)
				}
			}
			if stored.IPHash != e.sealer.HashIP(netip.MustParseAddr(in)) || len(stored.IPCipher) == 0 || stored.Range != "" {
				t.Fatalf("stored %+v", stored)
			}
			if stored.UserID != "u-9" || stored.ConversationID != "c-9" {
				t.Fatalf("context of the ban lost: %+v", stored)
			}
			v, err := e.svc.Get(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v.IP != want || v.Block.IPCipher != nil {
				t.Fatalf("view ip %q cipher %v", v.IP, v.Block.IPCipher)
			}
			if d := e.check(t, nil, ipSub(want)); !d.Blocked || d.BlockID != b.ID || d.Kind != contextstore.KindIP {
				t.Fatalf("decision %+v", d)
			}
		})
	}
	// Audit events carry no address either.
	evs, _ := e.store.ListAudit(ctx, contextstore.AuditQuery{})
	raw, _ := json.Marshal(evs)
	if strings.Contains(string(raw), "198.51.100") || strings.Contains(string(raw), "2001:db8") {
		t.Fatalf("audit log holds an address: %s", raw)
	}
}

// TestRangeBanWithAllowHole: the most specific entry wins, for ranges and
// single addresses alike.
func TestRangeBanWithAllowHole(t *testing.T) {
	e := newEnv(t)
	ban := e.create(t, blocking.NewBlock{Range: "203.0.113.0/24", Period: blocking.Period{Minutes: blocking.MinutesPerWeek}})
	hole := e.create(t, blocking.NewBlock{Range: "203.0.113.128/25", Allow: true})
	again := e.create(t, blocking.NewBlock{IP: "203.0.113.200"})
	office := e.create(t, blocking.NewBlock{IP: "203.0.113.5", Allow: true})
	v6 := e.create(t, blocking.NewBlock{Range: "2001:db8::10-2001:db8::1f", ReasonCategory: "harassment"})

	tests := []struct {
		ip        string
		blockedBy string
		kind      contextstore.BlockKind
	}{
		{"203.0.113.7", ban.ID, contextstore.KindRange},
		{"203.0.113.127", ban.ID, contextstore.KindRange},
		{"203.0.113.128", "", ""},         // in the allowed hole
		{"203.0.113.255", "", ""},         // in the allowed hole
		{"203.0.113.200", again.ID, "ip"}, // a single-address ban inside the hole
		{"203.0.113.5", "", ""},           // a single-address allow inside the ban
		{"203.0.114.1", "", ""},
		{"::ffff:203.0.113.7", ban.ID, contextstore.KindRange},
		{"2001:db8::10", v6.ID, contextstore.KindRange},
		{"2001:db8::1f", v6.ID, contextstore.KindRange},
		{"2001:db8::20", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.ip, func(t *testing.T) {
			d := e.check(t, nil, ipSub(tc.ip))
			if d.Blocked != (tc.blockedBy != "") || d.BlockID != tc.blockedBy || d.Kind != tc.kind {
				t.Fatalf("decision %+v, want blocked by %q (%s)", d, tc.blockedBy, tc.kind)
			}
		})
	}
	// Lifting the hole bans its addresses again, at once.
	if _, err := e.svc.Lift(t.Context(), hole.ID, "admin@acme.test", "office moved"); err != nil {
		t.Fatal(err)
	}
	if d := e.check(t, nil, ipSub("203.0.113.130")); d.BlockID != ban.ID {
		t.Fatalf("after lifting the hole: %+v", d)
	}
	_ = office
}

func TestChannelScoping(t *testing.T) {
	e := newEnv(t)
	e.create(t, blocking.NewBlock{IP: "198.51.100.1", Channels: []string{"contact_form"}})
	e.create(t, blocking.NewBlock{Range: "198.51.100.64/26", Channels: []string{"call", "forum"}})
	e.create(t, blocking.NewBlock{UserID: "u-1", Channels: []string{"forum"}})
	e.create(t, blocking.NewBlock{UserID: "u-2"}) // all channels
	tests := []struct {
		sub     blocking.Subject
		blocked bool
	}{
		{blocking.Subject{IP: netip.MustParseAddr("198.51.100.1"), Channel: "contact_form"}, true},
		{blocking.Subject{IP: netip.MustParseAddr("198.51.100.1"), Channel: "live_chat"}, false},
		{blocking.Subject{IP: netip.MustParseAddr("198.51.100.70"), Channel: "forum"}, true},
		{blocking.Subject{IP: netip.MustParseAddr("198.51.100.70"), Channel: "call"}, true},
		{blocking.Subject{IP: netip.MustParseAddr("198.51.100.70"), Channel: "live_chat"}, false},
		{blocking.Subject{UserID: "u-1", Channel: "forum"}, true},
		{blocking.Subject{UserID: "u-1", Channel: "live_chat"}, false},
		{blocking.Subject{UserID: "u-2", Channel: "call"}, true},
		{blocking.Subject{UserID: "u-2", Channel: "live_chat"}, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s%v/%s", tc.sub.UserID, tc.sub.IP, tc.sub.Channel), func(t *testing.T) {
			if d := e.check(t, nil, tc.sub); d.Blocked != tc.blocked {
				t.Fatalf("decision %+v, want blocked=%v", d, tc.blocked)
			}
		})
	}
	_, err := e.svc.Check(t.Context(), blocking.Subject{UserID: "u-2"})
	if want := `invalid input: channel: unknown channel ""; use live_chat, contact_form, call, forum`; errText(err) != want || !errors.Is(err, blocking.ErrInvalid) {
		t.Fatalf("check without channel: %v", err)
	}
}

// TestNeverBlockedAtCheck: even a ban the store holds (written before the
// never-block list changed) does not block a never-block address.
func TestNeverBlockedAtCheck(t *testing.T) {
	e := newEnv(t, func(o *blocking.Options) { o.NeverBlock = []netip.Prefix{} })
	e.create(t, blocking.NewBlock{Range: "10.0.0.0/8"})
	if d := e.check(t, nil, ipSub("10.1.1.1")); !d.Blocked {
		t.Fatal("without never-block the ban applies")
	}
	strict := e.service(t) // default never-block list, same store
	if d := e.check(t, strict, ipSub("10.1.1.1")); d.Blocked {
		t.Fatalf("never-block address blocked: %+v", d)
	}
}

func TestHitsFlushed(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	ban := e.create(t, blocking.NewBlock{Range: "198.51.100.0/24"})
	ip := e.create(t, blocking.NewBlock{IP: "198.51.100.9"})
	for range 3 {
		e.check(t, nil, ipSub("198.51.100.1"))
	}
	e.clk.Advance(time.Minute)
	e.check(t, nil, ipSub("198.51.100.2"))
	e.check(t, nil, ipSub("198.51.100.9"))
	e.check(t, nil, ipSub("192.0.2.1")) // miss: counts nothing
	if err := e.svc.FlushHits(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := e.store.GetBlock(ctx, ban.ID)
	if got.HitCount != 4 || got.LastHitAt == nil || !got.LastHitAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("range hits %d last %v", got.HitCount, got.LastHitAt)
	}
	if !got.UpdatedAt.Equal(t0) {
		t.Errorf("a hit flush changed UpdatedAt to %v", got.UpdatedAt)
	}
	if got, _ := e.store.GetBlock(ctx, ip.ID); got.HitCount != 1 {
		t.Fatalf("ip hits %d", got.HitCount)
	}
	// Counts add up across flushes, and across a table rebuild (the old
	// table's counts are kept for the next flush).
	e.check(t, nil, ipSub("198.51.100.1"))
	e.create(t, blocking.NewBlock{IP: "198.51.100.10"}) // rebuild on next Check
	e.check(t, nil, ipSub("198.51.100.1"))
	if err := e.svc.FlushHits(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.GetBlock(ctx, ban.ID); got.HitCount != 6 {
		t.Fatalf("range hits after second flush %d, want 6", got.HitCount)
	}
	// Nothing new: nothing written.
	before, _ := e.store.GetBlock(ctx, ban.ID)
	if err := e.svc.FlushHits(ctx); err != nil {
		t.Fatal(err)
	}
	if after, _ := e.store.GetBlock(ctx, ban.ID); after.Version != before.Version {
		t.Fatal("an empty flush wrote the block")
	}
}

// TestRefreshFromAnotherInstance: two Services share one store; a ban
// made through one applies through the other.
func TestRefreshFromAnotherInstance(t *testing.T) {
	e := newEnv(t)
	other := e.service(t)
	ctx := t.Context()
	if d := e.check(t, other, ipSub("192.0.2.44")); d.Blocked {
		t.Fatal("blocked before any ban")
	}
	b := e.create(t, blocking.NewBlock{Range: "192.0.2.0/24"})
	if d := e.check(t, other, ipSub("192.0.2.44")); !d.Blocked || d.BlockID != b.ID {
		t.Fatalf("other instance: %+v", d)
	}
	if _, err := e.svc.Lift(ctx, b.ID, "admin@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	if d := e.check(t, other, ipSub("192.0.2.44")); d.Blocked {
		t.Fatalf("other instance after lift: %+v", d)
	}

	// With an interval, the other instance asks the store again only when
	// the interval has passed.
	slow := e.service(t, func(o *blocking.Options) { o.RefreshInterval = 10 * time.Second })
	e.check(t, slow, ipSub("192.0.2.44"))
	b2 := e.create(t, blocking.NewBlock{Range: "192.0.2.0/25"})
	if d := e.check(t, slow, ipSub("192.0.2.44")); d.Blocked {
		t.Fatal("refreshed before the interval")
	}
	e.clk.Advance(10 * time.Second)
	if d := e.check(t, slow, ipSub("192.0.2.44")); d.BlockID != b2.ID {
		t.Fatalf("not refreshed after the interval: %+v", d)
	}
	if err := slow.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	wide := e.create(t, blocking.NewBlock{Range: "198.51.100.0/24"})
	narrow := e.create(t, blocking.NewBlock{Range: "198.51.100.16-198.51.100.31"})
	ip := e.create(t, blocking.NewBlock{Kind: contextstore.KindIP, IP: "198.51.100.20", ConversationID: "c-5"})
	other := e.create(t, blocking.NewBlock{IP: "192.0.2.1"})
	user := e.create(t, blocking.NewBlock{UserID: "u-5"})
	conv := e.create(t, blocking.NewBlock{ConversationID: "c-5"})
	if _, err := e.svc.Lift(ctx, wide.ID, "admin@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		term string
		want []string
	}{
		{"198.51.100.20", []string{wide.ID, narrow.ID, ip.ID}}, // lifted ones too
		{"::ffff:198.51.100.20", []string{wide.ID, narrow.ID, ip.ID}},
		{"198.51.100.40", []string{wide.ID}},
		{"198.51.100.16/28", []string{wide.ID, narrow.ID, ip.ID}},
		{"192.0.2.0-192.0.2.9", []string{other.ID}},
		{"u-5", []string{user.ID}},
		{"c-5", []string{ip.ID, conv.ID}},
		{user.ID, []string{user.ID}},
		{"nobody", nil},
	}
	for _, tc := range tests {
		t.Run(tc.term, func(t *testing.T) {
			vs, err := e.svc.Search(ctx, tc.term)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Block.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if vs, _ := e.svc.Search(ctx, "198.51.100.20"); vs[0].Status != blocking.StatusLifted || vs[2].IP != "198.51.100.20" {
		t.Fatalf("views %+v %+v", vs[0], vs[2])
	}
	if _, err := e.svc.Search(ctx, "  "); errText(err) != "invalid input: term: required: a user id, conversation id, block id, IP address or range" {
		t.Fatalf("empty search: %v", err)
	}
}

// TestConcurrency creates, checks, lifts and flushes from many goroutines
// on two instances; run with -race.
func TestConcurrency(t *testing.T) {
	e := newEnv(t)
	other := e.service(t)
	ctx := t.Context()
	const workers, per = 8, 25
	var wg sync.WaitGroup
	ids := make(chan string, workers*per*2)
	for w := range workers {
		svc := e.svc
		if w%2 == 1 {
			svc = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				ip := fmt.Sprintf("198.51.%d.%d", w, i+1)
				b, err := svc.Create(ctx, blocking.NewBlock{IP: ip, ReasonCategory: "spam", Period: blocking.Period{Minutes: 60}, Actor: "a"})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- b.ID
				ub, _, err := svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{UserID: fmt.Sprint("u-", w), Minutes: 5, SaveToChatActivityData: true})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- ub.ID
				if d, err := svc.Check(ctx, blocking.Subject{UserID: "nobody", IP: netip.MustParseAddr(ip), Channel: "live_chat"}); err != nil || !d.Blocked {
					t.Errorf("own ban %s not seen: %+v, %v", ip, d, err)
				}
				if i%5 == 0 {
					if _, err := svc.Lift(ctx, b.ID, "a", ""); err != nil {
						t.Error(err)
					}
					if err := svc.FlushHits(ctx); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
	if len(seen) != workers*per*2 {
		t.Fatalf("%d ids", len(seen))
	}
	active, _ := e.svc.List(ctx, contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindIP}, Status: contextstore.StatusActive})
	if len(active) != workers*(per-per/5) {
		t.Fatalf("%d active ip bans, want %d", len(active), workers*(per-per/5))
	}
	for w := range workers {
		act, err := e.store.GetActivity(ctx, fmt.Sprint("u-", w))
		if err != nil || act.LiveChatBlockedUntil == nil {
			t.Fatalf("activity of u-%d: %+v, %v", w, act, err)
		}
	}
}
