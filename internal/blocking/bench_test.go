package blocking_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/chatflow/chatflow/internal/blocking"
)

// BenchmarkCheck measures the hot path on the memory store holding 1000
// user blocks, 1000 conversation records, 1000 IP bans and 100 range bans
// (10/10/10/1 for "miss-store-of-10"). "miss" is the common case (a
// visitor who is not blocked, checked by user, conversation and IP). The
// memory store answers the user and conversation queries by scanning all
// its blocks, so those dominate with many blocks; bolt and Redis use their
// user and conversation indexes. The IP part is the in-memory table.
func BenchmarkCheck(b *testing.B) {
	for _, bc := range []struct {
		name    string
		n       int  // blocks of each kind (ranges: n/10); default 1000
		refresh bool // RefreshInterval 0: ask BansVersion on every Check
		sub     blocking.Subject
		blocked bool
	}{
		{name: "miss", sub: blocking.Subject{UserID: "visitor", ConversationID: "conv-x", IP: netip.MustParseAddr("192.0.2.200"), Channel: "live_chat"}},
		{name: "miss-store-of-10", n: 10, sub: blocking.Subject{UserID: "visitor", ConversationID: "conv-x", IP: netip.MustParseAddr("192.0.2.200"), Channel: "live_chat"}},
		{name: "miss-ip-only", sub: blocking.Subject{IP: netip.MustParseAddr("192.0.2.200"), Channel: "live_chat"}},
		{name: "miss-ip-only-refresh-every-check", refresh: true, sub: blocking.Subject{IP: netip.MustParseAddr("192.0.2.200"), Channel: "live_chat"}},
		{name: "hit-user", sub: blocking.Subject{UserID: "u-500", IP: netip.MustParseAddr("192.0.2.200"), Channel: "live_chat"}, blocked: true},
		{name: "hit-ip", sub: blocking.Subject{IP: netip.MustParseAddr("198.51.1.244"), Channel: "live_chat"}, blocked: true},
		{name: "hit-range", sub: blocking.Subject{IP: netip.MustParseAddr("203.0.50.9"), Channel: "live_chat"}, blocked: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, func(o *blocking.Options) {
				if !bc.refresh {
					o.RefreshInterval = blocking.DefaultRefreshInterval
				}
			})
			n := bc.n
			if n == 0 {
				n = 1000
			}
			seed(b, e, n)
			ctx := b.Context()
			if d, err := e.svc.Check(ctx, bc.sub); err != nil || d.Blocked != bc.blocked {
				b.Fatalf("decision %+v, %v", d, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.svc.Check(ctx, bc.sub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func seed(b *testing.B, e *env, n int) {
	ctx := b.Context()
	long := blocking.Period{Minutes: blocking.MinutesPerMonth}
	for i := range n {
		if _, _, err := e.svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{UserID: fmt.Sprint("u-", i), Minutes: long.Minutes}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.RecordConversationBlock(ctx, blocking.ConversationBlock{ConversationID: fmt.Sprint("c-", i), Until: e.clk.Now().Add(long.Duration())}); err != nil {
			b.Fatal(err)
		}
		ip := fmt.Sprintf("198.51.%d.%d", i/250, i%250+1)
		if _, err := e.svc.Create(ctx, blocking.NewBlock{IP: ip, Period: long, ReasonCategory: "spam", Actor: "a"}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range max(n/10, 1) {
		if _, err := e.svc.Create(ctx, blocking.NewBlock{Range: fmt.Sprintf("203.0.%d.0/24", i), Period: long, ReasonCategory: "spam", Actor: "a"}); err != nil {
			b.Fatal(err)
		}
	}
}
