package blocking_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/privacy"
)

// An admin bans a network for a week with a hole for a partner's office,
// then lifts the ban early.
func Example() {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	sealer, _ := privacy.New(bytes.Repeat([]byte{1}, privacy.KeySize))
	svc, _ := blocking.New(memory.New(), blocking.Options{Clock: clk.Now, Sealer: sealer})

	week, _ := blocking.ParsePeriod("1w")
	ban, _ := svc.Create(ctx, blocking.NewBlock{
		Range: "203.0.113.0/24", Period: week, ReasonCategory: blocking.CategorySpam,
		Notes: "signup bots", Actor: "admin@acme.test",
	})
	_, _ = svc.Create(ctx, blocking.NewBlock{
		Range: "203.0.113.128/28", Allow: true, Period: blocking.Period{Permanent: true}, Actor: "admin@acme.test",
	})
	for _, ip := range []string{"203.0.113.7", "203.0.113.130"} {
		d, _ := svc.Check(ctx, blocking.Subject{IP: netip.MustParseAddr(ip), Channel: blocking.ChannelLiveChat})
		fmt.Println(ip, "blocked:", d.Blocked, d.Kind, d.Until.Format(time.DateOnly))
	}

	clk.Advance(time.Hour)
	_, _ = svc.Lift(ctx, ban.ID, "boss@acme.test", "false positive")
	v, _ := svc.Get(ctx, ban.ID)
	fmt.Println(v.Block.Range, v.Status, "by", v.Block.LiftedBy)
	// Output:
	// 203.0.113.7 blocked: true range 2026-01-12
	// 203.0.113.130 blocked: false  0001-01-01
	// 203.0.113.0/24 lifted by boss@acme.test
}

func ExampleParsePeriod() {
	for _, in := range []string{"1h", "1 month", "90", "permanent", "90m", "90s"} {
		p, err := blocking.ParsePeriod(in)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s = %s (%d minutes)\n", in, p, p.Minutes)
	}
	// Output:
	// 1h = 1h (60 minutes)
	// 1 month = 1mo (43200 minutes)
	// 90 = 90m (90 minutes)
	// permanent = permanent (0 minutes)
	// 90m = 90m (90 minutes)
	// invalid input: period: "90s" is not a whole number of minutes; a block lasts whole minutes
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"1h", "1d", "1w", "1m", "7d", "permanent", "90", "90m", "3mo", " 2 Weeks ", "", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := blocking.ParsePeriod(s)
		if err != nil {
			if p != (blocking.Period{}) {
				t.Fatalf("error with a period %+v", p)
			}
			return
		}
		if !p.Permanent && (p.Minutes < 1 || p.Minutes > blocking.MaxMinutes) {
			t.Fatalf("%q parsed to %+v", s, p)
		}
		back, err := blocking.ParsePeriod(p.String())
		if err != nil || back != p {
			t.Fatalf("%q: %+v -> %q -> %+v, %v", s, p, p.String(), back, err)
		}
	})
}
